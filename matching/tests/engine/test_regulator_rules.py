"""The rules of issue 9, as a regulator would check them: on small pools built by hand, and as properties.

Only buddies that can help are recommended; unknown is not average; cultural fit compares values patterns, and
its reason is true of the numbers beside it; trusts receiving support are excluded unless included explicitly;
declared travel is a hard limit and a ferry counts; teams and waves use a far member only where no one nearer can
help, and say so; waves never re-propose an existing buddy, count what it covers as met, serve as many trusts as
possible (special measures first) and give every unserved trust a reason.
"""

import math
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from matching.engine import (
    MatchSettings,
    allocate_wave,
    build_team,
    score_pool,
    shortlist,
    synthetic_pool,
    synthetic_supported,
)
from matching.engine.scoring import CULTURAL_FIT
from matching.engine.shortlist import FAR_WARNING, LOW_FIT_WARNING, SUPPORT_FLAG
from matching.engine.types import (
    BAND_FAR,
    BAND_IDEAL,
    BAND_LABELS,
    BAND_OVERNIGHT,
    EXCLUDE_BEYOND_DECLARED_TRAVEL,
    EXCLUDE_INADEQUATE,
    EXCLUDE_RECEIVING_SUPPORT,
    EXCLUDE_SPECIAL_MEASURES,
    EXCLUSION_REASONS,
)
from matching.tests.engine.builders import AREAS, make_pool, make_trust, north_of_home
from matching.tests.engine.test_properties import FAST, scenarios, weights
from matching.tests.engine.test_wave import max_servable

METHODS = ("coverage", "assignment", "stable")
TYPES = ("acute-district-general", "mental-health", "community")

# Staff survey profiles of 0-10 with one decimal place, as published.
profiles = st.lists(st.integers(0, 100), min_size=4, max_size=4).map(lambda xs: tuple(x / 10 for x in xs))


def by_code(result):
    return {r.ods_code: r for r in result.ranked}


# (a) A candidate with no data recorded never outranks one with real, good data ----------------------------------


def blank_and_known(needs, strengths, km, culture, kind, capacity):
    """Two candidates with the same expertise and location: RA1 has nothing else recorded (no staff survey
    profile, no declared capacity, no trust type); RZ9 has real data. RA1's ODS code comes first, so a tie would
    favour it. RA0 has nothing at all recorded, not even expertise."""
    places, active, offered, committed = capacity
    where = north_of_home(km)
    return make_pool(
        [
            {"ods": "RA0", "culture": None, "capacity_declared": False, "trust_type": "", **where},
            {
                "ods": "RA1",
                "strengths": strengths,
                "culture": None,
                "capacity_declared": False,
                "trust_type": "",
                **where,
            },
            {
                "ods": "RZ9",
                "strengths": strengths,
                "culture": culture,
                "trust_type": kind,
                "max_arrangements": places,
                "active_arrangements": active,
                "staff_days_offered": offered,
                "staff_days_committed": committed,
                **where,
            },
        ],
        dims=4,
    )


needs_drawn = st.dictionaries(st.sampled_from(AREAS), st.integers(1, 3), min_size=1)
strengths_drawn = st.dictionaries(st.sampled_from(AREAS), st.integers(0, 5))
# Declared capacity with at least one free place and one free staff day (otherwise the trust is excluded).
capacities = st.integers(1, 3).flatmap(
    lambda places: st.tuples(
        st.just(places), st.integers(0, places - 1), st.integers(1, 20).map(float), st.just(0.0)
    ).flatmap(lambda c: st.tuples(st.just(c[0]), st.just(c[1]), st.just(c[2]), st.integers(0, int(c[2]) - 1)))
)


@FAST
@given(
    needs=needs_drawn,
    strengths=strengths_drawn,
    km=st.floats(30, 400),
    supported_culture=st.none() | profiles,
    supported_type=st.sampled_from(("", *TYPES)),
    culture=profiles,
    kind=st.sampled_from(TYPES),
    capacity=capacities,
    options=weights,
)
def test_missing_data_never_gains_over_real_data_whatever_the_data_and_weights(
    needs, strengths, km, supported_culture, supported_type, culture, kind, capacity, options
):
    pool = blank_and_known(needs, strengths, km, culture, kind, capacity)
    trust = make_trust(needs=needs, culture=supported_culture, trust_type=supported_type)
    result = shortlist(trust, pool, MatchSettings(weights=options), k=3)
    ranked = by_code(result)
    assert "RA0" in result.not_covering  # nothing recorded at all: never recommended
    if "RA1" not in ranked:
        assert "RZ9" not in ranked and set(result.not_covering) == {"RA0", "RA1", "RZ9"}
        return
    blank, known = ranked["RA1"], ranked["RZ9"]
    assert known.total >= blank.total
    if blank.rank < known.rank:
        assert blank.total == known.total  # only a tie, broken by the ODS code
    assert blank.missing == ("staff survey profile", "declared capacity", "trust type")
    assert blank.completeness == (2, 5)
    for criterion in blank.criteria:
        if not criterion.known:
            assert criterion.score == 0.0 and criterion.reason.startswith("Not known: ")


@FAST
@given(
    needs=needs_drawn,
    strengths=strengths_drawn,
    km=st.floats(30, 400),
    supported_culture=st.none() | profiles,
    supported_type=st.sampled_from(("", *TYPES)),
    culture=profiles,
    kind=st.sampled_from(TYPES),
    capacity=capacities,
)
def test_a_candidate_with_nothing_recorded_is_outranked_by_one_with_good_data(
    needs, strengths, km, supported_culture, supported_type, culture, kind, capacity
):
    # Good data: a values pattern no worse than unrelated (r >= 0), a free place, the same trust type.
    if supported_culture is not None and np.ptp(supported_culture) > 0 and np.ptp(culture) > 0:
        assume(np.corrcoef(supported_culture, culture)[0, 1] >= 0)
    pool = blank_and_known(needs, strengths, km, culture, supported_type or kind, capacity)
    trust = make_trust(needs=needs, culture=supported_culture, trust_type=supported_type)
    ranked = by_code(shortlist(trust, pool, k=3))
    assume("RA1" in ranked)
    assert ranked["RZ9"].total > ranked["RA1"].total
    assert ranked["RZ9"].rank < ranked["RA1"].rank


def test_a_trust_with_nothing_recorded_no_longer_scores_above_a_strong_buddy():
    # The example: a trust with nothing recorded once scored 0.525 (neutral culture, full capacity from
    # the default place, full structure from looking like a district general hospital).
    trust = make_trust(culture=(6, 4, 5, 3), trust_type="acute-district-general")
    pool = make_pool(
        [
            {
                "ods": "RA1",
                "strengths": {"quality-and-safety": 3},
                "culture": None,
                "capacity_declared": False,
                "trust_type": "",
            },
            {"ods": "RZ9", "strengths": {"quality-and-safety": 3}, "culture": (8, 6, 7, 5), "max_arrangements": 1},
        ],
        dims=4,
    )
    ranked = shortlist(trust, pool).ranked
    assert [r.ods_code for r in ranked] == ["RZ9", "RA1"]
    blank = ranked[1]
    # Only what is known counts: expertise 0.6 and geography 130 minutes.
    assert blank.total == pytest.approx(0.30 * 0.6 + 0.15 * (1 - 0.5 * 10 / 60))


# (b) The culture reason is literally true of the numbers beside it ----------------------------------------------

CULTURE_REASON = re.compile(
    r"^Values pattern (?P<percent>\d+)% alike: correlation (?P<r>[+-]\d\.\d\d) between where each trust is "
    r"relatively strong or weak across (?P<dims>\d+) staff survey themes; overall level (?P<level>\d+\.\d) "
    r"against (?P<supported_level>\d+\.\d) out of 10 \(the level is evidence of strength, not of fit\)$"
)


@FAST
@given(
    st.integers(2, 9).flatmap(
        lambda dims: st.tuples(
            st.lists(st.integers(0, 100), min_size=dims, max_size=dims),
            st.lists(
                st.lists(st.integers(0, 100), min_size=dims, max_size=dims),
                min_size=1,
                max_size=5,
            ),
        )
    )
)
def test_the_culture_reason_is_true_of_the_score_and_of_the_two_profiles(drawn):
    supported_raw, candidates_raw = drawn
    supported = tuple(x / 10 for x in supported_raw)
    candidates = [tuple(x / 10 for x in row) for row in candidates_raw]
    dims = len(supported)
    pool = make_pool(
        [
            {"ods": f"RA{i}", "culture": culture, "strengths": {"quality-and-safety": 4}}
            for i, culture in enumerate(candidates)
        ],
        dims=dims,
    )
    trust = make_trust(culture=supported)
    result = shortlist(trust, pool, k=len(candidates))
    scores = score_pool(trust, pool, MatchSettings())
    assert len(result.ranked) == len(candidates)
    for candidate in result.ranked:
        i = int(candidate.ods_code[2:])
        culture = candidate.criteria[CULTURAL_FIT]
        flat = np.ptp(supported) == 0 or np.ptp(candidates[i]) == 0
        if flat:
            assert not culture.known and culture.score == 0.0
            assert culture.reason.startswith("Not known: ")
            continue
        match = CULTURE_REASON.match(culture.reason)
        assert match, culture.reason
        r = float(np.corrcoef(supported, candidates[i])[0, 1])
        # The percentage is the score, rounded; the score is (1 + r) / 2 for the Pearson correlation r.
        assert int(match["percent"]) == round(100 * culture.score)
        assert culture.score == pytest.approx((1 + r) / 2, abs=1e-9)
        assert abs(int(match["percent"]) - 50 * (1 + r)) <= 0.5 + 1e-9
        # The correlation shown is the one scored, to 2 decimal places, and it is the profiles' correlation.
        shown = float(match["r"])
        assert match["r"] == f"{scores.pattern_correlation[i]:+.2f}"
        assert abs(shown - r) <= 0.005 + 1e-9
        assert int(match["dims"]) == dims
        assert float(match["level"]) == pytest.approx(np.mean(candidates[i]), abs=0.05 + 1e-9)
        assert float(match["supported_level"]) == pytest.approx(np.mean(supported), abs=0.05 + 1e-9)
        # A low-fit warning appears exactly when the fit is below the threshold, and quotes the same correlation.
        low = [w for w in candidate.warnings if w.startswith(LOW_FIT_WARNING)]
        assert bool(low) == (culture.score < MatchSettings().low_fit_warning)
        if low:
            assert low[0].endswith(f"(correlation {match['r']})")


# (c) Cultural fit compares values, not performance --------------------------------------------------------------

STRUGGLING = (6.1, 4.9, 5.6, 5.0, 4.3, 5.1, 5.7, 5.9, 4.8)  # the supported trust: low scores across the board
# A strong buddy with exactly the supported trust's pattern (relatively strong and weak in the same themes), higher.
STRONG_SAME_PATTERN = tuple(round(x + 1.8, 1) for x in STRUGGLING)
# Another struggling trust at the supported trust's level, relatively strong and weak in different themes.
STRUGGLING_OTHER_PATTERN = (4.3, 5.9, 4.8, 6.1, 5.7, 4.9, 5.0, 5.1, 5.6)


def test_a_strong_buddy_with_the_same_values_pattern_fits_perfectly_and_a_struggling_trust_does_not():
    covering = {"quality-and-safety": 4}
    pool = make_pool(
        [
            {"ods": "RA1", "culture": STRUGGLING_OTHER_PATTERN, "strengths": covering},
            {"ods": "RZ1", "culture": STRONG_SAME_PATTERN, "strengths": covering},
        ],
        dims=9,
    )
    ranked = by_code(shortlist(make_trust(culture=STRUGGLING), pool))
    strong, struggling = ranked["RZ1"], ranked["RA1"]
    strong_fit = strong.criteria[CULTURAL_FIT]
    assert strong_fit.score == pytest.approx(1.0, abs=1e-12)
    assert strong_fit.reason.startswith("Values pattern 100% alike: correlation +1.00")
    assert "overall level 7.1 against 5.3 out of 10" in strong_fit.reason
    assert not any(w.startswith(LOW_FIT_WARNING) for w in strong.warnings)
    r = np.corrcoef(STRUGGLING, STRUGGLING_OTHER_PATTERN)[0, 1]
    assert struggling.criteria[CULTURAL_FIT].score == pytest.approx((1 + r) / 2, abs=1e-12)
    assert struggling.criteria[CULTURAL_FIT].score < strong_fit.score
    # Everything else equal, the strong buddy with the shared values comes first.
    assert strong.rank == 1 and struggling.rank == 2


# (d) Trusts receiving support are excluded with the reason, or included with a flag when asked -----------------


def support_pool():
    covering = {"quality-and-safety": 4}
    return make_pool(
        [
            {"ods": "RA1", "strengths": covering, "in_special_measures": True},
            {"ods": "RA2", "strengths": covering, "receiving_support": True},
            {"ods": "RA3", "strengths": covering, "rated_inadequate": True, "in_special_measures": True},
            {"ods": "RA4", "strengths": {"quality-and-safety": 3}},
        ]
    )


def test_trusts_receiving_support_are_excluded_by_default_with_the_reason():
    result = shortlist(make_trust(), support_pool())
    assert [r.ods_code for r in result.ranked] == ["RA4"]
    assert {e.ods_code: e.reasons for e in result.excluded} == {
        "RA1": (EXCLUSION_REASONS[EXCLUDE_SPECIAL_MEASURES],),
        "RA2": (EXCLUSION_REASONS[EXCLUDE_RECEIVING_SUPPORT],),
        "RA3": (EXCLUSION_REASONS[EXCLUDE_SPECIAL_MEASURES], EXCLUSION_REASONS[EXCLUDE_INADEQUATE]),
    }
    assert EXCLUSION_REASONS[EXCLUDE_RECEIVING_SUPPORT] == (
        "Receiving support itself: in recovery or oversight segment 4 or 5"
    )
    for method in METHODS:
        members = allocate_wave([make_trust()], support_pool(), method=method).allocations[0].members
        assert [m.ods_code for m in members] == ["RA4"]
    assert [m.ods_code for m in build_team(make_trust(), support_pool()).exact.members] == ["RA4"]


def test_a_regulator_may_include_trusts_receiving_support_and_they_are_then_flagged():
    include = MatchSettings(include_receiving_support=True)
    result = shortlist(make_trust(), support_pool(), include)
    ranked = by_code(result)
    assert set(ranked) == {"RA1", "RA2", "RA4"}
    assert ranked["RA1"].flags == (f"{SUPPORT_FLAG}: in special measures",)
    assert ranked["RA2"].flags == (f"{SUPPORT_FLAG}: in recovery or oversight segment 4 or 5",)
    assert all(flag.startswith("Receiving support itself") for flag in ranked["RA1"].flags + ranked["RA2"].flags)
    assert ranked["RA4"].flags == ()
    # Inadequate is not lifted.
    assert {e.ods_code: e.reasons for e in result.excluded} == {"RA3": (EXCLUSION_REASONS[EXCLUDE_INADEQUATE],)}


# (e) Declared furthest travel is a hard limit; a travel adjustment (a ferry) moves the band ----------------------


def test_the_furthest_journey_a_buddy_declared_is_a_hard_limit_even_when_no_one_else_can_help():
    pool = make_pool(
        [
            # 100 km: 130 minutes. RA1 will travel 120 at most, RA2 150; RA3 declared nothing (no limit).
            {"ods": "RA1", "strengths": {"quality-and-safety": 5, "finance": 5}, "max_travel_minutes": 120.0},
            {"ods": "RA2", "strengths": {"quality-and-safety": 4}, "max_travel_minutes": 150.0},
            {"ods": "RA3", "strengths": {"quality-and-safety": 3}, **north_of_home(300.0)},
        ]
    )
    trust = make_trust(needs={"quality-and-safety": 3, "finance": 1})
    result = shortlist(trust, pool)
    assert [r.ods_code for r in result.ranked] == ["RA2", "RA3"]
    assert {e.ods_code: e.reasons for e in result.excluded} == {
        "RA1": (EXCLUSION_REASONS[EXCLUDE_BEYOND_DECLARED_TRAVEL],)
    }
    assert "it will travel up to 150 minutes" in by_code(result)["RA2"].criteria[2].reason
    # RA1 is the only trust covering finance, but the limit holds in teams and waves too.
    team = build_team(trust, pool, k=3).exact
    assert "RA1" not in [m.ods_code for m in team.members]
    assert team.unmet_needs == ("finance",)
    for method in METHODS:
        allocation = allocate_wave([trust], pool, k=3, method=method).allocations[0]
        assert "RA1" not in [m.ods_code for m in allocation.members]
        assert allocation.unmet_needs == ("finance",)


@pytest.mark.parametrize(
    ("ferry", "band", "warnings"),
    [
        (0.0, BAND_IDEAL, ()),
        (30.0, BAND_FAR, ()),
        (90.0, BAND_OVERNIGHT, (f"{FAR_WARNING}; no eligible trust within 180 minutes covers quality-and-safety",)),
    ],
)
def test_a_ferry_crossing_moves_a_candidate_out_of_the_ideal_band(ferry, band, warnings):
    # 80 km: 104 minutes by road, within the ideal 120; across a ferry of 30 minutes 134 (far), of 90 194.
    pool = make_pool([{"ods": "RA1", "strengths": {"quality-and-safety": 4}, **north_of_home(80.0)}])
    candidate = shortlist(make_trust(travel_adjustment_minutes=ferry), pool).ranked[0]
    assert candidate.distance_km == pytest.approx(80.0)
    assert candidate.travel_minutes == pytest.approx(104.0 + ferry)
    assert candidate.band == band
    assert candidate.warnings == warnings
    reason = candidate.criteria[2].reason
    assert (f"including {ferry:g} minutes' travel adjustment" in reason) == (ferry > 0)
    # The candidate's own adjustment counts the same way.
    own = make_pool(
        [
            {
                "ods": "RA1",
                "strengths": {"quality-and-safety": 4},
                "travel_adjustment_minutes": ferry,
                **north_of_home(80.0),
            }
        ]
    )
    assert shortlist(make_trust(), own).ranked[0].band == band


def test_a_ferry_can_take_a_buddy_beyond_the_journey_it_declared():
    pool = make_pool(
        [{"ods": "RA1", "strengths": {"quality-and-safety": 4}, "max_travel_minutes": 120.0, **north_of_home(80.0)}]
    )
    assert [r.ods_code for r in shortlist(make_trust(), pool).ranked] == ["RA1"]
    island = shortlist(make_trust(travel_adjustment_minutes=30.0), pool)
    assert island.ranked == ()
    assert island.excluded[0].reasons == (EXCLUSION_REASONS[EXCLUDE_BEYOND_DECLARED_TRAVEL],)


# (f) Teams and waves: a far member only where no one nearer can help, and it says so ---------------------------

FAR_NEEDS = {"quality-and-safety": 3, "finance": 1}


def far_pool(**extra_near_finance):
    rows = [
        {"ods": "RN1", "strengths": {"quality-and-safety": 4}, **north_of_home(80.0)},
        # 300 km: 390 minutes. Stronger than RN1 in quality and safety, and the only one covering finance.
        {"ods": "RF1", "strengths": {"quality-and-safety": 5, "finance": 5}, **north_of_home(300.0)},
    ]
    if extra_near_finance:
        rows.append({"ods": "RN2", "strengths": {"finance": 3}, **north_of_home(90.0), **extra_near_finance})
    return make_pool(rows)


def test_a_far_member_leads_only_on_a_need_no_nearer_trust_covers_and_carries_the_warning():
    trust = make_trust(needs=FAR_NEEDS)
    result = build_team(trust, far_pool(), k=3)
    wave_members = allocate_wave([trust], far_pool(), k=3).allocations[0].members
    for members in (result.heuristic.members, result.exact.members, wave_members):
        led = {m.ods_code: m.assigned_needs for m in members}
        assert led == {"RN1": ("quality-and-safety",), "RF1": ("finance",)}
        far = next(m for m in members if m.ods_code == "RF1")
        near = next(m for m in members if m.ods_code == "RN1")
        assert far.band == BAND_OVERNIGHT
        assert far.warnings == (
            "Beyond 180 minutes, so visits are likely to need an overnight stay: "
            "chosen because no eligible trust within 180 minutes covers finance",
        )
        assert far.distance_km == pytest.approx(300.0)
        assert far.travel_minutes == pytest.approx(390.0)
        assert near.band == BAND_IDEAL and near.warnings == ()
        assert near.distance_km == pytest.approx(80.0) and near.travel_minutes == pytest.approx(104.0)


def test_a_far_member_is_not_used_when_a_nearer_eligible_trust_covers_the_need():
    trust = make_trust(needs=FAR_NEEDS)
    result = build_team(trust, far_pool(max_arrangements=1), k=3)
    assert {m.ods_code for m in result.exact.members} == {"RN1", "RN2"}
    assert all(m.warnings == () for m in result.exact.members)
    for method in METHODS:
        members = allocate_wave([trust], far_pool(max_arrangements=1), k=3, method=method).allocations[0].members
        assert "RF1" not in {m.ods_code for m in members}
    # A nearer trust that is excluded does not count: then the far one is used.
    excluded_near = build_team(trust, far_pool(in_special_measures=True), k=3).exact
    assert {m.ods_code for m in excluded_near.members} == {"RN1", "RF1"}


@FAST
@given(scenarios(max_pool=30, max_trusts=5), st.integers(1, 3), st.sampled_from(METHODS))
def test_every_team_and_wave_member_carries_its_travel_and_a_far_one_is_the_only_help_for_what_it_leads(
    scenario, k, method
):
    pool, trusts = scenario
    wave = allocate_wave(trusts, pool, k=k, method=method)
    teams = [(trust, allocation.members) for trust, allocation in zip(trusts, wave.allocations, strict=True)]
    teams.append((trusts[0], build_team(trusts[0], pool, k=k).exact.members))
    codes = pool.ods_codes.tolist()
    for trust, members in teams:
        scores = score_pool(trust, pool, MatchSettings())
        values = scores.need_values()
        for member in members:
            row = codes.index(member.ods_code)
            assert math.isfinite(member.distance_km) and math.isfinite(member.travel_minutes)
            assert member.distance_km == scores.distance_km[row]
            assert member.travel_minutes == scores.travel_minutes[row]
            assert member.band in BAND_LABELS
            assert member.band == scores.band.band_of(member.travel_minutes)
            assert values[row].max() > 0  # it covers one of the trust's unmet needs
            if member.band == BAND_OVERNIGHT:
                # Worth something only on needs that no eligible trust within the longest travel time covers.
                assert scores.far_only_needs[values[row] > 0].all()
                assert len(member.warnings) == 1 and member.warnings[0].startswith("Beyond ")
            else:
                assert member.warnings == ()


# (g) Waves: existing arrangements, the most trusts served (special measures first), reasons --------------------


def test_a_wave_never_proposes_an_existing_buddy_and_counts_what_it_covers_as_met():
    pool = make_pool(
        [
            # RE1 already buddies RS1 (the arrangement uses one of its two places) and covers quality and safety.
            {"ods": "RE1", "strengths": {"quality-and-safety": 5}, "active_arrangements": 1},
            {"ods": "RA1", "strengths": {"quality-and-safety": 4, "finance": 4}},
            {"ods": "RB1", "strengths": {"finance": 3}},
        ]
    )
    existing = frozenset({"RE1"})
    trusts = [
        make_trust("RS1", needs={"quality-and-safety": 3, "maternity": 1}, existing_buddies=existing),
        make_trust("RS2", needs={"quality-and-safety": 3}, existing_buddies=existing, latitude=52.01),
    ]
    for method in METHODS:
        result = allocate_wave(trusts, pool, k=3, method=method)
        first, second = result.allocations
        assert first.met_by_existing == ("quality-and-safety",)
        assert first.members == ()  # no one covers maternity, and quality and safety is met
        assert first.unmet_needs == ("maternity",)
        assert first.reason == "No trust in the pool covers any of its needs not already met by its current buddies"
        assert second.met_by_existing == ("quality-and-safety",)
        assert second.members == () and second.unmet_needs == () and second.coverage == 1.0
        assert second.reason == "Its needs are already covered by its current buddies"
        assert "RE1" not in result.load
        assert [u.ods_code for u in result.unallocated] == ["RS1", "RS2"]
    # With a need RE1 does not cover, RS1 gets a new buddy for it, never RE1 again.
    trusts[0] = make_trust("RS1", needs={"quality-and-safety": 3, "finance": 1}, existing_buddies=existing)
    for method in METHODS:
        first = allocate_wave(trusts, pool, k=3, method=method).allocations[0]
        assert first.met_by_existing == ("quality-and-safety",)
        assert "RE1" not in [m.ods_code for m in first.members]
        # RA1 leads on finance; one buddy at a time may add RB1 too, leading on nothing (it is blind to overlap).
        assert (first.members[0].ods_code, first.members[0].assigned_needs) == ("RA1", ("finance",))
        assert first.unmet_needs == () and first.coverage == pytest.approx(0.75 + 0.25 * 0.8)
        if method == "coverage":
            assert len(first.members) == 1


def test_a_scarce_pool_serves_as_many_trusts_as_possible_before_maximising_coverage():
    # RS1 gains most from RB1 (strong in both its needs), but RB1 is the only trust that can help RS2. Maximising
    # coverage alone would give RB1 to RS1 and leave RS2 with nothing; the wave serves both.
    pool = make_pool(
        [
            {"ods": "RA1", "strengths": {"quality-and-safety": 5}, "max_arrangements": 1},
            {
                "ods": "RB1",
                "strengths": {"quality-and-safety": 5, "finance": 5, "maternity": 3},
                "max_arrangements": 1,
            },
        ]
    )
    trusts = [
        make_trust("RS1", needs={"quality-and-safety": 1, "finance": 3}),
        make_trust("RS2", needs={"maternity": 3}, latitude=52.01),
    ]
    values = [score_pool(t, pool, MatchSettings()).need_values() for t in trusts]
    coverage_only = values[0][1].sum()  # RB1 to RS1, RA1 adds nothing there, RS2 unserved
    for exact in (True, False):
        result = allocate_wave(trusts, pool, k=2, exact=exact)
        assert {a.supported: [m.ods_code for m in a.members] for a in result.allocations} == {
            "RS1": ["RA1"],
            "RS2": ["RB1"],
        }
        assert result.served == result.max_servable == max_servable(trusts, pool) == 2
        assert result.unallocated == ()
        assert result.objective < coverage_only  # serving both costs some coverage, and is worth it


def test_trusts_in_special_measures_are_served_first():
    # One buddy with one place can help either trust; RS1 is nearer and would gain more, but RS2 is in special
    # measures. Whatever their order in the wave, RS2 gets the buddy and RS1 is told why it has none.
    pool = make_pool([{"ods": "RA1", "strengths": {"quality-and-safety": 5}, "max_arrangements": 1}])
    ordinary = make_trust("RS1")
    special = make_trust("RS2", in_special_measures=True, **north_of_home(-60.0))
    for trusts in ([ordinary, special], [special, ordinary]):
        for exact in (True, False):
            result = allocate_wave(trusts, pool, k=1, exact=exact)
            allocations = {a.supported: a for a in result.allocations}
            assert [m.ods_code for m in allocations["RS2"].members] == ["RA1"]
            assert allocations["RS1"].members == ()
            assert result.served == result.max_servable == 1
            assert [u.ods_code for u in result.unallocated] == ["RS1"]
            assert result.unallocated[0].reason == (
                "The trusts that could help it were needed for other trusts in the wave: none can be given to it "
                "without leaving another trust with no buddy (the wave serves as many trusts as possible, special "
                "measures first)"
            )


def test_the_stable_and_assignment_methods_never_assign_a_buddy_covering_no_need():
    # RA1 is the best by total for both trusts (nearest, a perfect values pattern) but covers no need; RB1 covers.
    pool = make_pool(
        [
            {"ods": "RA1", "culture": (8, 2), "strengths": {"quality-and-safety": 2}, **north_of_home(40.0)},
            {"ods": "RB1", "culture": (2, 8), "strengths": {"quality-and-safety": 3}, **north_of_home(170.0)},
        ]
    )
    trusts = [make_trust("RS1", culture=(8, 2)), make_trust("RS2", culture=(8, 2), latitude=52.01)]
    for method in ("stable", "assignment"):
        result = allocate_wave(trusts, pool, k=2, method=method)
        assert result.load == {"RB1": 2}
        for allocation in result.allocations:
            assert [(m.ods_code, m.assigned_needs) for m in allocation.members] == [("RB1", ("quality-and-safety",))]


@FAST
@given(scenarios(max_pool=30, max_trusts=6), st.integers(1, 3), st.sampled_from(METHODS))
def test_waves_serve_the_most_trusts_special_measures_first_and_say_why_the_rest_have_no_buddy(scenario, k, method):
    pool, trusts = scenario
    result = allocate_wave(trusts, pool, k=k, method=method)
    most = max_servable(trusts, pool)
    assert result.max_servable == most
    served = {a.supported for a in result.allocations if a.members}
    assert result.served == len(served) <= most
    if method == "coverage":
        assert result.served == most
        special = {t.ods_code for t in trusts if t.in_special_measures}
        assert len(served & special) == max_servable(trusts, pool, only=lambda t: t.in_special_measures)
    by_trust = {t.ods_code: t for t in trusts}
    for allocation in result.allocations:
        trust = by_trust[allocation.supported]
        scores = score_pool(trust, pool, MatchSettings())
        values = scores.need_values()
        codes = pool.ods_codes.tolist()
        for member in allocation.members:
            assert member.ods_code not in trust.existing_buddies
            assert values[codes.index(member.ods_code)].max() > 0  # covers one of its unmet needs
        assert allocation.met_by_existing == tuple(a for a, m in zip(scores.need_areas, scores.met, strict=True) if m)
        assert not set(allocation.met_by_existing) & set(allocation.unmet_needs)
        assert (allocation.reason != "") == (not allocation.members)
        if allocation.reason.startswith("The trusts that could help it were needed for other trusts"):
            assert method == "coverage"  # only the coverage method serves as many trusts as possible
    assert [u.ods_code for u in result.unallocated] == [a.supported for a in result.allocations if not a.members]
    assert all(u.reason for u in result.unallocated)


@pytest.mark.parametrize("seed", range(3))
def test_a_scarce_synthetic_wave_serves_as_many_trusts_as_a_maximum_matching(seed):
    pool = synthetic_pool(60, seed=seed + 30)
    trusts = synthetic_supported(pool, 20, seed=seed + 40)  # more trusts than free places
    result = allocate_wave(trusts, pool, k=3)
    assert result.exact
    assert result.served == result.max_servable == max_servable(trusts, pool)
    special = {t.ods_code for t in trusts if t.in_special_measures}
    served_special = {a.supported for a in result.allocations if a.members} & special
    assert len(served_special) == max_servable(trusts, pool, only=lambda t: t.in_special_measures)
    assert all(u.reason for u in result.unallocated)
