"""Reviews by both sides: each trust submits its own ratings and answers; the review is complete when the supported
trust and the lead buddy have; the next review falls due only then; the sweep reminds only the side still to submit."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from arrangements import selectors, services
from arrangements.models import Event, Reminder, Review, ReviewSubmission
from arrangements.reminders import reminder_send, reminders_sweep
from arrangements.services import ArrangementError, BuddySpec
from arrangements.tests.conftest import draft_terms
from buddying.models import Notification
from buddying.tests.factories import ExecutiveFactory, TrustFactory

pytestmark = pytest.mark.django_db

DUE = dt.date(2027, 3, 1)  # the first review of the active_arrangement fixture


def answers(**overrides):
    return {
        "held_on": dt.date(2026, 11, 16),
        "objectives_progress": "Deficit plan drafted",
        "inputs_summary": "Four visits",
        "achieved": "Board approved the plan",
        "serendipitous": "",
        "did_not_work": "",
        "continuing_relationships": "",
        "learning": "",
        "relationship": 4,
        "value": 4,
        "fit": 4,
        "progress": 4,
        "outcome": "continue",
        **overrides,
    }


def form_data(**overrides):
    data = {
        "held_on_0": "16",
        "held_on_1": "11",
        "held_on_2": "2026",
        "objectives_progress": "On track",
        "inputs_summary": "Visits",
        "achieved": "Plan agreed",
        "relationship": "4",
        "value": "3",
        "fit": "5",
        "progress": "2",
        "outcome": "adjust",
    }
    data.update(overrides)
    return data


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


# The services -----------------------------------------------------------------------------------------------------


def test_the_review_is_complete_only_when_both_sides_have_submitted(active_arrangement, executive, buddy_executive):
    first = services.review_submit(arrangement=active_arrangement, by=executive, fields=answers(relationship=5))
    active_arrangement.refresh_from_db()
    assert (first.party, first.trust, first.relationship) == ("supported", executive.trust, 5)
    assert active_arrangement.next_review_due == DUE  # not moved: the buddy has not submitted
    state = selectors.review_round(arrangement=active_arrangement)
    assert not state.is_complete
    assert [party.trust.ods_code for party in state.waiting] == ["RC3"]
    assert not Review.objects.get().is_complete

    services.review_submit(arrangement=active_arrangement, by=buddy_executive, fields=answers(relationship=2))
    active_arrangement.refresh_from_db()
    review = Review.objects.get()
    assert review.is_complete and review.due_on == DUE
    assert active_arrangement.next_review_due == dt.date(2027, 6, 1)
    assert sorted(review.submissions.values_list("party", "relationship")) == [("buddy", 2), ("supported", 5)]
    titles = list(Event.objects.filter(arrangement=active_arrangement).values_list("title", flat=True)[:2])
    assert titles == ["Review complete: continue as agreed", "Review submitted by Own Hospitals NHS Trust"]


def test_the_outcome_is_the_most_cautious_either_side_recommends(active_arrangement, executive, buddy_executive):
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers(outcome="continue"))
    services.review_submit(arrangement=active_arrangement, by=buddy_executive, fields=answers(outcome="adjust"))
    assert Review.objects.get().outcome == "adjust"


def test_the_next_review_is_due_by_the_cadence_after_each_completed_one(active_arrangement, executive, buddy_executive):
    for _round in range(2):
        services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
        services.review_submit(arrangement=active_arrangement, by=buddy_executive, fields=answers())
    active_arrangement.refresh_from_db()
    assert list(Review.objects.order_by("due_on").values_list("due_on", flat=True)) == [DUE, dt.date(2027, 6, 1)]
    assert active_arrangement.next_review_due == dt.date(2027, 9, 1)


def test_regulator_staff_and_outsiders_cannot_submit_for_a_trust(active_arrangement, regulator, other_executive):
    with pytest.raises(ArrangementError, match="regulator staff can add a note"):
        services.review_submit(arrangement=active_arrangement, by=regulator, fields=answers())
    with pytest.raises(ArrangementError):
        services.review_submit(arrangement=active_arrangement, by=other_executive, fields=answers())
    assert not ReviewSubmission.objects.exists()


def test_a_review_cannot_be_submitted_before_the_arrangement_is_active(arrangement, executive):
    with pytest.raises(ArrangementError, match="once the arrangement is active"):
        services.review_submit(arrangement=arrangement, by=executive, fields=answers())


def test_a_trust_submits_once_and_changes_only_its_own_until_the_review_is_complete(
    active_arrangement, executive, buddy_executive
):
    mine = services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    with pytest.raises(ArrangementError, match="already submitted"):
        services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    with pytest.raises(ArrangementError, match="only your own trust's review"):
        services.review_submission_update(submission=mine, by=buddy_executive, fields=answers(fit=1))
    services.review_submission_update(submission=mine, by=executive, fields=answers(fit=2))
    mine.refresh_from_db()
    assert mine.fit == 2
    assert mine.history.latest("history_date").history_user == executive
    services.review_submit(arrangement=active_arrangement, by=buddy_executive, fields=answers())
    with pytest.raises(ArrangementError, match="complete"):
        services.review_submission_update(submission=mine, by=executive, fields=answers(fit=5))
    mine.refresh_from_db()
    assert mine.fit == 2


def test_an_issue_specific_buddy_may_submit_but_the_review_does_not_wait_for_it(
    own_trust, buddy_trust, regulator, executive, buddy_executive, finance, before_the_planned_start
):
    second = TrustFactory(ods_code="RD4", name="Specialist Hospitals NHS Trust")
    second_executive = ExecutiveFactory(username="second-buddy", trust=second)
    arrangement = services.arrangement_propose(
        supported=own_trust,
        buddies=[BuddySpec(buddy=buddy_trust), BuddySpec(buddy=second, role="issue-specific", areas=(finance,))],
        title="Finance recovery",
        origin="regulator-suggested",
        tier="targeted",
        planned_start=dt.date(2026, 12, 1),
        planned_end=dt.date(2027, 11, 30),
        by=regulator,
    )
    services.arrangement_agree(arrangement=arrangement, by=regulator)
    terms = draft_terms(arrangement, executive)
    for person in (executive, buddy_executive, second_executive):
        services.terms_sign(terms=terms, by=person)
    arrangement.refresh_from_db()
    services.review_submit(arrangement=arrangement, by=second_executive, fields=answers(outcome="end"))
    services.review_submit(arrangement=arrangement, by=executive, fields=answers())
    assert not Review.objects.get().is_complete  # the lead buddy has not submitted
    services.review_submit(arrangement=arrangement, by=buddy_executive, fields=answers())
    review = Review.objects.get()
    assert review.is_complete and review.outcome == "end"  # the issue-specific buddy's view counts


def test_with_no_lead_buddy_every_buddy_must_submit(own_trust, buddy_trust, regulator, finance):
    second = TrustFactory(ods_code="RD4")
    arrangement = services.arrangement_propose(
        supported=own_trust,
        buddies=[
            BuddySpec(buddy=buddy_trust, role="issue-specific", areas=(finance,)),
            BuddySpec(buddy=second, role="issue-specific", areas=(finance,)),
        ],
        title="Finance recovery",
        origin="regulator-suggested",
        tier="targeted",
        planned_start=dt.date(2026, 12, 1),
        planned_end=dt.date(2027, 11, 30),
        by=regulator,
    )
    parties = selectors.review_parties(arrangement)
    assert [(party, trust.ods_code, required) for party, trust, required in parties] == [
        ("supported", "RA1", True),
        ("buddy", "RC3", True),
        ("buddy", "RD4", True),
    ]


def test_each_submission_tells_the_other_parties_not_the_one_who_submitted(
    active_arrangement, executive, buddy_executive, regulator
):
    Notification.objects.all().delete()
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"buddy-executive", "regulator"}
    note = Notification.objects.get(recipient=buddy_executive)
    assert "complete once Buddy Hospitals NHS Foundation Trust has submitted too" in note.body


def test_regulator_staff_add_a_note_the_trusts_are_told(active_arrangement, executive, regulator):
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    review = Review.objects.get()
    with pytest.raises(ArrangementError):
        services.review_note(review=review, by=executive, note="Mine")
    services.review_note(review=review, by=regulator, note="  Good progress: keep the board sighted  ")
    review.refresh_from_db()
    assert (review.regulator_note, review.regulator_note_by) == ("Good progress: keep the board sighted", regulator)
    assert Notification.objects.filter(recipient=executive, subject__startswith="Regulator's note").exists()


def test_a_review_leaves_an_executives_worklist_once_their_trust_has_submitted(
    active_arrangement, executive, buddy_executive, time_machine
):
    time_machine.move_to(utc(2027, 2, 20, 9))

    def due(person):
        return {item.title: item.count for item in selectors.worklist(person)}["Reviews due within a month"]

    assert (due(executive), due(buddy_executive)) == (1, 1)
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    assert (due(executive), due(buddy_executive)) == (0, 1)


# The reminder sweep -----------------------------------------------------------------------------------------------


def sweep_and_send(moment):
    with time_machine.travel(moment, tick=False):
        reminders_sweep()
    for pk in Reminder.objects.filter(sent_at__isnull=True).values_list("pk", flat=True):
        reminder_send(reminder_id=pk)


def told(subject):
    return set(Notification.objects.filter(subject__startswith=subject).values_list("recipient__username", flat=True))


def test_the_sweep_reminds_only_the_side_that_has_not_submitted(
    active_arrangement, executive, django_capture_on_commit_callbacks
):
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    with django_capture_on_commit_callbacks():
        sweep_and_send(utc(2027, 2, 20, 6, 30))
    assert told("Review due") == {"buddy-executive"}
    with django_capture_on_commit_callbacks():
        sweep_and_send(utc(2027, 3, 5, 6, 30))
    assert told("Review overdue") == {"buddy-executive", "regulator"}
    body = Notification.objects.filter(subject__startswith="Review overdue").first().body
    assert "Still to submit: Buddy Hospitals NHS Foundation Trust." in body


def test_a_complete_review_is_not_reminded(
    active_arrangement, executive, buddy_executive, django_capture_on_commit_callbacks
):
    with time_machine.travel(utc(2027, 2, 20, 6, 30), tick=False), django_capture_on_commit_callbacks():
        reminders_sweep()  # claimed while neither side had submitted ...
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    services.review_submit(arrangement=active_arrangement, by=buddy_executive, fields=answers())
    Notification.objects.all().delete()
    for pk in Reminder.objects.values_list("pk", flat=True):
        reminder_send(reminder_id=pk)  # ... and sent once both had: no one is reminded
    assert not told("Review due")
    assert Reminder.objects.get().sent_at is not None


def test_a_review_reminder_is_still_claimed_once_per_arrangement_and_due_date(
    active_arrangement, executive, django_capture_on_commit_callbacks
):
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    with django_capture_on_commit_callbacks():
        sweep_and_send(utc(2027, 2, 20, 6, 30))
        sweep_and_send(utc(2027, 2, 21, 6, 30))
    assert Reminder.objects.filter(kind="review-due").count() == 1
    assert Notification.objects.filter(subject__startswith="Review due").count() == 1


# The pages --------------------------------------------------------------------------------------------------------


def test_each_side_submits_its_own_review_in_the_browser_form(client, active_arrangement, executive, buddy_executive):
    client.force_login(executive)
    url = reverse("arrangements:review-add", kwargs={"pk": active_arrangement.pk})
    page = client.get(url).content.decode()
    assert "Own Hospitals NHS Trust rates the arrangement" in page
    assert "The buddy trust rates" not in page  # one trust rates only for itself
    response = client.post(url, form_data())
    assert response.status_code == 302
    submission = ReviewSubmission.objects.get()
    assert (submission.trust, submission.relationship, submission.progress, submission.outcome) == (
        executive.trust,
        4,
        2,
        "adjust",
    )
    # Asking again opens your own submission to change it.
    assert client.get(url).url == reverse(
        "arrangements:review-edit", kwargs={"pk": active_arrangement.pk, "submission_pk": submission.pk}
    )


def test_the_reviews_page_shows_who_has_submitted_and_hides_the_answers_from_the_other_side_until_complete(
    client, active_arrangement, executive, buddy_executive, regulator
):
    services.review_submit(
        arrangement=active_arrangement, by=executive, fields=answers(achieved="<script>alert(1)</script>")
    )
    url = reverse("arrangements:tab", kwargs={"pk": active_arrangement.pk, "tab": "reviews"})
    client.force_login(buddy_executive)
    page = client.get(url).content.decode()
    assert "Review due 1 March 2027" in page
    assert "Not submitted" in page and "Submitted" in page
    assert "Submit your trust's review" in page
    assert "You can read it once the review is complete" in page
    assert "alert(1)" not in page
    client.force_login(regulator)
    page = client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "Add a note" in page
    services.review_submit(arrangement=active_arrangement, by=buddy_executive, fields=answers())
    client.force_login(buddy_executive)
    page = client.get(url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Review due 1 June 2027" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"relationship": ""}, "Choose a rating for the relationship"),
        ({"fit": "99999999999999999999"}, "Choose a rating for cultural fit from 1 to 5"),
        ({"held_on_2": "99999999999999999999"}, "The date of the review meeting must have a year of 4 numbers"),
        ({"held_on_0": "31", "held_on_1": "2"}, "The date of the review meeting must be a real date"),
        ({"held_on_2": "2030"}, "The date of the review meeting must be today or in the past"),
        ({"achieved": ""}, "Enter what has been achieved"),
        ({"outcome": "---------"}, "Select what your trust recommends from the list"),
    ],
    ids=["no-rating", "huge-rating", "huge-year", "31-february", "in-the-future", "no-achieved", "bad-outcome"],
)
def test_a_bad_submission_names_the_field_and_changes_nothing(client, active_arrangement, executive, data, message):
    client.force_login(executive)
    response = client.post(reverse("arrangements:review-add", kwargs={"pk": active_arrangement.pk}), form_data(**data))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ReviewSubmission.objects.exists()


PEOPLE = ("anonymous", "regulator", "supported", "buddy", "outsider", "admin")


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


# Changing the supported trust's submission: only its own executives; everyone else finds nothing there.
EDIT_EXPECTED = {"anonymous": 302, "regulator": 404, "supported": 302, "buddy": 404, "outsider": 404, "admin": 404}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_trust_itself_changes_its_submission(client, people, active_arrangement, executive, who):
    submission = services.review_submit(arrangement=active_arrangement, by=executive, fields=answers(fit=4))
    if people[who]:
        client.force_login(people[who])
    url = reverse("arrangements:review-edit", kwargs={"pk": active_arrangement.pk, "submission_pk": submission.pk})
    response = client.post(url, form_data(fit="1"))
    assert response.status_code == EDIT_EXPECTED[who]
    submission.refresh_from_db()
    assert submission.fit == (1 if who == "supported" else 4)
    if who not in {"supported", "anonymous"}:
        assert client.get(url).status_code == 404


# Submitting: each trust for itself; regulator staff are sent back with a message; outsiders find nothing.
SUBMIT_EXPECTED = {"anonymous": 302, "regulator": 302, "supported": 302, "buddy": 302, "outsider": 404, "admin": 302}


@pytest.mark.parametrize("who", PEOPLE)
def test_submitting_a_review_by_persona(client, people, active_arrangement, who):
    if people[who]:
        client.force_login(people[who])
    url = reverse("arrangements:review-add", kwargs={"pk": active_arrangement.pk})
    response = client.post(url, form_data())
    assert response.status_code == SUBMIT_EXPECTED[who]
    made = list(ReviewSubmission.objects.values_list("party", flat=True))
    assert made == ({"supported": ["supported"], "buddy": ["buddy"]}.get(who, []))


NOTE_EXPECTED = {"anonymous": 302, "regulator": 302, "supported": 404, "buddy": 404, "outsider": 404, "admin": 302}


@pytest.mark.parametrize("who", PEOPLE)
def test_only_regulator_staff_add_a_note(client, people, active_arrangement, executive, who):
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    review = Review.objects.get()
    if people[who]:
        client.force_login(people[who])
    url = reverse("arrangements:review-note", kwargs={"pk": active_arrangement.pk, "review_pk": review.pk})
    response = client.post(url, {"note": "Keep going"})
    assert response.status_code == NOTE_EXPECTED[who]
    review.refresh_from_db()
    assert review.regulator_note == ("Keep going" if who in {"regulator", "admin"} else "")
    if who == "anonymous":
        assert response.url.startswith(reverse("login"))


def test_an_empty_note_names_the_field(client, active_arrangement, executive, regulator):
    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    review = Review.objects.get()
    client.force_login(regulator)
    url = reverse("arrangements:review-note", kwargs={"pk": active_arrangement.pk, "review_pk": review.pk})
    assert "Enter the note" in client.post(url, {"note": ""}).content.decode()


def test_the_reviews_page_runs_a_fixed_number_of_queries_whatever_the_number_of_reviews(
    client, active_arrangement, executive, buddy_executive, regulator, django_assert_num_queries
):
    url = reverse("arrangements:tab", kwargs={"pk": active_arrangement.pk, "tab": "reviews"})
    client.force_login(regulator)
    client.get(url)  # warm any per-process caches

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
    services.review_submit(arrangement=active_arrangement, by=buddy_executive, fields=answers())
    one = count()
    for _round in range(3):
        services.review_submit(arrangement=active_arrangement, by=executive, fields=answers())
        services.review_submit(arrangement=active_arrangement, by=buddy_executive, fields=answers())
    assert count() == one
