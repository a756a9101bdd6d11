"""A work programme that can be kept: workstreams and milestones corrected and removed (on the timeline and in the
history), RAG as coloured tags, the other parties told when a milestone turns amber or red or becomes overdue and
when an input is recorded, and inputs dated in the future counted as planned, not as actual costs."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from arrangements import selectors, services
from arrangements.models import Event, Input, Milestone, Reminder, Workstream
from arrangements.reminders import reminder_send, reminders_sweep
from arrangements.services import ArrangementError
from buddying.models import Notification
from buddying.tests.factories import ExpertiseAreaFactory
from reports.selectors import vfm_totals
from reports.selectors.lookups import input_sums_for

pytestmark = pytest.mark.django_db


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def workstream(active_arrangement, executive, finance):
    return services.workstream_add(
        arrangement=active_arrangement,
        by=executive,
        area=finance,
        supported_lead="Director of finance",
        buddy_lead="Deputy director of finance",
        buddy=None,
    )


@pytest.fixture
def milestone(workstream, executive):
    return services.milestone_add(
        workstream=workstream, by=executive, title="Deficit plan to the board", due_date=dt.date(2027, 2, 1)
    )


def told(subject_start):
    return set(
        Notification.objects.filter(subject__startswith=subject_start).values_list("recipient__username", flat=True)
    )


def latest_event(arrangement):
    return Event.objects.filter(arrangement=arrangement).first()


# Correcting and removing ------------------------------------------------------------------------------------------


def test_a_workstream_is_corrected_with_the_change_on_the_timeline_and_in_its_history(
    active_arrangement, workstream, buddy_executive, buddy_trust
):
    governance = ExpertiseAreaFactory(slug="governance", name="Governance")
    services.workstream_edit(
        workstream=workstream,
        by=buddy_executive,
        area=governance,
        supported_lead="Director of finance",
        buddy_lead="Chief finance officer",
        buddy=buddy_trust,
    )
    workstream.refresh_from_db()
    assert (workstream.area, workstream.buddy_lead, workstream.buddy) == (
        governance,
        "Chief finance officer",
        buddy_trust,
    )
    event = latest_event(active_arrangement)
    assert event.title == "Workstream changed: Governance"
    assert "area: Finance to Governance" in event.description
    assert "lead at the buddy trust: Deputy director of finance to Chief finance officer" in event.description
    assert workstream.history.latest("history_date").history_user == buddy_executive


def test_a_workstream_cannot_take_an_area_another_already_covers(active_arrangement, workstream, executive):
    governance = ExpertiseAreaFactory(slug="governance", name="Governance")
    services.workstream_add(
        arrangement=active_arrangement, by=executive, area=governance, supported_lead="A", buddy_lead="B", buddy=None
    )
    with pytest.raises(ArrangementError, match="already a governance workstream"):
        services.workstream_edit(
            workstream=workstream, by=executive, area=governance, supported_lead="A", buddy_lead="B", buddy=None
        )


def test_removing_a_workstream_removes_its_milestones_and_the_timeline_says_what_went(
    active_arrangement, workstream, milestone, buddy_executive
):
    services.milestone_update(milestone=milestone, by=buddy_executive, rag="amber")
    services.workstream_remove(workstream=workstream, by=buddy_executive)
    assert not Workstream.objects.exists() and not Milestone.objects.exists()
    event = latest_event(active_arrangement)
    assert event.title == "Workstream removed: Finance"
    assert "Deficit plan to the board (due 1 February 2027, amber)" in event.description
    removed = Milestone.history.filter(id=milestone.pk, history_type="-").get()
    assert (removed.title, removed.history_user) == ("Deficit plan to the board", buddy_executive)


def test_a_milestone_is_corrected_and_removed_with_a_record_of_both(
    active_arrangement, milestone, executive, buddy_executive
):
    services.milestone_edit(
        milestone=milestone,
        by=executive,
        title="Deficit plan to both boards",
        due_date=dt.date(2027, 3, 1),
        rag="green",
    )
    event = latest_event(active_arrangement)
    assert event.title == "Milestone changed: Deficit plan to both boards"
    assert "due: 1 February 2027 to 1 March 2027" in event.description
    services.milestone_remove(milestone=milestone, by=buddy_executive)
    assert not Milestone.objects.exists()
    event = latest_event(active_arrangement)
    assert event.title == "Milestone removed: Deficit plan to both boards"
    assert event.actor == buddy_executive
    assert Milestone.history.filter(id=milestone.pk, history_type="-", history_user=buddy_executive).exists()


def test_a_closed_arrangement_work_programme_cannot_be_changed(active_arrangement, milestone, workstream, executive):
    services.arrangement_complete(arrangement=active_arrangement, by=executive)
    with pytest.raises(ArrangementError):
        services.milestone_remove(milestone=milestone, by=executive)
    with pytest.raises(ArrangementError):
        services.workstream_remove(workstream=workstream, by=executive)
    assert Milestone.objects.exists()


# Telling the other parties ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rag", "heard"),
    [("amber", True), ("red", True), ("green", False), ("complete", False)],
)
def test_a_milestone_turning_amber_or_red_tells_the_other_parties(milestone, buddy_executive, rag, heard):
    Notification.objects.all().delete()
    services.milestone_update(milestone=milestone, by=buddy_executive, rag=rag)
    assert told("Milestone") == ({"executive", "regulator"} if heard else set())


def test_a_milestone_edited_to_red_tells_the_other_parties_and_amber_to_red_too(milestone, executive):
    services.milestone_edit(
        milestone=milestone, by=executive, title=milestone.title, due_date=milestone.due_date, rag="amber"
    )
    Notification.objects.all().delete()
    services.milestone_edit(
        milestone=milestone, by=executive, title=milestone.title, due_date=milestone.due_date, rag="red"
    )
    note = Notification.objects.get(recipient__username="buddy-executive")
    assert note.subject == "Milestone red: Deficit plan to the board"
    assert "from amber" in note.body
    assert told("Milestone red") == {"buddy-executive", "regulator"}


def test_an_input_recorded_tells_the_other_parties(active_arrangement, executive):
    Notification.objects.all().delete()
    services.input_record(
        arrangement=active_arrangement,
        by=executive,
        fields={"kind": "secondment", "date": dt.date(2026, 11, 10), "description": "Finance lead seconded"},
    )
    assert told("Secondment recorded") == {"buddy-executive", "regulator"}


def test_the_sweep_tells_every_party_once_when_a_milestone_becomes_overdue(
    milestone, executive, django_capture_on_commit_callbacks
):
    def sweep(moment):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks():
            reminders_sweep()
        for pk in Reminder.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
            reminder_send(reminder_id=pk)

    sweep(utc(2027, 2, 1, 6, 30))  # due today: not overdue yet
    assert not Reminder.objects.filter(kind="milestone-overdue").exists()
    sweep(utc(2027, 2, 2, 6, 30))
    sweep(utc(2027, 2, 3, 6, 30))
    assert Reminder.objects.filter(kind="milestone-overdue").count() == 1
    assert told("Milestone overdue") == {"executive", "buddy-executive", "regulator"}
    body = Notification.objects.filter(subject__startswith="Milestone overdue").first().body
    assert "“Deficit plan to the board”" in body and "1 February 2027" in body
    # A new due date that passes is a new reminder; a complete milestone is never overdue.
    services.milestone_edit(
        milestone=milestone, by=executive, title=milestone.title, due_date=dt.date(2027, 2, 10), rag="amber"
    )
    sweep(utc(2027, 2, 11, 6, 30))
    assert Reminder.objects.filter(kind="milestone-overdue").count() == 2
    services.milestone_update(milestone=milestone, by=executive, rag="complete")
    assert not selectors.milestones_overdue(today=dt.date(2027, 3, 1)).exists()


# Planned inputs ---------------------------------------------------------------------------------------------------


def record(arrangement, by, day, cost):
    return services.input_record(
        arrangement=arrangement,
        by=by,
        fields={
            "kind": "visit",
            "date": day,
            "description": f"Visit on {day}",
            "people_supported": 3,
            "staff_days": Decimal(2),
            "travel_cost": Decimal(cost),
            "consultancy_estimate": Decimal(1000),
        },
    )


def test_an_input_dated_in_the_future_is_planned_and_not_an_actual_cost(client, active_arrangement, executive):
    record(active_arrangement, executive, dt.date(2026, 11, 10), 300)
    planned = record(active_arrangement, executive, dt.date(2030, 1, 1), 12000)
    assert planned.is_planned
    assert latest_event(active_arrangement).title == "Visit planned"
    assert list(Input.objects.actual().values_list("travel_cost", flat=True)) == [Decimal(300)]
    detail = selectors.arrangement_detail(arrangement=active_arrangement)
    assert detail["value_for_money"]["travel"] == Decimal(300)
    assert detail["planned_inputs"]["count"] == 1
    client.force_login(executive)
    page = client.get(reverse("arrangements:tab", kwargs={"pk": active_arrangement.pk, "tab": "inputs"})).content
    page = page.decode()
    assert "Planned" in page and "£12,000" in page
    assert "travel £300," in page  # the actual costs, without the planned £12,000


def test_reports_count_only_actual_inputs(active_arrangement, executive):
    record(active_arrangement, executive, dt.date(2026, 11, 10), 300)
    record(active_arrangement, executive, dt.date(2030, 1, 1), 12000)
    today = dt.date(2026, 11, 16)
    _fees, travel, _backfill, consultancy, people, _buddy = input_sums_for([active_arrangement.pk], today=today)[
        active_arrangement.pk
    ]
    assert (travel, consultancy, people) == (Decimal(300), Decimal(1000), 3)
    from arrangements.models import Arrangement

    totals = vfm_totals(Arrangement.objects.filter(pk=active_arrangement.pk), today=today)
    assert totals["travel"] == Decimal(300)
    # Once its date has come, the planned input counts.
    later = input_sums_for([active_arrangement.pk], today=dt.date(2030, 1, 1))[active_arrangement.pk]
    assert later[1] == Decimal(12300)


# The pages --------------------------------------------------------------------------------------------------------


def test_the_work_page_shows_rag_as_coloured_tags_with_change_and_remove(client, milestone, executive):
    services.milestone_update(milestone=milestone, by=executive, rag="amber")
    client.force_login(executive)
    url = reverse("arrangements:tab", kwargs={"pk": milestone.workstream.arrangement_id, "tab": "work"})
    page = client.get(url).content.decode()
    assert '<strong class="govuk-tag govuk-tag--orange">Amber</strong>' in page
    assert "<select" not in page
    assert 'Change<span class="govuk-visually-hidden"> Deficit plan to the board</span>' in page
    assert 'Remove<span class="govuk-visually-hidden"> the Finance workstream</span>' in page


def test_an_overdue_milestone_is_tagged_overdue(client, milestone, executive, time_machine):
    time_machine.move_to(utc(2027, 2, 5, 9))
    client.force_login(executive)
    url = reverse("arrangements:tab", kwargs={"pk": milestone.workstream.arrangement_id, "tab": "work"})
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in client.get(url).content.decode()


def test_removing_asks_first_then_removes(client, active_arrangement, milestone, executive):
    client.force_login(executive)
    url = reverse("arrangements:milestone-remove", kwargs={"pk": active_arrangement.pk, "milestone_pk": milestone.pk})
    page = client.get(url).content.decode()
    assert "Remove the milestone “Deficit plan to the board”?" in page
    assert Milestone.objects.exists()
    response = client.post(url)
    assert response.status_code == 302
    assert not Milestone.objects.exists()


def test_a_milestone_form_error_names_the_field_and_changes_nothing(client, active_arrangement, milestone, executive):
    client.force_login(executive)
    url = reverse("arrangements:milestone-edit", kwargs={"pk": active_arrangement.pk, "milestone_pk": milestone.pk})
    response = client.post(
        url,
        {"title": "<b>x</b>", "due_date_0": "1", "due_date_1": "2", "due_date_2": "99999999999999999999", "rag": "red"},
    )
    assert "The due date must have a year of 4 numbers" in response.content.decode()
    response = client.post(url, {"title": "T", "due_date_0": "1", "due_date_1": "2", "due_date_2": "2027", "rag": "x"})
    assert "Select the milestone&#x27;s RAG status from the list" in response.content.decode()
    milestone.refresh_from_db()
    assert (milestone.title, milestone.rag) == ("Deficit plan to the board", "green")


PEOPLE = ("anonymous", "regulator", "supported", "buddy", "outsider", "admin")
# Any party to the arrangement (regulator staff, either trust) keeps the work programme; an outsider finds nothing.
EXPECTED = {"anonymous": 302, "regulator": 302, "supported": 302, "buddy": 302, "outsider": 404, "admin": 302}


@pytest.fixture
def people(regulator, executive, buddy_executive, other_executive, admin_user):
    return {
        "anonymous": None,
        "regulator": regulator,
        "supported": executive,
        "buddy": buddy_executive,
        "outsider": other_executive,
        "admin": admin_user,
    }


def state(arrangement):
    return (
        list(Workstream.objects.filter(arrangement=arrangement).values_list("area__slug", "buddy_lead")),
        list(Milestone.objects.filter(workstream__arrangement=arrangement).values_list("title", "due_date", "rag")),
    )


ACTIONS = {
    "workstream-edit": lambda ids, area: (
        reverse("arrangements:workstream-edit", kwargs={"pk": ids[0], "workstream_pk": ids[1]}),
        {"area": area, "supported_lead": "New lead", "buddy_lead": "New buddy lead"},
    ),
    "workstream-remove": lambda ids, area: (
        reverse("arrangements:workstream-remove", kwargs={"pk": ids[0], "workstream_pk": ids[1]}),
        {},
    ),
    "milestone-edit": lambda ids, area: (
        reverse("arrangements:milestone-edit", kwargs={"pk": ids[0], "milestone_pk": ids[2]}),
        {"title": "Renamed", "due_date_0": "2", "due_date_1": "3", "due_date_2": "2027", "rag": "red"},
    ),
    "milestone-remove": lambda ids, area: (
        reverse("arrangements:milestone-remove", kwargs={"pk": ids[0], "milestone_pk": ids[2]}),
        {},
    ),
}


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_work_programme_change_by_persona(client, people, active_arrangement, milestone, finance, who, action):
    ids = (active_arrangement.pk, milestone.workstream_id, milestone.pk)
    url, data = ACTIONS[action](ids, finance.pk)
    before = state(active_arrangement)
    if people[who]:
        client.force_login(people[who])
        assert client.get(url).status_code == (404 if who == "outsider" else 200)
    response = client.post(url, data)
    assert response.status_code == EXPECTED[who]
    changed = state(active_arrangement) != before
    assert changed == (who in {"regulator", "supported", "buddy", "admin"})


def test_another_arrangements_milestone_is_missing_from_this_one(
    client, active_arrangement, milestone, other_executive, other_trust, buddy_trust, regulator
):
    from arrangements.services import BuddySpec

    elsewhere = services.arrangement_propose(
        supported=other_trust,
        buddies=[BuddySpec(buddy=buddy_trust)],
        title="Elsewhere",
        origin="regulator-suggested",
        tier="targeted",
        planned_start=dt.date(2026, 12, 1),
        planned_end=dt.date(2027, 11, 30),
        by=regulator,
    )
    client.force_login(other_executive)
    # The other trust's executive uses their own arrangement's address with this arrangement's milestone.
    url = reverse("arrangements:milestone-remove", kwargs={"pk": elsewhere.pk, "milestone_pk": milestone.pk})
    assert client.post(url).status_code == 404
    assert Milestone.objects.filter(pk=milestone.pk).exists()


def test_the_work_page_runs_a_fixed_number_of_queries(client, active_arrangement, executive, regulator):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("arrangements:tab", kwargs={"pk": active_arrangement.pk, "tab": "work"})
    client.force_login(regulator)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def add(slug):
        area = ExpertiseAreaFactory(slug=slug, name=slug.title())
        ws = services.workstream_add(
            arrangement=active_arrangement, by=executive, area=area, supported_lead="A", buddy_lead="B", buddy=None
        )
        for n in range(3):
            services.milestone_add(workstream=ws, by=executive, title=f"M{n}", due_date=dt.date(2027, 2, 1 + n))

    add("one")
    one = count()
    add("two")
    add("three")
    assert count() == one
