"""Soundings before procurement: regulator staff ask strong trusts whether they would join a framework and what it
would take; the trusts' executives answer until the sounding closes; the summary counts and costs the answers."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from buddying.models import Notification, OutboxMessage, Region, Trust, User
from buddying.notifications import notification_emails_send
from buddying.tests.factories import ExecutiveFactory, TrustFactory
from buddying.worklist import worklist_for
from matching import services
from matching.models import Sounding, SoundingResponse
from matching.services.soundings import (
    SoundingError,
    sounding_answer,
    sounding_close,
    sounding_open,
    strong_trusts,
)
from matching.sounding_selectors import sounding_summary

pytestmark = pytest.mark.django_db


@pytest.fixture
def framework(areas, regulator):
    return services.framework_create(
        by=regulator,
        name="Superbuddy framework",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[areas["finance"], areas["maternity"]],
        fees={"light-touch": 0, "superbuddy": Decimal(250_000)},
    )


@pytest.fixture
def sounding(framework, regulator, own_trust, other_trust):
    return sounding_open(framework=framework, by=regulator, title="Would you join?", trusts=[own_trust, other_trust])


def response_of(sounding, trust):
    return SoundingResponse.objects.get(sounding=sounding, trust=trust)


def answer(sounding, trust, by, **changes):
    values = {
        "willingness": "yes",
        "max_concurrent_arrangements": 2,
        "areas": [sounding.framework.lots.get(slug="finance")],
        "incentive": "fee",
        "fee_amount": Decimal(300_000),
        "reason": "We need to backfill senior posts",
    }
    values.update(changes)
    return sounding_answer(response=response_of(sounding, trust), by=by, **values)


# Opening -----------------------------------------------------------------------------------------------------------


def test_opening_a_sounding_asks_each_trust_once_and_tells_their_executives_in_the_app_and_by_email(
    framework, regulator, own_trust, other_trust, executive, other_executive
):
    sounding = sounding_open(
        framework=framework,
        by=regulator,
        title="Would you join?",
        reply_by=timezone.localdate() + dt.timedelta(days=14),
        trusts=[own_trust, other_trust, own_trust],
    )
    assert sorted(sounding.responses.values_list("trust__ods_code", flat=True)) == ["RA1", "RB2"]
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"executive", "other-executive"}
    assert Notification.objects.filter(url=sounding.get_absolute_url()).count() == 2
    # The emails go through the outbox to a worker (buddying.notifications); here the worker's service sends them.
    queued = OutboxMessage.objects.get(task_name="buddying.tasks.send_notification_emails")
    assert notification_emails_send(notification_ids=queued.args[0]) == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted([executive.email, other_executive.email])
    assert sounding.history.get().history_user == regulator


def test_only_regulator_staff_open_a_sounding(framework, executive, own_trust):
    with pytest.raises(SoundingError, match="Only regulator staff"):
        sounding_open(framework=framework, by=executive, title="Join?", trusts=[own_trust])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"trusts": []}, "trusts"),
        ({"title": "  "}, "title"),
        ({"reply_by": dt.date(2020, 1, 1)}, "reply_by"),
    ],
)
def test_a_sounding_needs_a_title_a_trust_and_a_reply_by_date_not_past(framework, regulator, own_trust, changes, field):
    values = {"framework": framework, "by": regulator, "title": "Join?", "trusts": [own_trust]} | changes
    with pytest.raises(SoundingError) as refused:
        sounding_open(**values)
    assert refused.value.field == field


def test_strong_trusts_are_open_rated_good_or_outstanding_and_not_receiving_support(db):
    strong = TrustFactory(name="Strong", cqc_rating="outstanding")
    TrustFactory(name="Requires improvement", cqc_rating="requires-improvement")
    TrustFactory(name="In special measures", in_special_measures=True)
    TrustFactory(name="Segment 4", oversight_segment=4)
    TrustFactory(name="Closed", closed_on=dt.date(2020, 1, 1))
    assert list(strong_trusts()) == [strong]


# Answering ---------------------------------------------------------------------------------------------------------


def test_an_executive_answers_and_may_change_the_answer_until_the_sounding_closes(
    sounding, own_trust, executive, regulator
):
    answer(sounding, own_trust, executive)
    changed = answer(
        sounding,
        own_trust,
        executive,
        willingness="maybe",
        incentive="acquisition-first-refusal",
        fee_amount=None,
        max_concurrent_arrangements=1,
    )
    assert (changed.willingness, changed.incentive, changed.fee_amount) == ("maybe", "acquisition-first-refusal", None)
    # The history keeps who asked, who answered and who changed the answer (a change of areas is a record too).
    history = list(changed.history.order_by("history_date", "history_id"))
    assert (history[0].history_type, history[0].history_user, history[0].willingness) == ("+", regulator, "")
    assert ("Answered", executive, "yes") in [(h.history_change_reason, h.history_user, h.willingness) for h in history]
    assert (history[-1].history_change_reason, history[-1].history_user, history[-1].willingness) == (
        "Changed the answer",
        executive,
        "maybe",
    )
    sounding_close(sounding=sounding, by=regulator)
    with pytest.raises(SoundingError, match="closed"):
        answer(sounding, own_trust, executive, willingness="no", reason="Board said no")
    assert response_of(sounding, own_trust).willingness == "maybe"


def test_a_no_keeps_only_its_reason(sounding, own_trust, executive):
    answer(sounding, own_trust, executive)
    no = answer(sounding, own_trust, executive, willingness="no", reason="No capacity this year")
    assert (no.max_concurrent_arrangements, no.incentive, no.fee_amount, list(no.areas.all())) == (None, "", None, [])


def test_an_executive_cannot_answer_for_another_trust(sounding, other_trust, executive):
    with pytest.raises(SoundingError, match="Only an executive of the trust asked"):
        answer(sounding, other_trust, executive)


def test_regulator_staff_cannot_answer_for_a_trust(sounding, own_trust, regulator):
    with pytest.raises(SoundingError, match="Only an executive"):
        answer(sounding, own_trust, regulator)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"willingness": ""}, "willingness", "Select whether your trust would join"),
        ({"max_concurrent_arrangements": None}, "max_concurrent_arrangements", "Enter the most trusts"),
        ({"max_concurrent_arrangements": 21}, "max_concurrent_arrangements", "between 1 and 20"),
        ({"areas": []}, "areas", "Select at least one area"),
        ({"incentive": ""}, "incentive", "Select the incentive"),
        ({"fee_amount": None}, "fee_amount", "Enter the annual fee"),
        ({"fee_amount": Decimal(0)}, "fee_amount", "more than £0"),
        ({"incentive": "none"}, "fee_amount", "Leave the annual fee empty"),
        ({"willingness": "no", "reason": ""}, "reason", "Enter why your trust would not join"),
    ],
)
def test_an_incomplete_answer_is_refused_naming_the_field(sounding, own_trust, executive, changes, field, message):
    with pytest.raises(SoundingError, match=message) as refused:
        answer(sounding, own_trust, executive, **changes)
    assert refused.value.field == field
    assert not response_of(sounding, own_trust).is_answered


def test_an_area_outside_the_framework_is_refused(sounding, own_trust, executive):
    from buddying.tests.factories import ExpertiseAreaFactory

    with pytest.raises(SoundingError, match="from the list"):
        answer(sounding, own_trust, executive, areas=[ExpertiseAreaFactory(slug="estates", name="Estates")])


def test_the_database_requires_a_fee_amount_exactly_when_the_incentive_is_a_fee(sounding, own_trust):
    response = response_of(sounding, own_trust)
    base = {"willingness": "yes", "max_concurrent_arrangements": 1, "answered_at": timezone.now()}
    for fields in ({"incentive": "fee", "fee_amount": None}, {"incentive": "none", "fee_amount": Decimal(5)}):
        with pytest.raises(IntegrityError), transaction.atomic():
            SoundingResponse.objects.filter(pk=response.pk).update(**base, **fields)


def test_closing_twice_is_refused_and_only_regulator_staff_close(sounding, regulator, executive):
    with pytest.raises(SoundingError, match="Only regulator staff"):
        sounding_close(sounding=sounding, by=executive)
    closed = sounding_close(sounding=sounding, by=regulator)
    assert (closed.status, closed.closed_by) == ("closed", regulator)
    with pytest.raises(SoundingError, match="closed"):
        sounding_close(sounding=sounding, by=regulator)


def test_str_names_the_sounding_and_the_answer(sounding, own_trust, executive):
    assert str(sounding) == "Would you join? (open)"
    assert str(response_of(sounding, own_trust)) == "Own Hospitals NHS Trust in Would you join?: no answer yet"
    answer(sounding, own_trust, executive, willingness="maybe")
    assert str(response_of(sounding, own_trust)) == "Own Hospitals NHS Trust in Would you join?: maybe"


# The summary --------------------------------------------------------------------------------------------------------


def test_the_summary_counts_willingness_by_area_and_region_and_costs_fees_against_the_scale(
    framework, regulator, areas
):
    london = TrustFactory(name="A London", region=Region.LONDON)
    north = TrustFactory(name="B North", region=Region.NORTH_WEST)
    midlands = TrustFactory(name="C Midlands", region=Region.MIDLANDS)
    silent = TrustFactory(name="D Silent", region="")
    sounding = sounding_open(framework=framework, by=regulator, title="Join?", trusts=[london, north, midlands, silent])
    for trust, changes in (
        (london, {"max_concurrent_arrangements": 2, "fee_amount": Decimal(300_000)}),
        (
            north,
            {
                "willingness": "maybe",
                "max_concurrent_arrangements": 3,
                "areas": [areas["finance"], areas["maternity"]],
                "incentive": "acquisition-first-refusal",
                "fee_amount": None,
            },
        ),
        (midlands, {"willingness": "no", "reason": "Stretched already"}),
    ):
        answer(sounding, trust, ExecutiveFactory(trust=trust), **changes)

    summary = sounding_summary(sounding=sounding)

    assert (summary.overall.yes, summary.overall.maybe, summary.overall.no, summary.overall.waiting) == (1, 1, 1, 1)
    by_area = {tally.label: (tally.yes, tally.maybe, tally.places_yes, tally.places_maybe) for tally in summary.by_area}
    assert by_area == {"Finance": (1, 1, 2, 3), "Maternity": (0, 1, 0, 3)}
    by_region = {tally.label: (tally.yes, tally.maybe, tally.no, tally.waiting) for tally in summary.by_region}
    assert by_region == {
        "London": (1, 0, 0, 0),
        "Midlands": (0, 0, 1, 0),
        "North West": (0, 1, 0, 0),
        "Region not recorded": (0, 0, 0, 1),
    }
    # 2 places at £300,000 asked, against 2 places at the scale's £250,000 for superbuddy support.
    assert summary.scale_fee == Decimal(250_000)
    assert (summary.fees_asked_total, summary.fees_scale_total, summary.fees_difference) == (
        Decimal(600_000),
        Decimal(500_000),
        Decimal(100_000),
    )
    assert dict(summary.incentive_counts)["First refusal on acquiring the supported trust"] == 1
    assert [response.trust for response in summary.first_refusals] == [north]
    assert summary.places_without_fee == 3


def test_fees_are_not_set_against_a_scale_that_does_not_price_the_tier(framework, regulator, own_trust, executive):
    sounding = sounding_open(framework=framework, by=regulator, title="Join?", tier="targeted", trusts=[own_trust])
    answer(sounding, own_trust, executive, max_concurrent_arrangements=2, fee_amount=Decimal(1000))
    summary = sounding_summary(sounding=sounding)
    assert (summary.scale_fee, summary.fees_asked_total, summary.fees_scale_total) == (None, Decimal(2000), None)
    assert summary.fees[0].difference is None


# The worklist ------------------------------------------------------------------------------------------------------


def test_executives_see_soundings_to_answer_and_regulators_soundings_open_with_replies_in(
    sounding, own_trust, executive, other_executive, regulator
):
    def titles(user):
        return {item.title: (item.count, item.detail) for item in worklist_for(user)}

    assert titles(executive)["Soundings to answer"] == (1, "")
    assert titles(regulator)["Soundings open"] == (1, "0 of 2 trusts asked have replied")
    answer(sounding, own_trust, executive)
    assert "Soundings to answer" not in titles(executive)
    assert titles(other_executive)["Soundings to answer"] == (1, "")
    assert titles(regulator)["Soundings open"] == (1, "1 of 2 trusts asked have replied")
    sounding_close(sounding=sounding, by=regulator)
    assert "Soundings open" not in titles(regulator)
    assert "Soundings to answer" not in titles(other_executive)


# Pages --------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "summary", "answer_form", "close"),
    [
        ("anonymous", 302, 302, 302),
        ("regulator", 200, 404, 302),
        ("admin", 200, 404, 302),
        ("executive", 200, 200, 404),
        ("other_executive", 200, 200, 404),
    ],
)
def test_who_sees_what(client, persona, sounding, who, summary, answer_form, close):
    user = persona[who]
    if user is not None:
        client.force_login(user)
    assert client.get(reverse("matching:sounding-detail", args=[sounding.pk])).status_code == summary
    assert client.get(reverse("matching:sounding-answer", args=[sounding.pk])).status_code == answer_form
    create = reverse("matching:sounding-create", args=[sounding.framework_id])
    assert client.get(create).status_code == (200 if who in {"regulator", "admin"} else 302 if user is None else 404)
    assert client.post(reverse("matching:sounding-close", args=[sounding.pk])).status_code == close


@pytest.mark.parametrize(
    ("who", "all_soundings", "framework_soundings"),
    [
        ("anonymous", 302, 302),
        ("regulator", 200, 200),
        ("admin", 200, 200),
        ("executive", 200, 404),
        ("other_executive", 200, 404),
    ],
)
def test_who_sees_the_lists(client, persona, sounding, who, all_soundings, framework_soundings):
    user = persona[who]
    if user is not None:
        client.force_login(user)
    assert client.get(reverse("matching:sounding-list")).status_code == all_soundings
    framework_list = reverse("matching:framework-soundings", args=[sounding.framework_id])
    assert client.get(framework_list).status_code == framework_soundings


def test_an_executive_of_a_trust_not_asked_gets_404_for_the_sounding(client, framework, regulator, own_trust):
    sounding = sounding_open(framework=framework, by=regulator, title="Join?", trusts=[own_trust])
    outsider = ExecutiveFactory(trust=TrustFactory())
    client.force_login(outsider)
    for name in ("matching:sounding-detail", "matching:sounding-answer"):
        assert client.get(reverse(name, args=[sounding.pk])).status_code == 404
    assert (
        client.post(reverse("matching:sounding-answer", args=[sounding.pk]), {"willingness": "no"}).status_code == 404
    )
    assert b"Join?" not in client.get(reverse("matching:sounding-list")).content


def test_the_answer_form_names_each_field_in_error_and_saves_a_good_answer(client, sounding, executive, areas):
    client.force_login(executive)
    url = reverse("matching:sounding-answer", args=[sounding.pk])
    response = client.post(url, {"willingness": "yes", "incentive": "fee", "fee_amount": "abc"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["fee_amount"] == ["The annual fee must be a number"]
    response = client.post(url, {"willingness": "yes", "incentive": "fee"})
    errors = response.context["form"].errors
    assert errors["max_concurrent_arrangements"] == ["Enter the most trusts you could support at once"]
    assert errors["areas"] == ["Select at least one area of expertise you would offer"]
    assert errors["fee_amount"] == ["Enter the annual fee you would need for each trust you support"]
    response = client.post(
        url,
        {
            "willingness": "yes",
            "max_concurrent_arrangements": "2",
            "areas": [areas["finance"].pk],
            "incentive": "fee",
            "fee_amount": "12000",
            "reason": "Backfill",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("matching:sounding-detail", args=[sounding.pk]))
    assert "£12,000 a year for each trust supported" in page.content.decode()


def test_after_close_the_answer_is_read_only(client, sounding, executive, regulator):
    sounding_close(sounding=sounding, by=regulator)
    client.force_login(executive)
    url = reverse("matching:sounding-answer", args=[sounding.pk])
    response = client.post(url, {"willingness": "no", "reason": "Too late"}, follow=True)
    assert "your answer can no longer change" in response.content.decode()
    assert not SoundingResponse.objects.filter(willingness="no").exists()
    assert "Answer the sounding" not in response.content.decode()


def test_the_regulator_opens_a_sounding_of_all_strong_trusts_from_the_form(client, regulator, framework):
    strong = [TrustFactory(cqc_rating="outstanding"), TrustFactory(cqc_rating="good")]
    TrustFactory(cqc_rating="inadequate", in_special_measures=True)
    client.force_login(regulator)
    response = client.post(
        reverse("matching:sounding-create", args=[framework.pk]),
        {"title": "Join?", "tier": "superbuddy", "audience": "all-strong"},
    )
    sounding = Sounding.objects.get()
    assert response.url == sounding.get_absolute_url()
    assert set(sounding.responses.values_list("trust_id", flat=True)) == {trust.pk for trust in strong}


def test_choosing_selected_trusts_without_ticking_any_names_the_field(client, regulator, framework):
    client.force_login(regulator)
    response = client.post(
        reverse("matching:sounding-create", args=[framework.pk]),
        {"title": "Join?", "tier": "superbuddy", "audience": "selected"},
    )
    assert response.context["form"].errors["trusts"] == ["Select at least one trust to ask"]
    assert not Sounding.objects.exists()


def test_the_summary_csv_lists_every_trust_asked(client, sounding, regulator, own_trust, executive):
    answer(sounding, own_trust, executive)
    client.force_login(regulator)
    response = client.get(reverse("matching:sounding-detail", args=[sounding.pk]) + "?format=csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("ODS code,Trust,Region,Answer")
    assert lines[1].startswith("RB2,Other Hospitals NHS Trust,London,No answer yet")
    assert lines[2].startswith("RA1,Own Hospitals NHS Trust,London,Yes,2,Finance,A fee,300000.00")


# Query counts -------------------------------------------------------------------------------------------------------

# Session, user and notification count (3), plus the page's own reads.
SUMMARY_QUERIES = 3 + 5  # the sounding; the fee for its tier; the lots; the answers with trusts; their areas
LIST_QUERIES = 3 + 2  # the framework; its soundings with their reply counts
EXECUTIVE_LIST_QUERIES = 3 + 1 + 1  # the header's trust; the trust's place in each sounding


def many_answers(framework, regulator, count):
    trusts = [TrustFactory(region=[Region.LONDON, Region.MIDLANDS][n % 2]) for n in range(count)]
    sounding = sounding_open(framework=framework, by=regulator, title="Join?", trusts=trusts)
    for n, trust in enumerate(trusts):
        answer(sounding, trust, ExecutiveFactory(trust=trust), willingness=["yes", "maybe"][n % 2])
    return sounding


@pytest.mark.parametrize("count", [2, 20])
def test_the_summary_and_the_lists_run_the_same_queries_whatever_the_number_of_answers(
    client, framework, regulator, django_assert_num_queries, count
):
    sounding = many_answers(framework, regulator, count)
    sounding_open(framework=framework, by=regulator, title="Another", trusts=Trust.objects.all()[:count])
    client.force_login(regulator)
    with django_assert_num_queries(SUMMARY_QUERIES):
        response = client.get(reverse("matching:sounding-detail", args=[sounding.pk]))
    assert len(response.context["summary"].responses) == count
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("matching:framework-soundings", args=[framework.pk]))
    assert len(response.context["soundings"]) == 2
    executive = ExecutiveFactory(trust=sounding.responses.first().trust)
    client.force_login(executive)
    with django_assert_num_queries(EXECUTIVE_LIST_QUERIES):
        response = client.get(reverse("matching:sounding-list"))
    assert len(response.context["responses"]) == 2


def test_the_demo_has_an_open_sounding_with_a_few_answers_of_each_kind(client):
    from django.core.management import call_command

    call_command("seed_demo", stdout=io.StringIO())
    sounding = Sounding.objects.get()
    assert sounding.is_open and sounding.framework.status == "draft"
    answers = set(sounding.responses.exclude(willingness="").values_list("willingness", "incentive"))
    assert {("yes", "fee"), ("maybe", "acquisition-first-refusal"), ("no", "")} <= answers
    assert sounding.responses.filter(willingness="").exists()
    client.force_login(User.objects.get(username="regulator"))
    assert "The cost of the incentives asked for" in client.get(sounding.get_absolute_url()).content.decode()


# Reply-by reminders (the daily sweep) -------------------------------------------------------------------------------


def test_the_daily_sweep_reminds_only_the_trusts_yet_to_answer_before_and_after_the_reply_by_date_once_each(
    framework, regulator, own_trust, other_trust, executive, other_executive
):
    from arrangements.reminders import reminders_sweep

    today = timezone.localdate()
    reply_by = today + dt.timedelta(days=10)
    sounding = sounding_open(
        framework=framework, by=regulator, title="Would you join?", trusts=[own_trust, other_trust], reply_by=reply_by
    )
    answer(sounding, other_trust, other_executive)
    Notification.objects.all().delete()

    def reminded():
        return sorted((n.recipient.username, n.subject.split(":")[0]) for n in Notification.objects.all())

    reminders_sweep(today=today)  # ten days ahead: too early
    assert reminded() == []
    reminders_sweep(today=reply_by - dt.timedelta(days=2))
    reminders_sweep(today=reply_by - dt.timedelta(days=1))  # the same reminder is not sent again
    assert reminded() == [(executive.username, f"Please answer by {reply_by.day} {reply_by:%B %Y}")]
    reminders_sweep(today=reply_by + dt.timedelta(days=1))
    reminders_sweep(today=reply_by + dt.timedelta(days=5))
    assert [subject for _, subject in reminded()].count("Answer overdue") == 1

    # Once answered, or closed, nobody is reminded again, even with a new date.
    Notification.objects.all().delete()
    Sounding.objects.filter(pk=sounding.pk).update(reply_by=reply_by + dt.timedelta(days=20))
    sounding_close(sounding=sounding, by=regulator)
    Notification.objects.all().delete()  # the "Sounding closed" messages
    reminders_sweep(today=reply_by + dt.timedelta(days=19))
    assert reminded() == []
