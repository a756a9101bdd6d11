"""The framework's term rules the pool: a framework goes live only within its term, accreditation ends within it,
and the pages say truthfully whether a member is in matching now. Bad input is a form error, never a crash."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from matching import services
from matching.models import Framework, PoolApplication, PoolDecision
from matching.services import PoolError
from matching.tests.test_pool import apply

pytestmark = pytest.mark.django_db


def _framework(areas, regulator, *, starts, ends, name="Superbuddy framework"):
    framework = services.framework_create(
        by=regulator,
        name=name,
        term_start=starts,
        term_end=ends,
        lots=[areas["finance"], areas["maternity"]],
        fees={"light-touch": 0},
    )
    return services.framework_advance(framework=framework, by=regulator)  # open


def _advance_to_evaluating(framework, regulator):
    return services.framework_advance(framework=framework, by=regulator)


@pytest.fixture
def today():
    return timezone.localdate()


def test_a_framework_cannot_go_live_before_its_term_starts(areas, regulator, today):
    starts = today + dt.timedelta(days=30)
    framework = _advance_to_evaluating(
        _framework(areas, regulator, starts=starts, ends=starts + dt.timedelta(days=700)), regulator
    )

    with pytest.raises(PoolError, match=f"cannot go live before its term starts on {starts:%-d %B %Y}"):
        services.framework_advance(framework=framework, by=regulator)
    framework.refresh_from_db()
    assert framework.status == Framework.Status.EVALUATING


def test_a_framework_cannot_go_live_after_its_term_has_ended(areas, regulator, today):
    framework = _advance_to_evaluating(
        _framework(areas, regulator, starts=today - dt.timedelta(days=400), ends=today - dt.timedelta(days=1)),
        regulator,
    )

    with pytest.raises(PoolError, match="cannot go live: its term ended on"):
        services.framework_advance(framework=framework, by=regulator)


def test_going_live_early_is_refused_on_the_page_with_the_date_it_can(client, areas, regulator, today):
    starts = today + dt.timedelta(days=10)
    framework = _advance_to_evaluating(
        _framework(areas, regulator, starts=starts, ends=starts + dt.timedelta(days=700)), regulator
    )
    client.force_login(regulator)

    page = client.get(framework.get_absolute_url()).content.decode()
    assert f"The framework can go live from {starts:%-d %B %Y}" in page
    response = client.post(reverse("matching:framework-advance", args=[framework.pk]), follow=True)

    assert "cannot go live before its term starts" in response.content.decode()
    framework.refresh_from_db()
    assert framework.status == Framework.Status.EVALUATING


def test_accreditation_must_end_within_the_frameworks_term(registry, areas, regulator, today):
    framework = _framework(areas, regulator, starts=today, ends=today + dt.timedelta(days=365))
    application = apply(framework, registry["oxford"], regulator)

    with pytest.raises(PoolError, match="must be on or before") as refused:
        services.pool_application_accredit(application=application, by=regulator, until=today + dt.timedelta(days=366))

    assert refused.value.field == "until"
    application.refresh_from_db()
    assert application.status == PoolApplication.Status.SUBMITTED


def test_accrediting_past_the_term_is_an_error_on_the_date_field(client, registry, areas, regulator, today):
    ends = today + dt.timedelta(days=365)
    framework = _framework(areas, regulator, starts=today, ends=ends)
    application = apply(framework, registry["oxford"], regulator)
    client.force_login(regulator)
    late = ends + dt.timedelta(days=1)

    response = client.post(
        reverse("matching:application-decide", args=[application.pk, "accredit"]),
        {"until_0": late.day, "until_1": late.month, "until_2": late.year},
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert f"The date the accreditation ends must be on or before {ends:%-d %B %Y}" in page
    assert 'href="#id_until"' in page  # the error summary links to the date field
    application.refresh_from_db()
    assert application.status == PoolApplication.Status.SUBMITTED


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        (("1", "1", "99999999999999999999"), "must have a year of 4 numbers"),
        (("99999999999999999999", "1", "2027"), "must be a real date"),
        (("31", "2", "2027"), "must be a real date"),
        (("", "", ""), "Enter the date the accreditation ends"),
    ],
)
def test_a_wrong_accreditation_date_is_one_error_naming_the_field(
    client, registry, areas, regulator, today, parts, message
):
    framework = _framework(areas, regulator, starts=today, ends=today + dt.timedelta(days=365))
    application = apply(framework, registry["oxford"], regulator)
    client.force_login(regulator)

    response = client.post(
        reverse("matching:application-decide", args=[application.pk, "accredit"]),
        dict(zip(("until_0", "until_1", "until_2"), parts, strict=True)),
    )

    assert response.status_code == 200
    assert response.content.decode().count(message) >= 1
    application.refresh_from_db()
    assert application.status == PoolApplication.Status.SUBMITTED


def test_accredited_while_the_framework_is_open_says_when_the_trust_joins_matching(
    client, registry, areas, regulator, today
):
    framework = _framework(areas, regulator, starts=today, ends=today + dt.timedelta(days=365), name="Pool 2027")
    application = apply(framework, registry["oxford"], regulator)
    client.force_login(regulator)
    until = today + dt.timedelta(days=200)

    response = client.post(
        reverse("matching:application-decide", args=[application.pk, "accredit"]),
        {"until_0": until.day, "until_1": until.month, "until_2": until.year},
        follow=True,
    )

    page = response.content.decode()
    assert "joins matching when Pool 2027 goes live" in page
    assert "in matching now" not in page


def test_accredited_in_a_live_framework_within_its_term_is_in_matching_now(client, registry, areas, regulator, today):
    framework = _framework(areas, regulator, starts=today, ends=today + dt.timedelta(days=365))
    application = apply(framework, registry["oxford"], regulator)
    services.pool_application_accredit(application=application, by=regulator, until=today + dt.timedelta(days=100))
    while framework.status != Framework.Status.LIVE:
        framework = services.framework_advance(framework=framework, by=regulator)
    client.force_login(regulator)

    page = client.get(application.get_absolute_url()).content.decode()

    assert "In the pool and in matching now" in page


@pytest.mark.parametrize(
    ("status", "accredited_until_days", "term_end_days", "expected"),
    [
        ("accredited", 10, 100, "in the pool and in matching now"),
        ("accredited", -1, 100, "not in matching: the accreditation ended on"),
        ("accredited", 10, -1, "not in matching: the term of"),
        ("suspended", 10, 100, "not in matching while the membership is suspended"),
        ("submitted", None, 100, "not in matching: the trust is not an accredited member"),
    ],
)
def test_the_wording_matches_whether_the_member_is_in_matching(
    status, accredited_until_days, term_end_days, expected, today
):
    framework = Framework(
        name="F",
        status=Framework.Status.LIVE,
        term_start=today - dt.timedelta(days=200),
        term_end=today + dt.timedelta(days=term_end_days),
    )
    application = PoolApplication(
        framework=framework,
        status=status,
        accredited_until=None if accredited_until_days is None else today + dt.timedelta(days=accredited_until_days),
    )

    assert services.pool_membership_wording(application=application, day=today).startswith(expected)


def test_a_decision_made_by_no_one_shows_as_by_the_system(client, registry, areas, regulator, today):
    framework = _framework(areas, regulator, starts=today, ends=today + dt.timedelta(days=365))
    application = apply(framework, registry["oxford"], regulator)
    PoolDecision.objects.create(application=application, action=PoolDecision.Action.SUBMITTED, by=None)
    client.force_login(regulator)

    response = client.get(application.get_absolute_url())

    assert response.status_code == 200
    assert "by the system" in response.content.decode()


def _framework_post(areas, **changes):
    today = timezone.localdate()
    data = {
        "name": "Superbuddy framework",
        "term_start_0": today.day,
        "term_start_1": today.month,
        "term_start_2": today.year,
        "term_end_0": today.day,
        "term_end_1": today.month,
        "term_end_2": today.year + 2,
        "lots": [areas["finance"].pk],
        **{f"fee_{tier}": "0" for tier in ("light-touch", "targeted", "intensive", "superbuddy", "acquisition-linked")},
    }
    data.update(changes)
    return data


def test_a_duplicate_framework_name_is_an_error_on_the_name(client, areas, regulator, today):
    _framework(areas, regulator, starts=today, ends=today + dt.timedelta(days=30), name="Superbuddy framework")
    client.force_login(regulator)

    response = client.post(reverse("matching:framework-create"), _framework_post(areas, name="superbuddy FRAMEWORK"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "A framework called superbuddy FRAMEWORK already exists: choose another name" in page
    assert 'href="#id_name"' in page
    assert Framework.objects.count() == 1


def test_the_service_refuses_a_duplicate_name_with_the_field_named(areas, regulator, today):
    _framework(areas, regulator, starts=today, ends=today, name="Pool")

    with pytest.raises(PoolError) as refused:
        services.framework_create(
            by=regulator, name="Pool", term_start=today, term_end=today, lots=[areas["finance"]], fees={}
        )

    assert refused.value.field == "name"


@pytest.mark.parametrize("lot", ["99999999999999999999", "-1", "abc"])
def test_a_huge_or_unknown_lot_is_a_form_error(client, areas, regulator, lot):
    client.force_login(regulator)

    response = client.post(reverse("matching:framework-create"), _framework_post(areas, lots=[lot]))

    assert response.status_code == 200
    assert "Select lots from the list" in response.content.decode()
    assert not Framework.objects.exists()


def test_a_framework_form_left_empty_names_every_field_once(client, regulator):
    client.force_login(regulator)

    page = client.post(reverse("matching:framework-create"), {"name": ""}).content.decode()

    assert "This field is required" not in page
    for message in (
        "Enter a name for the framework",
        "Enter the date the term starts",
        "Enter the date the term ends",
        "Select at least one lot",
    ):
        assert message in page


def test_pool_application_numbers_are_checked_with_messages_naming_the_field(client, executive, areas, regulator):
    framework = _framework(areas, regulator, starts=timezone.localdate(), ends=timezone.localdate())
    client.force_login(executive)

    page = client.post(
        reverse("matching:application-create", args=[framework.pk]),
        {
            "max_concurrent_arrangements": "99",
            "senior_staff_days_per_month": "-1",
            "max_travel_minutes": "ten",
            "services": ["99999999999999999999"],
            f"strength_{areas['finance'].pk}": "4",
            f"evidence_{areas['finance'].pk}": "Good",
        },
    ).content.decode()

    assert "The most trusts you could support at once must be 20 or less" in page
    assert "The senior staff days a month you can give must be 0 or more" in page
    assert "The furthest travel you will accept, in minutes must be a whole number" in page
    assert "Select the incentives the trust needs" in page
    assert "Select services you run from the list" in page
    assert not PoolApplication.objects.exists()


def test_an_application_offering_nothing_is_told_on_the_first_area(client, executive, areas, regulator):
    framework = _framework(areas, regulator, starts=timezone.localdate(), ends=timezone.localdate())
    client.force_login(executive)
    first = next(iter(framework.lots.all()))

    page = client.post(
        reverse("matching:application-create", args=[framework.pk]),
        {
            "max_concurrent_arrangements": "2",
            "senior_staff_days_per_month": "4",
            "max_travel_minutes": "120",
            "incentive": "no-fee",
        },
    ).content.decode()

    assert f'href="#id_strength_{first.pk}">Offer at least one area of expertise' in page
    assert not PoolApplication.objects.exists()
