"""A national matching scenario on real geography: the 2013 Keogh special measures trusts and their buddies.

The 252 trusts come from `../shared/data/nhs-trusts.geojson` (real ODS codes and postcode locations). On top
of them this module describes, as plain data, profiles for three groups:

- SPECIAL_MEASURES_2013: the eleven trusts put into special measures in July 2013 after the Keogh review, with
  improvement needs in the spirit of what the review found, and low staff survey culture profiles.
- STRONG_TEACHING: thirty strong (mostly large teaching) trusts with expertise, high culture profiles and, for
  about two thirds of them, declared buddying capacity. Several share the *pattern* of a special measures trust's
  profile at a higher *level*: cultural fit should compare patterns (where a trust is relatively strong or weak),
  not levels.
- RECEIVING_SUPPORT: four trusts in recovery or oversight segment 4 that nevertheless record some strengths. A
  correct engine must not recommend a trust that is itself receiving support.

This is ILLUSTRATIVE TEST DATA. The needs, strengths, evidence, ratings, capacities and culture scores are
plausible inventions for judging recommendations, not real NHS Staff Survey results, CQC findings or the
regulator's records. Medway (RPA)'s two top-priority needs are ones in which Guy's and St Thomas' (RJ1), its
real-life superbuddy, has strength 5 and 4.

No Django import: tests and `bench/national_scenario.py` apply these profiles with the ORM.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

GEOJSON_PATH = Path(__file__).resolve().parents[3] / "shared" / "data" / "nhs-trusts.geojson"

EXPERTISE_AREAS = (
    "quality-and-safety",
    "governance-and-leadership",
    "finance",
    "urgent-and-emergency-flow",
    "maternity",
    "children-and-young-people",
    "mental-health-care",
    "workforce-and-culture",
    "clinical-engagement",
    "estates",
    "digital",
    "elective-recovery",
)
# The names shown for each area (as in buddying.demo.EXPERTISE_AREAS), so reasons can be checked without Django.
AREA_NAMES = {
    "quality-and-safety": "Quality and safety",
    "governance-and-leadership": "Governance and leadership",
    "finance": "Finance",
    "urgent-and-emergency-flow": "Urgent and emergency care flow",
    "maternity": "Maternity",
    "children-and-young-people": "Children and young people",
    "mental-health-care": "Mental health care",
    "workforce-and-culture": "Workforce and culture",
    "clinical-engagement": "Clinical engagement",
    "estates": "Estates and facilities",
    "digital": "Digital and data",
    "elective-recovery": "Elective recovery",
}
# The names shown for each trust type (as in buddying.models.Trust.TrustType).
TRUST_TYPE_NAMES = {
    "acute-district-general": "Acute (district general)",
    "acute-large-teaching": "Acute (large or teaching)",
    "ambulance": "Ambulance",
    "community": "Community",
    "integrated": "Integrated (acute and community)",
    "mental-health": "Mental health",
    "specialist": "Specialist",
}
# The service an area depends on (as in buddying.demo.EXPERTISE_AREAS): no credit without it.
AREA_SERVICE = {
    "urgent-and-emergency-flow": "emergency-care",
    "maternity": "maternity",
    "children-and-young-people": "paediatrics",
    "mental-health-care": "mental-health",
    "elective-recovery": "elective-surgery",
}
ACUTE_SERVICES = ("emergency-care", "maternity", "paediatrics", "elective-surgery", "critical-care", "cancer")

# Field names of buddying.models.CultureProfile, in order.
CULTURE_THEMES = (
    "compassionate_inclusive",
    "recognised_rewarded",
    "voice_that_counts",
    "safe_healthy",
    "always_learning",
    "work_flexibly",
    "team",
    "staff_engagement",
    "morale",
)

# Shapes of a culture profile: how far each theme sits above or below the trust's own average.
PATTERNS: dict[str, tuple[float, ...]] = {
    # caring teams that do as they are told: little voice, little learning
    "hierarchical": (0.6, -0.3, -0.9, 0.2, -0.6, 0.4, 0.5, -0.2, 0.3),
    # committed and compassionate but unsafe, inflexible and tired
    "overstretched": (0.7, -0.2, 0.1, -0.9, 0.3, -0.7, 0.6, 0.3, -0.2),
    # strong team loyalty, weak speaking up, bullying goes unchallenged
    "closed-ranks": (0.2, 0.1, -0.8, -0.5, -0.2, 0.2, 0.9, 0.3, -0.2),
    # rewarded and flexible, but little compassion or team spirit
    "transactional": (-0.6, 0.5, -0.3, 0.4, -0.2, 0.6, -0.4, -0.3, 0.3),
    # voice and learning strong, pay and flexibility weak
    "learning": (-0.1, -0.6, 0.5, -0.2, 0.9, -0.5, 0.2, 0.3, -0.5),
    # inclusive and listened to, but disengaged and low in morale
    "inclusive": (0.9, 0.2, 0.5, 0.0, -0.3, 0.3, -0.2, -0.6, -0.8),
}
PATTERN_VALUES = {
    "hierarchical": "We care for patients as we would our own families, and we do things properly.",
    "overstretched": "Patients first, whatever it takes: we never walk past someone who needs help.",
    "closed-ranks": "We look after our own: one team, proud of our hospital and our community.",
    "transactional": "Efficient, reliable services; we reward performance and value flexibility.",
    "learning": "Always learning: every voice counts, and every incident teaches us something.",
    "inclusive": "Everyone is welcome here: we respect difference and listen to every colleague.",
}


def culture(ods_code: str, level: float, pattern: str, amplitude: float = 1.0) -> dict[str, float]:
    """Scores 0-10 at `level` on average, shaped by `pattern`, with a small deterministic per-trust jitter."""
    shape = PATTERNS[pattern]
    mean = sum(shape) / len(shape)
    seed = sum(ord(c) * (i + 1) for i, c in enumerate(ods_code))
    return {
        theme: round(min(10.0, max(0.0, level + amplitude * (shape[i] - mean) + ((seed + 7 * i) % 5 - 2) * 0.05)), 1)
        for i, theme in enumerate(CULTURE_THEMES)
    }


@dataclass(frozen=True)
class Need:
    area: str
    priority: int  # 1 low, 2 medium, 3 high
    notes: str = ""


@dataclass(frozen=True)
class Strength:
    area: str
    strength: int  # 1-5
    evidence: str


@dataclass(frozen=True)
class Capacity:
    max_concurrent_arrangements: int
    senior_staff_days_per_month: int
    is_potential_acquirer: bool = False


@dataclass(frozen=True)
class TrustProfile:
    ods_code: str
    short_name: str
    trust_type: str
    is_teaching: bool
    number_of_sites: int
    cqc_rating: str
    oversight_segment: int
    improvement_status: str  # "none", "recovery" or "special-measures"
    improvement_status_since: dt.date | None
    culture_pattern: str
    culture_level: float
    needs: tuple[Need, ...] = ()
    expertise: tuple[Strength, ...] = ()
    capacity: Capacity | None = None
    services: tuple[str, ...] = ACUTE_SERVICES
    values_statement: str = ""
    culture: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.culture:
            object.__setattr__(self, "culture", culture(self.ods_code, self.culture_level, self.culture_pattern))
        if not self.values_statement:
            object.__setattr__(self, "values_statement", PATTERN_VALUES[self.culture_pattern])


KEOGH = dt.date(2013, 7, 16)
# Minutes added to every journey to or from a trust (Trust.travel_adjustment_minutes): the Isle of Wight ferry.
TRAVEL_ADJUSTMENT_MINUTES = {"R1F": 60}


def _sm(ods: str, name: str, sites: int, level: float, pattern: str, *needs: tuple[str, int, str]) -> TrustProfile:
    return TrustProfile(
        ods_code=ods,
        short_name=name,
        trust_type="acute-district-general",
        is_teaching=False,
        number_of_sites=sites,
        cqc_rating="inadequate",
        oversight_segment=4,
        improvement_status="special-measures",
        improvement_status_since=KEOGH,
        culture_pattern=pattern,
        culture_level=level,
        needs=tuple(Need(area, priority, notes) for area, priority, notes in needs),
    )


SPECIAL_MEASURES_2013: tuple[TrustProfile, ...] = (
    _sm("RDD", "Basildon and Thurrock", 1, 5.2, "overstretched",
        ("quality-and-safety", 3, "High mortality; infection control and care of the dying"),
        ("workforce-and-culture", 2, "Nurse staffing below safe levels on medical wards"),
        ("governance-and-leadership", 2, "Board assurance did not reach the wards")),
    _sm("RXQ", "Buckinghamshire Healthcare", 2, 5.6, "inclusive",
        ("workforce-and-culture", 3, "Medical and nurse staffing out of hours"),
        ("governance-and-leadership", 2, "Weak ward-to-board assurance"),
        ("quality-and-safety", 2, "Patient experience and complaints")),
    _sm("RJF", "Burton", 1, 5.0, "hierarchical",
        ("quality-and-safety", 3, "Mortality above expected"),
        ("urgent-and-emergency-flow", 3, "A&E crowding and flow"),
        ("workforce-and-culture", 1, "Reliance on agency staff")),
    _sm("RXR", "East Lancashire", 2, 4.7, "closed-ranks",
        ("governance-and-leadership", 3, "Complaints handling and board oversight"),
        ("workforce-and-culture", 2, "Staff afraid to raise concerns"),
        ("quality-and-safety", 2, "Nurse staffing and pressure ulcers")),
    _sm("RLT", "George Eliot", 1, 5.3, "overstretched",
        ("quality-and-safety", 3, "Mortality and out-of-hours care"),
        ("workforce-and-culture", 2, "Nurse staffing"),
        ("clinical-engagement", 1, "Consultant engagement in improvement")),
    _sm("RPA", "Medway", 1, 4.6, "hierarchical",
        ("governance-and-leadership", 3, "Unstable leadership; board not sighted on risk"),
        ("urgent-and-emergency-flow", 3, "One of the most crowded emergency departments in England"),
        ("quality-and-safety", 2, "Mortality above expected"),
        ("workforce-and-culture", 1, "Recruitment and retention")),
    _sm("RNL", "North Cumbria University Hospitals", 2, 4.9, "transactional",
        ("workforce-and-culture", 3, "Medical recruitment; long-term locums"),
        ("quality-and-safety", 3, "Mortality and clinical governance"),
        ("clinical-engagement", 2, "Clinicians disconnected from management"),
        ("finance", 1, "Recurrent deficit")),
    _sm("RJL", "Northern Lincolnshire and Goole", 3, 5.1, "closed-ranks",
        ("governance-and-leadership", 3, "Governance of mortality and incidents"),
        ("quality-and-safety", 2, "Mortality above expected"),
        ("urgent-and-emergency-flow", 2, "Emergency pathways")),
    _sm("RK5", "Sherwood Forest", 2, 5.5, "learning",
        ("finance", 3, "PFI costs and a structural deficit"),
        ("quality-and-safety", 3, "Mortality above expected"),
        ("governance-and-leadership", 2, "Board oversight of quality")),
    _sm("RMP", "Tameside", 1, 4.8, "overstretched",
        ("urgent-and-emergency-flow", 3, "A&E and acute medical flow"),
        ("quality-and-safety", 2, "Mortality and care of older people"),
        ("workforce-and-culture", 2, "Nurse staffing")),
    _sm("RWD", "United Lincolnshire", 3, 5.0, "hierarchical",
        ("quality-and-safety", 3, "Mortality above expected at all three sites"),
        ("workforce-and-culture", 3, "Staffing and a culture that did not listen"),
        ("governance-and-leadership", 2, "Board assurance across three sites")),
)  # fmt: skip


def _strong(
    ods: str,
    name: str,
    level: float,
    pattern: str,
    sites: int,
    cqc: str,
    segment: int,
    expertise: tuple[tuple[str, int, str], ...],
    capacity: tuple[int, int] | tuple[int, int, bool] | None = None,
    trust_type: str = "acute-large-teaching",
    is_teaching: bool = True,
    services: tuple[str, ...] = ACUTE_SERVICES,
) -> TrustProfile:
    return TrustProfile(
        ods_code=ods,
        short_name=name,
        trust_type=trust_type,
        is_teaching=is_teaching,
        number_of_sites=sites,
        cqc_rating=cqc,
        oversight_segment=segment,
        improvement_status="none",
        improvement_status_since=None,
        culture_pattern=pattern,
        culture_level=level,
        expertise=tuple(Strength(area, strength, evidence) for area, strength, evidence in expertise),
        capacity=Capacity(*capacity) if capacity else None,
        services=services,
    )


Q, G, F, U, C = (
    "quality-and-safety",
    "governance-and-leadership",
    "finance",
    "urgent-and-emergency-flow",
    "clinical-engagement",
)
W, D, E, M, K, S = (
    "workforce-and-culture",
    "digital",
    "elective-recovery",
    "maternity",
    "children-and-young-people",
    "estates",
)
SPECIALIST_CANCER = ("cancer", "elective-surgery", "critical-care")
SPECIALIST_CHILDREN = ("paediatrics", "elective-surgery", "critical-care", "emergency-care")

STRONG_TEACHING: tuple[TrustProfile, ...] = (
    _strong("RJ1", "Guy's and St Thomas'", 7.4, "hierarchical", 3, "good", 1, (
        (G, 5, "Superbuddy board development programme; well-led review rated strong"),
        (U, 4, "Four-hour standard met through winter; acute medicine redesign"),
        (Q, 4, "Mortality among the lowest in England"), (C, 4, "Clinical leadership programme"),
        (F, 3, "Surplus delivered for five years")), (3, 12)),
    _strong("RTD", "Newcastle upon Tyne", 7.6, "closed-ranks", 4, "outstanding", 1, (
        (Q, 5, "CQC outstanding; national lead for patient safety collaboratives"),
        (C, 4, "Clinical directorates run by clinicians"), (E, 4, "Shortest waits among large trusts"),
        (K, 3, "Great North Children's Hospital"), (W, 3, "Low vacancy rates")), (2, 10)),
    _strong("RAL", "Royal Free", 6.9, "transactional", 3, "good", 2, (
        (C, 4, "Clinical practice groups"), (E, 3, "Elective productivity programme"),
        (G, 3, "Group model across sites"), (D, 3, "Electronic patient record rollout")), (2, 8, True)),
    _strong("RTF", "Northumbria", 7.9, "transactional", 6, "outstanding", 1, (
        (U, 5, "Specialist emergency care hospital model"), (W, 5, "Highest staff engagement in England"),
        (Q, 4, "Real-time patient experience feedback"), (F, 4, "Sustained surplus"),
        (G, 4, "CQC outstanding for well-led")), (2, 10), "integrated", False),
    _strong("RM3", "Salford (Northern Care Alliance)", 7.3, "overstretched", 4, "outstanding", 1, (
        (Q, 5, "Safety programme cut harm by a third"), (D, 5, "Global digital exemplar"),
        (G, 4, "Group governance model"), (C, 4, "Clinically led divisions")), (2, 8)),
    _strong("R0A", "Manchester University", 6.8, "inclusive", 6, "good", 2, (
        (M, 4, "Saint Mary's maternity: tertiary fetal medicine"), (K, 4, "Royal Manchester Children's"),
        (E, 3, "Single hospital service elective hub"), (C, 3, "Clinical leadership academy"))),
    _strong("RR8", "Leeds Teaching", 6.9, "learning", 4, "good", 2, (
        (K, 4, "Leeds Children's Hospital"), (D, 3, "Own electronic record"),
        (Q, 3, "Leeds Improvement Method"), (W, 3, "Apprenticeship programme")), (1, 6)),
    _strong("RHQ", "Sheffield Teaching", 7.2, "learning", 5, "good", 1, (
        (E, 4, "Flow coaching academy"), (Q, 4, "Microsystem coaching"),
        (F, 3, "Recurrent cost improvement"), (G, 3, "Stable board")), (2, 8)),
    _strong("RRK", "University Hospitals Birmingham", 6.7, "transactional", 4, "good", 2, (
        (D, 5, "Prescribing and information system built in-house"), (E, 4, "Surgical productivity"),
        (F, 3, "Financial controls"), (Q, 3, "Real-time clinical dashboards"))),
    _strong("RTH", "Oxford University Hospitals", 6.8, "learning", 4, "good", 2, (
        (C, 4, "Clinical academic leadership"), (Q, 3, "Safety huddles"),
        (K, 3, "Oxford Children's Hospital"), (D, 3, "EPR")), (1, 6)),
    _strong("RGT", "Cambridge University Hospitals", 7.0, "inclusive", 2, "good", 2, (
        (C, 4, "Clinically led divisions"), (Q, 4, "Patient safety research"),
        (M, 3, "Rosie maternity unit"), (D, 3, "Single electronic record")), (1, 6)),
    _strong("RRV", "UCLH", 7.5, "hierarchical", 5, "good", 1, (
        (G, 4, "Consistently strong board"), (F, 4, "Surplus and capital programme"),
        (E, 4, "Cancer and elective productivity"), (C, 4, "Clinical board model"),
        (W, 3, "Education centre")), (2, 10)),
    _strong("RYJ", "Imperial College Healthcare", 6.6, "learning", 5, "good", 2, (
        (C, 4, "Academic health science centre"), (D, 3, "Clinical data science"),
        (E, 3, "Surgical hub"))),
    _strong("RJZ", "King's College Hospital", 6.6, "overstretched", 4, "good", 2, (
        (U, 4, "Major trauma centre flow"), (K, 3, "Variety Children's Hospital"),
        (C, 3, "Liver and neurosciences clinical leadership"))),
    _strong("R1H", "Barts Health", 6.5, "closed-ranks", 5, "good", 2, (
        (E, 3, "Elective hub"), (S, 3, "New Royal London building"),
        (W, 2, "International recruitment"))),
    _strong("RHM", "University Hospital Southampton", 7.7, "learning", 2, "outstanding", 1, (
        (Q, 4, "Learning from deaths programme"), (W, 4, "Staff engagement among the best"),
        (C, 4, "Clinical leadership"), (K, 3, "Southampton Children's Hospital")), (2, 8)),
    _strong("RA7", "University Hospitals Bristol", 7.6, "inclusive", 4, "outstanding", 1, (
        (K, 4, "Bristol Royal Hospital for Children"), (G, 4, "CQC outstanding for well-led"),
        (Q, 4, "Safety culture"), (F, 3, "Financial balance")), (2, 8)),
    _strong("RK9", "University Hospitals Plymouth", 6.5, "overstretched", 2, "good", 2, (
        (U, 3, "Acute frailty unit"), (W, 3, "Recruitment in the far south west"),
        (S, 3, "Estates rationalisation"))),
    _strong("RWE", "University Hospitals of Leicester", 6.6, "transactional", 3, "good", 2, (
        (M, 3, "Maternity safety champions"), (K, 3, "Children's hospital"),
        (E, 3, "Theatre productivity")), (1, 4)),
    _strong("RKB", "University Hospitals Coventry and Warwickshire", 6.9, "hierarchical", 2, "good", 2, (
        (Q, 3, "Improvement system with the Virginia Mason Institute"), (C, 3, "Clinical leadership"),
        (G, 3, "Board development")), (1, 6)),
    _strong("REM", "Liverpool University Hospitals", 6.5, "inclusive", 3, "good", 2, (
        (Q, 3, "Merged safety systems"), (S, 3, "New Royal Liverpool"),
        (E, 3, "Elective hub"))),
    _strong("RH8", "Royal Devon", 7.4, "closed-ranks", 4, "outstanding", 1, (
        (D, 4, "Epic electronic record"), (W, 4, "Staff engagement"),
        (Q, 4, "Safety and learning"), (G, 3, "Merger governance")), (2, 8)),
    _strong("RM1", "Norfolk and Norwich", 6.6, "transactional", 2, "good", 2, (
        (E, 3, "Orthopaedic elective centre"), (F, 3, "Cost improvement"),
        (Q, 3, "Falls prevention"))),
    _strong("RWA", "Hull University Teaching", 6.5, "hierarchical", 2, "good", 2, (
        (U, 3, "Emergency department rebuild and flow"), (C, 3, "Clinical leadership"),
        (W, 3, "Culture change programme")), (1, 6)),
    _strong("RTR", "South Tees", 7.1, "overstretched", 3, "good", 2, (
        (Q, 4, "Safety improvement"), (U, 3, "Major trauma flow"),
        (W, 3, "Nurse recruitment")), (1, 6)),
    _strong("RXN", "Lancashire Teaching", 6.7, "closed-ranks", 2, "good", 2, (
        (U, 3, "Major trauma centre flow"), (G, 3, "Board development"),
        (W, 3, "Retention programme"))),
    _strong("RDU", "Frimley Health", 7.8, "hierarchical", 4, "outstanding", 1, (
        (G, 5, "CQC outstanding for well-led"), (F, 4, "Financial turnaround of an acquired trust"),
        (Q, 4, "Outstanding safety culture"), (U, 4, "Emergency flow across three sites")), (3, 12, True),
        is_teaching=False),
    _strong("RPY", "Royal Marsden", 7.9, "learning", 2, "outstanding", 1, (
        (Q, 4, "Cancer safety and outcomes"), (C, 4, "Research-led clinical leadership"),
        (W, 3, "Specialist nursing education")), (1, 4), "specialist", services=SPECIALIST_CANCER),
    _strong("RP4", "Great Ormond Street", 7.0, "inclusive", 1, "good", 2, (
        (K, 5, "National children's hospital"), (D, 4, "Epic electronic record"),
        (C, 3, "Clinical research")), None, "specialist", services=SPECIALIST_CHILDREN),
    _strong("RBS", "Alder Hey Children's", 7.5, "overstretched", 2, "outstanding", 1, (
        (K, 5, "CQC outstanding children's hospital"), (W, 3, "Staff wellbeing programme"),
        (D, 3, "Digital exemplar")), (1, 4), "specialist", services=SPECIALIST_CHILDREN),
)  # fmt: skip


def _receiving(
    ods: str,
    name: str,
    status: str,
    since: dt.date | None,
    level: float,
    pattern: str,
    *strengths: tuple[str, int, str],
) -> TrustProfile:
    return TrustProfile(
        ods_code=ods,
        short_name=name,
        trust_type="acute-district-general",
        is_teaching=ods == "RX1",
        number_of_sites=2,
        cqc_rating="requires-improvement",
        oversight_segment=4,
        improvement_status=status,
        improvement_status_since=since,
        culture_pattern=pattern,
        culture_level=level,
        needs=(Need(Q, 3, "Recovery plan"), Need(G, 2, "Board capability")),
        expertise=tuple(Strength(area, n, evidence) for area, n, evidence in strengths),
    )


RECEIVING_SUPPORT: tuple[TrustProfile, ...] = (
    _receiving("RCX", "Queen Elizabeth Hospital King's Lynn", "recovery", dt.date(2013, 10, 23), 5.8, "hierarchical",
               (S, 3, "Capital programme"), (F, 3, "Cost improvement")),
    _receiving("RXW", "Shrewsbury and Telford", "recovery", dt.date(2018, 11, 30), 5.6, "overstretched",
               (D, 3, "Digital outpatients"), (U, 3, "Same-day emergency care")),
    _receiving("RX1", "Nottingham University Hospitals", "none", None, 6.0, "learning",
               (E, 4, "Treatment centre"), (Q, 3, "Safety huddles"), (F, 3, "Cost improvement")),
    _receiving("RVV", "East Kent Hospitals", "recovery", dt.date(2022, 10, 19), 5.7, "closed-ranks",
               (G, 3, "Board development"), (F, 3, "Recovery plan delivered")),
)  # fmt: skip

ALL_PROFILES: tuple[TrustProfile, ...] = SPECIAL_MEASURES_2013 + STRONG_TEACHING + RECEIVING_SUPPORT


def load_trusts(path: Path = GEOJSON_PATH) -> dict[str, dict[str, object]]:
    """The real trusts by ODS code: name, post_code, longitude, latitude."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {
        f["properties"]["org_id"]: {
            "name": f["properties"]["name"],
            "post_code": f["properties"]["post_code"],
            "longitude": f["geometry"]["coordinates"][0],
            "latitude": f["geometry"]["coordinates"][1],
        }
        for f in data["features"]
    }


def problems(path: Path = GEOJSON_PATH) -> list[str]:
    """Inconsistencies between the profiles and the file or the taxonomy (an empty list when all is well)."""
    trusts = load_trusts(path)
    found = []
    codes = [p.ods_code for p in ALL_PROFILES]
    found += [f"{code} appears more than once" for code in sorted({c for c in codes if codes.count(c) > 1})]
    for p in ALL_PROFILES:
        if p.ods_code not in trusts:
            found.append(f"{p.ods_code} is not in {path.name}")
        areas_named: tuple[Need | Strength, ...] = (*p.needs, *p.expertise)
        for item in areas_named:
            if item.area not in EXPERTISE_AREAS:
                found.append(f"{p.ods_code}: unknown area {item.area}")
        for s in p.expertise:
            service = AREA_SERVICE.get(s.area)
            if service and service not in p.services:
                found.append(f"{p.ods_code}: strength in {s.area} without the service it needs")
        if p.improvement_status != "none" and p.improvement_status_since is None:
            found.append(f"{p.ods_code}: status {p.improvement_status} needs a start date")
    if set(AREA_NAMES) != set(EXPERTISE_AREAS):
        found.append("AREA_NAMES must name every expertise area and nothing else")
    found += [
        f"{p.ods_code}: unknown trust type {p.trust_type}" for p in ALL_PROFILES if p.trust_type not in TRUST_TYPE_NAMES
    ]
    rj1 = {s.area: s.strength for s in STRONG_TEACHING[0].expertise}
    medway_top = sorted((n for n in SPECIAL_MEASURES_2013[5].needs), key=lambda n: -n.priority)[:2]
    if sorted(rj1.get(n.area, 0) for n in medway_top) != [4, 5]:
        found.append("RJ1 must have strength 5 and 4 in Medway's two top-priority needs")
    return found
