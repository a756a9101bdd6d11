"""The national scenario: what does the engine recommend for the eleven 2013 special measures trusts?

    DEBUG=1 .venv/bin/python bench/national_scenario.py [--db /tmp/national.sqlite3] [--json OUT] [--geojson PATH]

Builds a fresh SQLite database (any file at --db is replaced), migrates it, creates the expertise areas and service
lines, imports the 252 real trusts from `../shared/data/nhs-trusts.geojson` with `import_trusts`, applies the
illustrative profiles of `matching/tests/national_profiles.py` with the ORM (and the Isle of Wight's 60-minute ferry
as its travel adjustment), and runs the recorded shortlist (k=10) for each special measures trust. It prints the top
5 of each with every criterion's reason, then per trust how many of the top ten cover none of its needs (strength 3
or more, with the service the need depends on) and how many are themselves receiving support (special measures,
recovery or oversight segment 4), and Guy's and St Thomas' (RJ1) rank for Medway (RPA). Coverage and support
status are judged from the database, not from the engine's own `covers`, so the figures stay comparable while the
engine changes; results are read defensively for the same reason.
No web requests, no Redis, no static files.
"""

from __future__ import annotations

import argparse
import inspect
import io
import json
import logging
import os
import subprocess
import sys
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matching.tests import national_profiles as profiles  # noqa: E402  (pure data, no Django)

STRONG = 3  # a strength that counts as covering a need
TOP = 10
SHOWN = 5
RECEIVING = {"special-measures", "recovery"}
# Used only if buddying.demo no longer has the taxonomy in this shape.
FALLBACK_SERVICES = (
    ("emergency-care", "Emergency care"),
    ("maternity", "Maternity"),
    ("paediatrics", "Paediatrics"),
    ("elective-surgery", "Elective surgery"),
    ("critical-care", "Critical care"),
    ("cancer", "Cancer services"),
    ("mental-health", "Mental health"),
)


def default_geojson() -> Path:
    """The file beside the repository; from a `git worktree` elsewhere, the one beside the main checkout."""
    if profiles.GEOJSON_PATH.exists():
        return profiles.GEOJSON_PATH
    try:
        common = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--path-format=absolute", "--git-common-dir"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        candidate = Path(common).parent.parent / "shared" / "data" / "nhs-trusts.geojson"
        if candidate.exists():
            return candidate
    except (OSError, subprocess.CalledProcessError):
        pass
    return profiles.GEOJSON_PATH


def code_version() -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def configure_django(db: Path) -> None:
    if db.exists():
        db.unlink()
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"  # an absolute path gives sqlite:////tmp/...
    os.environ["REDIS_URL"] = ""  # tasks in-process, no broker
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buddying.settings")
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    logging.getLogger("celery").setLevel(logging.WARNING)


def _fields(model: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Only the values the model has fields for (the models may gain or lose fields while this script lives)."""
    names = {f.name for f in model._meta.get_fields()}
    return {key: value for key, value in values.items() if key in names}


def create_taxonomy() -> None:
    from buddying.models import ExpertiseArea, ServiceLine

    try:
        from buddying.demo import EXPERTISE_AREAS, SERVICE_LINES

        services = [(row[0], row[1]) for row in SERVICE_LINES]
        areas = [(row[0], row[1], row[2], row[3] if len(row) > 3 else "") for row in EXPERTISE_AREAS]
    except (ImportError, IndexError, TypeError):
        services = list(FALLBACK_SERVICES)
        areas = [
            (slug, slug.replace("-", " ").capitalize(), profiles.AREA_SERVICE.get(slug), "")
            for slug in profiles.EXPERTISE_AREAS
        ]
    lines = {slug: ServiceLine.objects.get_or_create(slug=slug, defaults={"name": name})[0] for slug, name in services}
    for slug, name, needs, description in areas:
        ExpertiseArea.objects.get_or_create(
            slug=slug,
            defaults=_fields(
                ExpertiseArea,
                {"name": name, "description": description, "requires_service": lines.get(needs) if needs else None},
            ),
        )
    missing = set(profiles.EXPERTISE_AREAS) - set(ExpertiseArea.objects.values_list("slug", flat=True))
    if missing:
        raise SystemExit(f"Expertise areas missing from the taxonomy: {', '.join(sorted(missing))}")


def import_trusts(geojson: Path) -> str:
    from django.core.management import call_command

    out = io.StringIO()
    call_command("import_trusts", str(geojson), stdout=out)
    return out.getvalue().strip()


def apply_profiles() -> None:
    from django.db import transaction

    from buddying.models import CultureProfile, ExpertiseArea, ImprovementNeed, ServiceLine, Trust, TrustExpertise
    from matching.models import BuddyCapacity

    areas = {area.slug: area for area in ExpertiseArea.objects.all()}
    lines = {line.slug: line for line in ServiceLine.objects.all()}
    with transaction.atomic():
        for p in profiles.ALL_PROFILES:
            trust = Trust.objects.get(ods_code=p.ods_code)
            for name, value in _fields(
                Trust,
                {
                    "trust_type": p.trust_type,
                    "is_teaching": p.is_teaching,
                    "number_of_sites": p.number_of_sites,
                    "cqc_rating": p.cqc_rating,
                    "oversight_segment": p.oversight_segment,
                    "improvement_status": p.improvement_status,
                    "improvement_status_since": p.improvement_status_since,
                },
            ).items():
                setattr(trust, name, value)
            trust.save()
            trust.services.set([lines[slug] for slug in p.services if slug in lines])
            for need in p.needs:
                ImprovementNeed.objects.create(
                    **_fields(
                        ImprovementNeed,
                        {"trust": trust, "area": areas[need.area], "priority": need.priority, "notes": need.notes},
                    )
                )
            for strength in p.expertise:
                TrustExpertise.objects.create(
                    **_fields(
                        TrustExpertise,
                        {
                            "trust": trust,
                            "area": areas[strength.area],
                            "strength": strength.strength,
                            "evidence": strength.evidence,
                        },
                    )
                )
            scores = {theme: Decimal(str(value)) for theme, value in p.culture.items()}
            CultureProfile.objects.update_or_create(
                trust=trust,
                defaults=_fields(
                    CultureProfile, {"survey_year": 2013, "values_statement": p.values_statement, **scores}
                ),
            )
            if p.capacity is not None:
                BuddyCapacity.objects.update_or_create(
                    trust=trust,
                    defaults=_fields(
                        BuddyCapacity,
                        {
                            "max_concurrent_arrangements": p.capacity.max_concurrent_arrangements,
                            "senior_staff_days_per_month": Decimal(p.capacity.senior_staff_days_per_month),
                            "is_potential_acquirer": p.capacity.is_potential_acquirer,
                        },
                    ),
                )


def apply_travel_adjustments() -> None:
    """The ferry crossing to the Isle of Wight, where the registry records travel adjustments."""
    from buddying.models import Trust

    if "travel_adjustment_minutes" not in {f.name for f in Trust._meta.get_fields()}:
        return
    for code, minutes in profiles.TRAVEL_ADJUSTMENT_MINUTES.items():
        Trust.objects.filter(ods_code=code).update(travel_adjustment_minutes=minutes)


def default_settings() -> Any:
    from matching import services

    build = getattr(services, "match_settings_build", None)
    if build is not None:
        try:
            return build()
        except TypeError:
            pass
    from matching.engine import MatchSettings

    return MatchSettings()


def shortlist(trust: Any, k: int) -> Any:
    """services.shortlist_run with the arguments its current signature accepts."""
    from matching import services
    from matching.models import MatchRun

    parameters = inspect.signature(services.shortlist_run).parameters
    wanted: dict[str, Any] = {"trust": trust, "by": None, "k": k, "source": MatchRun.Source.COMMAND}
    if "settings" in parameters:
        wanted["settings"] = default_settings()
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    return services.shortlist_run(**{key: v for key, v in wanted.items() if takes_any or key in parameters})


class Truth:
    """What the database says about every trust, independent of the engine."""

    def __init__(self) -> None:
        from buddying.models import CultureProfile, ExpertiseArea, ImprovementNeed, Trust, TrustExpertise

        self.requires = {
            slug: service
            for slug, service in ExpertiseArea.objects.values_list("slug", "requires_service__slug")
            if service
        }
        self.trusts = {t.ods_code: t for t in Trust.objects.prefetch_related("services")}
        self.services = {code: {s.slug for s in t.services.all()} for code, t in self.trusts.items()}
        self.strength: dict[str, dict[str, int]] = {}
        for code, area, level in TrustExpertise.objects.values_list("trust__ods_code", "area__slug", "strength"):
            self.strength.setdefault(code, {})[area] = level
        self.needs: dict[str, list[tuple[str, int]]] = {}
        for code, area, priority in ImprovementNeed.objects.values_list("trust__ods_code", "area__slug", "priority"):
            self.needs.setdefault(code, []).append((area, priority))
        self.cultured = set(CultureProfile.objects.values_list("trust__ods_code", flat=True))

    def covers(self, candidate: str, supported: str) -> list[str]:
        """The supported trust's needs the candidate is strong in (3+) and runs the service for."""
        own = self.strength.get(candidate, {})
        runs = self.services.get(candidate, set())
        return [
            area
            for area, _priority in self.needs.get(supported, [])
            if own.get(area, 0) >= STRONG and (area not in self.requires or self.requires[area] in runs)
        ]

    def receiving_support(self, code: str) -> str:
        """Why this trust is itself receiving support, or ''."""
        trust = self.trusts.get(code)
        if trust is None:
            return ""
        if trust.improvement_status in RECEIVING:
            return trust.improvement_status
        if (trust.oversight_segment or 0) >= 4:
            return "oversight segment 4"
        return ""

    def profiled(self, code: str) -> bool:
        return code in self.strength or code in self.cultured


def analyse(truth: Truth, profile: Any, run: Any) -> dict[str, Any]:
    results = getattr(run, "results", None) or {}
    ranked = list(results.get("ranked") or [])[:TOP]
    entries = []
    for position, entry in enumerate(ranked, start=1):
        code = entry.get("ods_code", "")
        entries.append(
            {
                "rank": entry.get("rank", position),
                "ods_code": code,
                "name": entry.get("name", ""),
                "total": entry.get("total"),
                "distance_km": entry.get("distance_km"),
                "travel_minutes": entry.get("travel_minutes"),
                "engine_covers": [c.get("area", c) if isinstance(c, dict) else c for c in entry.get("covers") or []],
                "covers_strong": truth.covers(code, profile.ods_code),
                "receiving_support": truth.receiving_support(code),
                "profiled": truth.profiled(code),
                "warnings": list(entry.get("warnings") or []),
                "flags": list(entry.get("flags") or []),
                "criteria": [
                    {"name": c.get("name", ""), "score": c.get("score"), "reason": c.get("reason", "")}
                    for c in entry.get("criteria") or []
                ],
            }
        )
    return {
        "ods_code": profile.ods_code,
        "name": profile.short_name,
        "run_id": getattr(run, "pk", None),
        "status": str(getattr(run, "status", "")),
        "error": getattr(run, "error", None) or results.get("error"),
        "considered": results.get("considered"),
        "excluded": len(results.get("excluded") or []),
        "needs": [{"area": n.area, "priority": n.priority} for n in profile.needs],
        "top": entries,
        "top_ten_covering_no_need": sum(1 for e in entries if not e["covers_strong"]),
        "top_ten_receiving_support": sum(1 for e in entries if e["receiving_support"]),
        "top_ten_unprofiled": sum(1 for e in entries if not e["profiled"]),
        "first_suitable": next(
            (f"#{e['rank']} {e['ods_code']}" for e in entries if e["covers_strong"] and not e["receiving_support"]),
            None,
        ),
    }


def rank_of(truth: Truth, supported: Any, code: str) -> dict[str, Any]:
    """Where `code` ranks for `supported` over the whole registry (one more recorded run), or why it is excluded."""
    run = shortlist(supported, len(truth.trusts))
    results = getattr(run, "results", None) or {}
    for position, entry in enumerate(results.get("ranked") or [], start=1):
        if entry.get("ods_code") == code:
            return {"rank": entry.get("rank", position), "total": entry.get("total"), "excluded_because": None}
    for entry in results.get("excluded") or []:
        if entry.get("ods_code") == code:
            return {"rank": None, "total": None, "excluded_because": list(entry.get("reasons") or [])}
    return {"rank": None, "total": None, "excluded_because": ["not in the results"]}


def _pct(value: Any) -> str:
    return f"{value * 100:.0f}" if isinstance(value, int | float) else "?"


def report(trusts: list[dict[str, Any]], rj1: dict[str, Any]) -> None:
    for t in trusts:
        needs = ", ".join(f"{n['area']} (p{n['priority']})" for n in t["needs"])
        print(f"\n{t['ods_code']} {t['name']}: needs {needs}")
        if t["error"] or not t["top"]:
            print(f"  no shortlist: {t['error'] or t['status']}")
            continue
        print(f"  {t['considered']} considered, {t['excluded']} excluded (run {t['run_id']})")
        for e in t["top"]:
            marks = [f"RECEIVING SUPPORT ({e['receiving_support']})"] if e["receiving_support"] else []
            marks += [] if e["covers_strong"] else ["covers no need at 3+"]
            marks += [] if e["profiled"] else ["no profile at all"]
            line = f"  {e['rank']:>2}. {e['ods_code']:<4} {e['name'][:60]:<60} {_pct(e['total']):>3}/100"
            print(line + (f"  [{'; '.join(marks)}]" if marks else ""))
            if e["rank"] > SHOWN:
                continue
            print(f"        covers (3+): {', '.join(e['covers_strong']) or '-'}; engine says: ", end="")
            print(", ".join(e["engine_covers"]) or "-")
            for c in e["criteria"]:
                print(f"        {c['name']:<14} {_pct(c['score']):>3}  {c['reason']}")
            for note in e["warnings"] + e["flags"]:
                print(f"        ! {note}")
    print("\nSummary (top ten of each)")
    print("  trust  covering no need  receiving support  no profile at all  first suitable (covers, not in support)")
    for t in trusts:
        print(
            f"  {t['ods_code']:<5}  {t['top_ten_covering_no_need']:>16}  {t['top_ten_receiving_support']:>17}"
            f"  {t['top_ten_unprofiled']:>17}  {t['first_suitable'] or 'none in the top ten'}"
        )
    totals = [sum(t[key] for t in trusts) for key in ("top_ten_covering_no_need", "top_ten_receiving_support")]
    unprofiled = sum(t["top_ten_unprofiled"] for t in trusts)
    print(f"  all    {totals[0]:>16}  {totals[1]:>17}  {unprofiled:>17}")
    where = f"#{rj1['rank']} ({_pct(rj1['total'])}/100)" if rj1["rank"] else f"excluded: {rj1['excluded_because']}"
    print(f"\n  RJ1 Guy's and St Thomas' for RPA Medway: {where}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("/tmp/national_scenario.sqlite3"))  # noqa: S108
    parser.add_argument("--json", type=Path, help="also write everything here")
    parser.add_argument("--geojson", type=Path, default=None, help="the real trusts (default ../shared/data/)")
    args = parser.parse_args()
    geojson = args.geojson or default_geojson()
    found = profiles.problems(geojson)
    if found:
        print("The scenario does not fit the trust file:\n  " + "\n  ".join(found))
        return 2

    configure_django(args.db.resolve())
    from django.core.management import call_command

    from buddying.models import Trust

    call_command("migrate", verbosity=0)
    create_taxonomy()
    imported = import_trusts(geojson)
    apply_profiles()
    apply_travel_adjustments()
    truth = Truth()
    version = code_version()
    print(f"National scenario on {version}: {imported}")
    print(
        f"  {len(profiles.SPECIAL_MEASURES_2013)} special measures trusts, {len(profiles.STRONG_TEACHING)} strong "
        f"trusts, {len(profiles.RECEIVING_SUPPORT)} receiving support with strengths; the rest have no profile"
    )

    trusts = []
    for profile in profiles.SPECIAL_MEASURES_2013:
        trust = Trust.objects.get(ods_code=profile.ods_code)
        try:
            run = shortlist(trust, TOP)
        except Exception as error:  # report every trust even if one fails
            trusts.append({**analyse(truth, profile, None), "error": f"{type(error).__name__}: {error}"})
            continue
        trusts.append(analyse(truth, profile, run))

    medway = next(t for t in trusts if t["ods_code"] == "RPA")
    in_top = next((e for e in medway["top"] if e["ods_code"] == "RJ1"), None)
    if in_top is not None:
        rj1 = {"rank": in_top["rank"], "total": in_top["total"], "excluded_because": None}
    else:
        try:
            rj1 = rank_of(truth, Trust.objects.get(ods_code="RPA"), "RJ1")
        except Exception as error:
            rj1 = {"rank": None, "total": None, "excluded_because": [f"{type(error).__name__}: {error}"]}
    report(trusts, rj1)

    if args.json:
        summary = {
            "top_ten_covering_no_need": {t["ods_code"]: t["top_ten_covering_no_need"] for t in trusts},
            "top_ten_receiving_support": {t["ods_code"]: t["top_ten_receiving_support"] for t in trusts},
            "top_ten_unprofiled": {t["ods_code"]: t["top_ten_unprofiled"] for t in trusts},
            "total_covering_no_need": sum(t["top_ten_covering_no_need"] for t in trusts),
            "total_receiving_support": sum(t["top_ten_receiving_support"] for t in trusts),
            "total_unprofiled": sum(t["top_ten_unprofiled"] for t in trusts),
            "rj1_for_rpa": rj1,
        }
        args.json.write_text(
            json.dumps(
                {"code": version, "import": imported, "strong_at": STRONG, "summary": summary, "trusts": trusts},
                indent=2,
                default=str,
            )
            + "\n",
            encoding="utf-8",
        )
    return 0 if all(not t["error"] for t in trusts) else 1


if __name__ == "__main__":
    sys.exit(main())
