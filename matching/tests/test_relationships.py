"""Known relationships in recorded runs: the bonus's default comes from settings, only confirmed relationships
count, and the shortlist, fit check and command say what each added."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from buddying import services as registry
from buddying.models import TrustRelationship
from buddying.tests.factories import ExecutiveFactory
from matching.services import fit_check, match_settings_build, shortlist_run

pytestmark = pytest.mark.django_db

REASON = "Chief executives or chairs have worked together (confirmed by both trusts): adds 5 points to the score"


def confirmed_between(supported, candidate):
    relationship = registry.relationship_create(
        by=ExecutiveFactory(trust=supported),
        trust=supported,
        other=candidate,
        kind=TrustRelationship.Kind.LEADERS_WORKED_TOGETHER,
    )
    return registry.relationship_confirm(relationship=relationship, by=ExecutiveFactory(trust=candidate))


def ranked_by_code(run):
    return {candidate["ods_code"]: candidate for candidate in run.results["ranked"]}


def test_the_default_bonus_is_the_setting_in_points_out_of_100_whatever_the_units_of_the_weights(settings):
    assert match_settings_build().weights.relationship_bonus() == pytest.approx(0.05)
    percent = {"cultural_fit": 35, "expertise": 30, "geography": 15, "capacity": 12, "structure": 8}
    assert match_settings_build(weights=percent).weights.relationship_bonus() == pytest.approx(0.05)
    settings.MATCH_RELATIONSHIP_WEIGHT = 0
    assert match_settings_build().weights.relationship == 0
    assert match_settings_build(weights={"relationship": 0.1}).weights.relationship_bonus() == pytest.approx(0.1)


def test_a_pending_relationship_adds_nothing_and_a_confirmed_one_adds_the_bonus(registry_with_relationship):
    trusts, relationship = registry_with_relationship
    supported, southampton = trusts["supported"], trusts["southampton"]
    before = ranked_by_code(shortlist_run(trust=supported, by=None, settings=match_settings_build()))
    assert [c["name"] for c in before["RX2"]["criteria"]][-1] == "structure"

    registry.relationship_confirm(relationship=relationship, by=ExecutiveFactory(trust=southampton))
    run = shortlist_run(trust=supported, by=None, settings=match_settings_build())
    after = ranked_by_code(run)
    bonus = after["RX2"]["criteria"][-1]
    assert (bonus["name"], bonus["label"], bonus["contribution"], bonus["reason"]) == (
        "relationship",
        "Known relationship",
        0.05,
        REASON,
    )
    assert after["RX2"]["total"] == pytest.approx(before["RX2"]["total"] + 0.05, abs=1e-4)
    assert after["RX1"]["total"] == before["RX1"]["total"]  # no relationship: nothing taken away
    assert run.results["relationship_bonus"] == 0.05
    assert run.settings["weights"]["relationship"] == pytest.approx(0.05)


@pytest.fixture
def registry_with_relationship(registry):
    """The matching registry, with a relationship Southbank's executive entered with Southampton, still pending."""
    relationship = registry_entry(registry["supported"], registry["southampton"])
    return registry, relationship


def registry_entry(supported, candidate):
    return registry.relationship_create(
        by=ExecutiveFactory(trust=supported),
        trust=supported,
        other=candidate,
        kind=TrustRelationship.Kind.LEADERS_WORKED_TOGETHER,
    )


def test_the_explorer_form_sets_the_bonus_for_one_run(client, regulator, registry):
    confirmed_between(registry["supported"], registry["southampton"])
    client.force_login(regulator)
    weights = {"cultural_fit": 35, "expertise": 30, "geography": 15, "capacity": 12, "structure": 8}
    response = client.post(
        reverse("matching:explorer", kwargs={"ods_code": "RS9"}),
        {
            **{f"weight_{name}": str(value) for name, value in weights.items()},
            "weight_relationship": "8",
            "min_distance_km": "25",
            "ideal_max_minutes": "120",
            "max_minutes": "180",
            "size": "10",
            "team_size": "3",
        },
        follow=True,
    )
    page = response.content.decode()
    assert "A relationship both trusts confirmed adds 8 points." in page
    assert "adds 8 points to the score" in page
    assert 'value="8' in page  # the form keeps the weight for the next run


def test_a_fit_check_explains_the_relationship(registry):
    confirmed_between(registry["supported"], registry["southampton"])
    (check,) = fit_check(trust=registry["supported"], candidates=[registry["southampton"]])
    assert check["criteria"][-1]["reason"] == REASON


def test_the_command_takes_a_relationship_weight(registry, capsys):
    confirmed_between(registry["supported"], registry["southampton"])
    call_command("shortlist", "RS9", "--relationship-points", "8", "--json")
    document = json.loads(capsys.readouterr().out)
    assert document["settings"]["weights"]["relationship"] == 0.08
    southampton = next(c for c in document["results"]["ranked"] if c["ods_code"] == "RX2")
    assert southampton["criteria"][-1]["reason"].endswith("adds 8 points to the score")
