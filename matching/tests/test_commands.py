import datetime as dt
import io
import json
import re
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from buddying.models import CultureProfile, Trust
from buddying.tests.factories import ExpertiseAreaFactory, ImprovementNeedFactory, TrustFactory
from matching import services
from matching.models import MatchRun
from matching.tests.factories import BuddyCapacityFactory

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


# What the commands print of the engine's results (issue 9) --------------------------------------------------------


def test_shortlist_prints_the_run_warnings_first(registry):
    CultureProfile.objects.filter(trust=registry["supported"]).delete()
    first = run("shortlist", "RS9").splitlines()[0]
    assert first.startswith("Warning: Southbank Hospitals NHS Trust has no staff survey profile, so cultural fit")


def test_shortlist_prints_each_candidates_travel_band_and_what_is_missing(registry):
    CultureProfile.objects.filter(trust=registry["oxford"]).delete()
    lines = run("shortlist", "RS9").splitlines()
    oxford = next(i for i, line in enumerate(lines) if " RX1 " in line)
    assert lines[oxford].endswith("84 km, ~109 min, within the ideal travel time")
    assert lines[oxford + 1].strip() == "Profile 4 of 5 known: no staff survey profile"
    assert "Cultural fit: Not known: no staff survey profile recorded" in lines[oxford + 2]
    assert any(line.endswith("400 km, ~520 min, likely to need an overnight stay") for line in lines)


def test_shortlist_closes_with_how_many_eligible_trusts_cover_none_of_the_needs(registry):
    BuddyCapacityFactory(trust=TrustFactory(ods_code="RX4", latitude=52.48, longitude=-1.89))
    BuddyCapacityFactory(trust=TrustFactory(ods_code="RX5", latitude=53.48, longitude=-2.24))
    output = run("shortlist", "RS9")
    assert "2 eligible trusts cover none of the needs (use --json for their names)." in output
    assert " RX4 " not in output


def test_shortlist_can_include_trusts_receiving_support_and_flags_them(registry):
    Trust.objects.filter(ods_code="RX3").update(
        improvement_status=Trust.ImprovementStatus.RECOVERY, improvement_status_since="2026-01-05"
    )
    assert " RX3 " not in run("shortlist", "RS9")
    output = run("shortlist", "RS9", "--include-receiving-support")
    assert " RX3 " in output
    assert "! Receiving support itself: in recovery or oversight segment 4 or 5" in output
    document = json.loads(run("shortlist", "RS9", "--include-receiving-support", "--json"))
    assert document["settings"]["include_receiving_support"] is True


def test_team_prints_each_members_travel_band_and_why_a_far_member_was_chosen(registry):
    output = run("team", "RS9", "-k", "2", "--ideal-minutes", "60", "--max-minutes", "90")
    assert (
        "RX1 Oxford Example NHS Foundation Trust: leads on Finance; 84 km, ~109 min, likely to need an overnight stay"
        in output
    )
    warnings = [line for line in output.splitlines() if line.startswith("    ! ")]
    assert len(warnings) == 2  # each member is beyond 90 minutes and says why it was chosen
    assert all("overnight stay" in warning and "chosen because" in warning for warning in warnings)
    assert "Maternity" in warnings[1]


def test_allocate_prints_trusts_served_against_the_most_servable_and_why_each_unserved_trust_has_none(registry, areas):
    stranded = TrustFactory(ods_code="RS8", name="Stranded Example NHS Trust", latitude=52.2, longitude=0.12)
    ImprovementNeedFactory(trust=stranded, area=ExpertiseAreaFactory(slug="estates", name="Estates"), priority=3)
    output = run("allocate", "RS9", "RS8", "-k", "1")
    assert "Served 1 of 2 (most servable 1)" in output
    assert (
        "Unserved: RS8 Stranded Example NHS Trust: No trust in the pool covers any of its needs at the covering "
        "strength"
    ) in output
    member = next(line for line in output.splitlines() if line.startswith("    RX"))
    assert re.fullmatch(r"    RX\d .+: leads on .+; \d+ km, ~\d+ min, (within|beyond) the ideal travel time", member)


def test_allocate_pool_only_gives_only_accredited_members_of_the_pool(registry, areas, regulator):
    framework = services.framework_create(
        by=regulator,
        name="Superbuddy framework",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[areas["finance"], areas["maternity"]],
        fees={"light-touch": 0, "superbuddy": Decimal(0)},
    )
    framework = services.framework_advance(framework=framework, by=regulator)  # open for applications
    application = services.pool_application_submit(
        framework=framework,
        trust=registry["newcastle"],
        by=regulator,
        route="applied",
        max_concurrent_arrangements=2,
        senior_staff_days_per_month=Decimal(8),
        max_travel_minutes=600,
        incentive="no-fee",
        services=[],
        offered=[(areas["finance"], 5, "Surplus for five years")],
    )
    while framework.status != "live":
        framework = services.framework_advance(framework=framework, by=regulator)
    services.pool_application_accredit(application=application, by=regulator, until=dt.date(2029, 1, 1))

    everyone = json.loads(run("allocate", "RS9", "-k", "3", "--json"))
    pool_only = json.loads(run("allocate", "RS9", "-k", "3", "--pool-only", "--json"))
    assert {m["ods_code"] for m in everyone["results"]["allocations"][0]["members"]} != {"RX3"}
    assert [m["ods_code"] for m in pool_only["results"]["allocations"][0]["members"]] == ["RX3"]
    assert pool_only["settings"]["pool_only"] is True
    # One framework's pool by name: the same member here; a name no live framework has fails in one line.
    named = json.loads(run("allocate", "RS9", "-k", "3", "--framework", "Superbuddy framework", "--json"))
    assert [m["ods_code"] for m in named["results"]["allocations"][0]["members"]] == ["RX3"]
    assert (named["settings"]["pool_only"], named["settings"]["framework"]) == (True, framework.pk)
    with pytest.raises(CommandError, match="No live framework is named 'Nope'"):
        run("allocate", "RS9", "--framework", "Nope")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("shortlist", "RS9", "-k", "0"), "The shortlist must have at least 1 place"),
        (("team", "RS9", "-k", "many"), "argument -k/--size: invalid int value: 'many'"),
        (("allocate", "RS9", "--method", "best"), "argument --method: invalid choice: 'best'"),
        (("allocate", "RS9", "--max-minutes", "nan"), "The longest travel time must be a number of 0 or more"),
    ],
)
def test_a_bad_option_value_is_one_readable_line(registry, args, message):
    with pytest.raises(CommandError) as error:
        run(*args)
    assert message in str(error.value)
    assert "\n" not in str(error.value)
    assert not MatchRun.objects.exists()


def test_a_bad_option_value_in_the_shell_exits_non_zero_without_a_traceback():
    result = subprocess.run(
        [sys.executable, "manage.py", "shortlist", "RS9", "--weight-geography", "lots"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "argument --weight-geography: invalid float value: 'lots'" in result.stderr
