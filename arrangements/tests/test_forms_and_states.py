"""What an arrangement's pages say is true of its state, and its forms answer bad input with errors that name the
field: no next review once it has ended, one error for a date typed wrong, issue-specific buddies chosen by area."""

import pytest
from django.urls import reverse

from arrangements import services
from arrangements.models import Arrangement, ArrangementBuddy
from buddying.tests.factories import TrustFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


def _end(arrangement, how, by):
    if how == "completed":
        return services.arrangement_complete(arrangement=arrangement, by=by, notes="Objectives met")
    return services.arrangement_terminate(
        arrangement=arrangement, by=by, reason="poor-cultural-fit", notes="", handover="The ICB picks it up"
    )


@pytest.mark.parametrize("how", ["completed", "terminated"])
def test_an_ended_arrangement_has_no_next_review_anywhere(client, active_arrangement, regulator, how, monkeypatch):
    monkeypatch.setattr("reports.exports.render_pdf", lambda html: html.encode())  # read the pack as its HTML
    assert active_arrangement.next_review_due is not None
    _end(active_arrangement, how, regulator)
    active_arrangement.refresh_from_db()
    client.force_login(regulator)

    overview = client.get(active_arrangement.get_absolute_url()).content.decode()
    listing = client.get(reverse("arrangements:list")).content.decode()
    register = client.get(reverse("reports:register")).content.decode()
    pack = client.get(reverse("reports:pack", args=[active_arrangement.pk])).content.decode()

    assert active_arrangement.next_review_due is None
    assert "Next review due" not in overview
    assert "Set when the arrangement becomes active" not in overview
    assert "no more reviews are due" in overview
    assert "Next review due" not in pack
    assert "Next review " not in register.split("<tbody", 1)[1]
    assert active_arrangement.title in listing


def test_a_declined_proposal_does_not_say_its_dates_will_be_set(client, arrangement, regulator):
    services.arrangement_decline(arrangement=arrangement, by=regulator, reason="Not the right buddy")
    client.force_login(regulator)

    overview = client.get(arrangement.get_absolute_url()).content.decode()

    assert "Set when the arrangement becomes active" not in overview
    assert "Declined on" in overview


def test_a_proposal_says_its_first_review_is_set_when_it_becomes_active(client, arrangement, regulator):
    client.force_login(regulator)

    overview = client.get(arrangement.get_absolute_url()).content.decode()

    assert "Set when the arrangement becomes active" in overview


def test_an_active_arrangement_shows_its_next_review(client, active_arrangement, regulator):
    client.force_login(regulator)

    overview = client.get(active_arrangement.get_absolute_url()).content.decode()

    assert f"{active_arrangement.next_review_due:%-d %B %Y}" in overview


def _terms_post(**changes):
    data = {
        "objective_1": "Agree a deficit plan",
        "output_1": "Plan approved",
        "target_1_0": "31",
        "target_1_1": "3",
        "target_1_2": "2027",
        "scope": "Finance",
        "supported_commitments": "Two days",
        "buddy_commitments": "Two days",
        "governance": "Boards",
        "termination_terms": "A month's notice",
        "review_every_months": "3",
        "fee": "0",
        "who_pays": "cost-neutral",
        "meeting_cadence": "monthly",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"target_1_0": HUGE}, "Target date for objective 1 must be a real date"),
        ({"target_1_2": HUGE}, "Target date for objective 1 must have a year of 4 numbers"),
        ({"target_1_1": ""}, "Target date for objective 1 must include a month"),
        ({"fee": "lots"}, "The fee must be a number"),
        ({"review_every_months": "x"}, "How often the arrangement is reviewed, in months must be a whole number"),
        ({"who_pays": ""}, "Select who pays"),
    ],
)
def test_terms_typed_wrong_are_one_error_naming_the_field(client, arrangement, regulator, executive, changes, message):
    services.arrangement_agree(arrangement=arrangement, by=regulator)
    client.force_login(executive)

    response = client.post(reverse("arrangements:terms-edit", args=[arrangement.pk]), _terms_post(**changes))

    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "This field is required" not in page
    assert not arrangement.terms_versions.exists()


def test_terms_radios_have_no_blank_option(client, arrangement, regulator, executive):
    services.arrangement_agree(arrangement=arrangement, by=regulator)
    client.force_login(executive)

    page = client.get(reverse("arrangements:terms-edit", args=[arrangement.pk])).content.decode()

    assert "---------" not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_0", HUGE, "The date of the input must be a real date"),
        ("date_2", HUGE, "The date of the input must have a year of 4 numbers"),
        ("fee", "1.234", "The fee must have no more than 2 decimal places"),
    ],
)
def test_an_input_typed_wrong_is_an_error_naming_the_field(
    client, active_arrangement, executive, field, value, message
):
    client.force_login(executive)
    data = {
        "kind": "visit",
        "date_0": "1",
        "date_1": "2",
        "date_2": "2027",
        "description": "Board visit",
        "people_supported": "2",
        "people_buddy": "2",
        "staff_days": "1",
        field: value,
    }

    response = client.post(reverse("arrangements:input-add", args=[active_arrangement.pk]), data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not active_arrangement.inputs.exists()


def _propose_post(lead, **changes):
    data = {
        "title": "Finance recovery",
        "lead_buddy": lead.pk,
        "tier": "targeted",
        "origin": "self-proposed",
        "planned_start_0": "1",
        "planned_start_1": "3",
        "planned_start_2": "2027",
        "planned_end_0": "1",
        "planned_end_1": "3",
        "planned_end_2": "2028",
    }
    data.update(changes)
    return data


def test_the_propose_form_has_a_checkbox_per_area_and_no_multiple_select(client, executive, finance):
    client.force_login(executive)

    page = client.get(reverse("arrangements:propose")).content.decode()

    assert "<select multiple" not in page and "multiple>" not in page
    assert f'name="issue_areas" type="checkbox" value="{finance.pk}"' in page
    assert "Buddy trust for finance" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issue_areas": [HUGE]}, "Select issue-specific buddies (optional) from the list"),
        ({"issue_areas": ["-1"]}, "Select issue-specific buddies (optional) from the list"),
        ({"lead_buddy": HUGE}, "Select the lead buddy from the list"),
        ({"planned_start_2": HUGE}, "The planned start date must have a year of 4 numbers"),
        ({"planned_start_0": HUGE}, "The planned start date must be a real date"),
    ],
)
def test_a_proposal_with_impossible_values_is_a_form_error(client, regulator, buddy_trust, own_trust, changes, message):
    client.force_login(regulator)

    response = client.post(
        reverse("arrangements:propose"), _propose_post(buddy_trust, supported=own_trust.pk, **changes)
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Arrangement.objects.exists()


def test_an_area_ticked_without_a_trust_asks_for_the_trust(client, regulator, buddy_trust, own_trust, finance):
    client.force_login(regulator)

    response = client.post(
        reverse("arrangements:propose"),
        _propose_post(buddy_trust, supported=own_trust.pk, issue_areas=[finance.pk]),
    )

    page = response.content.decode()
    assert "Select the buddy trust for finance" in page
    assert f'href="#id_issue_buddy_{finance.pk}"' in page
    assert not Arrangement.objects.exists()


def test_an_issue_specific_buddy_is_recorded_for_its_area(client, regulator, buddy_trust, own_trust, finance):
    helper = TrustFactory(name="Helper Hospitals NHS Trust", ods_code="RD4")
    client.force_login(regulator)

    response = client.post(
        reverse("arrangements:propose"),
        _propose_post(
            buddy_trust, supported=own_trust.pk, issue_areas=[finance.pk], **{f"issue_buddy_{finance.pk}": helper.pk}
        ),
    )

    assert response.status_code == 302
    entry = ArrangementBuddy.objects.get(buddy=helper)
    assert entry.role == ArrangementBuddy.Role.ISSUE_SPECIFIC
    assert list(entry.areas.all()) == [finance]


def test_the_lead_buddy_cannot_also_be_an_issue_specific_buddy(client, regulator, buddy_trust, own_trust, finance):
    client.force_login(regulator)

    page = client.post(
        reverse("arrangements:propose"),
        _propose_post(
            buddy_trust,
            supported=own_trust.pk,
            issue_areas=[finance.pk],
            **{f"issue_buddy_{finance.pk}": buddy_trust.pk},
        ),
    ).content.decode()

    assert "is the lead buddy already: choose another trust for finance" in page
    assert not Arrangement.objects.exists()


def test_a_milestone_due_date_typed_wrong_is_one_error(client, active_arrangement, executive, finance):
    workstream = services.workstream_add(
        arrangement=active_arrangement,
        by=executive,
        area=finance,
        buddy=None,
        supported_lead="A",
        buddy_lead="B",
    )
    client.force_login(executive)

    response = client.post(
        reverse("arrangements:milestone-add", args=[active_arrangement.pk, workstream.pk]),
        {"title": "Plan", "due_date_0": "1", "due_date_1": HUGE, "due_date_2": "2027"},
    )

    assert response.status_code == 200
    assert "The due date must be a real date" in response.content.decode()
    assert not workstream.milestones.exists()
