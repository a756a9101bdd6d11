import io
import json

import pytest
from django.core.management import CommandError, call_command

from buddying.tests.factories import TrustFactory
from matching.models import MatchRun

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_shortlist_json_has_scores_breakdown_reasons_and_exclusions(registry):
    document = json.loads(run("shortlist", "RS9", "--json", "-k", "2"))
    assert document["kind"] == "shortlist"
    assert document["supported"] == {"ods_code": "RS9", "name": "Southbank Hospitals NHS Trust"}
    assert document["settings"]["weights"]["cultural_fit"] == 0.35
    ranked = document["results"]["ranked"]
    assert len(ranked) == 2
    assert [criterion["name"] for criterion in ranked[0]["criteria"]] == [
        "cultural_fit",
        "expertise",
        "geography",
        "capacity",
        "structure",
    ]
    for criterion in ranked[0]["criteria"]:
        assert 0 <= criterion["score"] <= 1
        assert criterion["reason"]
    assert {entry["ods_code"] for entry in document["results"]["excluded"]} == {"RN1"}
    assert MatchRun.objects.get().source == "command"


def test_shortlist_prints_a_readable_ranking(registry):
    output = run("shortlist", "rs9")
    assert "Shortlist for Southbank Hospitals NHS Trust (RS9)" in output
    assert "  1. RX" in output


def test_weights_and_limits_can_be_changed(registry):
    document = json.loads(run("shortlist", "RS9", "--json", "--weight-geography", "0", "--max-minutes", "500"))
    assert document["settings"]["weights"]["geography"] == 0
    assert document["settings"]["geography"]["max_minutes"] == 500


def test_team_json_assigns_needs_to_members(registry):
    document = json.loads(run("team", "RS9", "--json", "-k", "2"))
    team = document["results"]["exact"]
    assert {need["area"] for member in team["members"] for need in member["assigned_needs"]} == {"finance", "maternity"}


def test_allocate_runs_a_wave_here_and_prints_json(registry):
    document = json.loads(run("allocate", "RS9", "--json", "-k", "1"))
    assert document["kind"] == "wave"
    assert document["status"] == "done"
    assert len(document["results"]["allocations"][0]["members"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("shortlist", "RZZ"), "No trust has the ODS code RZZ"),
        (("team", "RZZ"), "No trust has the ODS code RZZ"),
        (("allocate", "RS9", "RZZ", "RZY"), "No trust has the ODS code RZZ, RZY"),
        (("allocate", "RS9", "RS9"), "Each ODS code can be given once"),
        (
            ("shortlist", "RS9", "--weight-cultural-fit", "-1"),
            "The weight for cultural fit must be a number of 0 or more",
        ),
        (("shortlist", "RC0"), "RC0 has no improvement needs recorded"),
        (("shortlist", "RS9", "--ideal-minutes", "300", "--max-minutes", "200"), "at least the ideal travel time"),
    ],
)
def test_bad_input_is_one_readable_line_and_records_nothing(registry, args, message):
    TrustFactory(ods_code="RC0")
    with pytest.raises(CommandError) as error:
        run(*args)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert not MatchRun.objects.exists()
