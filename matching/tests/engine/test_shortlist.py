import dataclasses

import numpy as np
import pytest

from matching.engine import (
    GeographyBand,
    MatchSettings,
    shortlist,
    shortlist_loop,
    synthetic_pool,
    synthetic_supported,
)
from matching.engine.shortlist import ACQUIRER_FLAG, FAR_WARNING, LOW_FIT_WARNING, top_k
from matching.engine.types import (
    BAND_FAR,
    BAND_IDEAL,
    BAND_OVERNIGHT,
    CRITERIA,
    EXCLUDE_AT_CAPACITY,
    EXCLUDE_EXISTING_BUDDY,
    EXCLUDE_SPECIAL_MEASURES,
    EXCLUSION_REASONS,
)
from matching.tests.engine.builders import make_pool, make_trust, north_of_home, with_copies


def test_ranks_by_total_best_first_and_breaks_ties_by_ods_code():
    pool = make_pool(
        [
            {"ods": "RC3", "strengths": {"quality-and-safety": 3}},
            {"ods": "RB2", "strengths": {"quality-and-safety": 5}},
            {"ods": "RA9", "strengths": {"quality-and-safety": 3}},  # identical to RC3 but for the ODS code
            {"ods": "RA4", "strengths": {"quality-and-safety": 4}},
        ]
    )
    result = shortlist(make_trust(), pool, k=10)
    assert [r.ods_code for r in result.ranked] == ["RB2", "RA4", "RA9", "RC3"]
    assert [r.rank for r in result.ranked] == [1, 2, 3, 4]
    assert result.ranked[2].total == result.ranked[3].total
    assert result.considered == 4


def test_only_candidates_covering_a_need_are_ranked_the_rest_are_listed_apart():
    # RA1's strength 2 is below the covering strength (3) and RA2 records none: eligible, but they cannot help, so
    # they are listed apart in ODS order, never ranked, however well they score on everything else.
    pool = make_pool(
        [
            {"ods": "RZ1", "strengths": {"quality-and-safety": 3}, "culture": (2, 8), **north_of_home(170.0)},
            {"ods": "RA2", "culture": (8, 2), **north_of_home(60.0)},
            {"ods": "RA1", "strengths": {"quality-and-safety": 2}, "culture": (8, 2), **north_of_home(60.0)},
            {"ods": "RA0", "strengths": {"finance": 5}, "in_special_measures": True},
        ]
    )
    result = shortlist(make_trust(culture=(8, 2)), pool, k=10)
    assert [r.ods_code for r in result.ranked] == ["RZ1"]
    assert result.not_covering == ("RA1", "RA2")
    assert [e.ods_code for e in result.excluded] == ["RA0"]  # excluded, so not in not_covering
    # With the threshold at 2, RA1 covers the need and outranks RZ1.
    lenient = shortlist(make_trust(culture=(8, 2)), pool, MatchSettings(covers_at=2), k=10)
    assert [r.ods_code for r in lenient.ranked] == ["RA1", "RZ1"]
    assert lenient.not_covering == ("RA2",)


def test_lists_only_the_best_k():
    pool = make_pool([{"ods": f"RA{i}", "strengths": {"quality-and-safety": i}} for i in range(3, 6)])
    assert [r.ods_code for r in shortlist(make_trust(), pool, k=2).ranked] == ["RA5", "RA4"]
    assert shortlist(make_trust(), pool, k=0).ranked == ()


def test_excluded_candidates_are_never_ranked_and_are_listed_by_ods_code_with_every_reason():
    pool = make_pool(
        [
            {"ods": "RC1", "in_special_measures": True, "max_arrangements": 1, "active_arrangements": 1},
            {"ods": "RA1", "strengths": {"quality-and-safety": 5}, "rated_inadequate": True},
            {"ods": "RB1", "strengths": {"quality-and-safety": 3}},
        ]
    )
    result = shortlist(make_trust(), pool, k=10)
    assert [r.ods_code for r in result.ranked] == ["RB1"]
    assert [e.ods_code for e in result.excluded] == ["RA1", "RC1"]
    assert result.excluded[1].reasons == (
        EXCLUSION_REASONS[EXCLUDE_SPECIAL_MEASURES],
        EXCLUSION_REASONS[EXCLUDE_AT_CAPACITY],
    )
    assert shortlist(make_trust(), pool, k=10, include_exclusions=False).excluded == ()


def test_a_pool_where_everyone_is_excluded_gives_an_empty_ranking():
    pool = make_pool([{"ods": "RA1", "in_special_measures": True}, {"ods": "RA2", **north_of_home(1.0)}])
    result = shortlist(make_trust(), pool)
    assert result.ranked == ()
    assert len(result.excluded) == 2


def test_each_criterion_carries_its_weight_contribution_and_a_plain_english_reason():
    pool = make_pool(
        [
            {
                "ods": "RA1",
                "culture": (9, 3),
                "strengths": {"quality-and-safety": 4, "maternity": 5, "finance": 2},
                "no_service": ("maternity",),
                "max_arrangements": 3,
                "active_arrangements": 1,
                "staff_days_committed": 2.5,
                "number_of_sites": 3,
                "max_travel_minutes": 150.0,
                **north_of_home(100.0),
            },
            {"ods": "RA2", "culture": (2, 8)},
        ]
    )
    trust = make_trust(
        needs={"quality-and-safety": 3, "maternity": 2, "finance": 1},
        culture=(8, 2),
        number_of_sites=2,
        trust_type="acute-district-general",
    )
    first = shortlist(trust, pool).ranked[0]
    assert first.ods_code == "RA1"
    assert [c.name for c in first.criteria] == list(CRITERIA)
    assert sum(c.contribution for c in first.criteria) == pytest.approx(first.total)
    assert all(c.known for c in first.criteria)
    reasons = {c.name: c.reason for c in first.criteria}
    assert reasons["cultural_fit"] == (
        "Values pattern 100% alike: correlation +1.00 between where each trust is relatively strong or weak across "
        "2 staff survey themes; overall level 6.0 against 5.0 out of 10 (the level is evidence of strength, not of fit)"
    )
    assert reasons["expertise"] == (
        "Covers quality-and-safety (strength 4/5, priority 3); finance strength 2/5 is below the 3/5 that counts; "
        "no credit for maternity: does not run the service"
    )
    assert reasons["geography"] == (
        "Estimated 130 minutes by road (100 km, estimated from straight-line distance); it will travel up to "
        "150 minutes: beyond the ideal 120 minutes"
    )
    assert reasons["capacity"] == "2 of 3 buddying places free; 7.5 of 10 senior staff days a month free"
    assert reasons["structure"].startswith("Same trust type (acute-district-general); neither teaching; 3 sites")
    assert first.covers == ("quality-and-safety",)
    assert first.distance_km == pytest.approx(100.0)
    assert first.travel_minutes == pytest.approx(130.0)
    assert first.band == BAND_FAR
    assert first.missing == ()
    assert first.completeness == (5, 5)


def test_names_replace_slugs_in_reasons_when_the_pool_has_labels():
    pool = dataclasses.replace(
        make_pool([{"ods": "RA1", "strengths": {"quality-and-safety": 4}, "trust_type": "acute-large-teaching"}]),
        labels={"quality-and-safety": "Quality and safety", "acute-large-teaching": "Large teaching (acute)"},
    )
    first = shortlist(make_trust(trust_type="acute-large-teaching"), pool).ranked[0]
    reasons = {c.name: c.reason for c in first.criteria}
    assert reasons["expertise"] == "Covers Quality and safety (strength 4/5, priority 3)"
    assert reasons["structure"].startswith("Same trust type (Large teaching (acute))")


def test_what_is_not_known_scores_zero_is_named_and_shown_as_completeness():
    pool = make_pool(
        [
            {
                "ods": "RA1",
                "strengths": {"quality-and-safety": 4},
                "culture": None,
                "capacity_declared": False,
                "trust_type": "",
            },
        ]
    )
    first = shortlist(make_trust(culture=(8, 2), trust_type="acute-district-general"), pool).ranked[0]
    criteria = {c.name: c for c in first.criteria}
    for name in ("cultural_fit", "capacity", "structure"):
        assert not criteria[name].known
        assert criteria[name].score == 0.0 and criteria[name].contribution == 0.0
        assert criteria[name].reason.startswith("Not known: ")
    assert criteria["cultural_fit"].reason == "Not known: no staff survey profile recorded"
    assert criteria["capacity"].reason == "Not known: no capacity declared (counted as one place when allocating)"
    assert criteria["structure"].reason == "Not known: its trust type is not recorded"
    assert criteria["expertise"].known and criteria["geography"].known
    assert first.missing == ("staff survey profile", "declared capacity", "trust type")
    assert first.completeness == (2, 5)


def test_a_supported_trust_without_a_profile_or_type_is_warned_about_once_for_the_whole_run():
    pool = make_pool([{"ods": f"RA{i}", "culture": (8, 2), "strengths": {"finance": 4}} for i in range(3)])
    result = shortlist(make_trust(needs={"finance": 2, "estates": 1}), pool)
    assert result.warnings == (
        "RSM has no staff survey profile, so cultural fit (35% of the score) is not known for any candidate: "
        "record its profile before relying on this ranking",
        "RSM's trust type is not recorded, so structure similarity is not known for any candidate",
        "estates is not a recorded expertise area, so no candidate can cover it",
    )
    for candidate in result.ranked:
        culture = candidate.criteria[0]
        assert not culture.known and culture.reason == "Not known: RSM has no staff survey profile to compare"
        assert LOW_FIT_WARNING not in " ".join(candidate.warnings)
    full = shortlist(make_trust(needs={"finance": 2}, culture=(8, 2), trust_type="acute-district-general"), pool)
    assert full.warnings == ()


def test_a_supported_trust_with_a_flat_profile_is_told_so_not_that_it_has_no_profile():
    pool = make_pool([{"ods": "RA1", "culture": (8, 2), "strengths": {"finance": 4}}])
    result = shortlist(make_trust(needs={"finance": 2}, culture=(5, 5), trust_type="acute-district-general"), pool)
    assert result.warnings == (
        "RSM's staff survey scores are all the same, so they show no values pattern and cultural fit (35% of the "
        "score) is not known for any candidate",
    )
    culture = result.ranked[0].criteria[0]
    assert not culture.known and culture.score == 0.0
    assert culture.reason == (
        "Not known: RSM's staff survey scores are all the same, so they show no values pattern to compare"
    )


def test_a_need_an_existing_buddy_covers_is_reported_as_met_and_the_buddy_is_not_proposed_again():
    pool = make_pool(
        [
            {"ods": "RE1", "strengths": {"quality-and-safety": 5}},
            {"ods": "RA1", "strengths": {"quality-and-safety": 4, "finance": 3}},
        ]
    )
    trust = make_trust(needs={"quality-and-safety": 3, "finance": 1}, existing_buddies=frozenset({"RE1"}))
    result = shortlist(trust, pool)
    assert [r.ods_code for r in result.ranked] == ["RA1"]
    assert result.met_by_existing == {"quality-and-safety": "RE1"}
    assert {e.ods_code: e.reasons for e in result.excluded} == {"RE1": (EXCLUSION_REASONS[EXCLUDE_EXISTING_BUDDY],)}


def test_warns_of_low_cultural_fit_and_of_visits_far_enough_to_need_an_overnight_stay():
    covering = {"quality-and-safety": 4}
    pool = make_pool(
        [
            {"ods": "RA1", "culture": (8, 2), "strengths": covering, **north_of_home(300.0)},
            {"ods": "RA2", "culture": (2, 8), "strengths": covering, **north_of_home(60.0)},
            {"ods": "RA3", "culture": None, "strengths": covering, **north_of_home(60.0)},
        ]
    )
    result = shortlist(make_trust(culture=(8, 2)), pool)
    ranked = {r.ods_code: r for r in result.ranked}
    # RA1 is the best values fit, but beyond 180 minutes, and nearer trusts cover the need: it ranks after them.
    assert [r.ods_code for r in result.ranked][-1] == "RA1"
    assert ranked["RA1"].warnings == (f"{FAR_WARNING}; ranked after the candidates within 180 minutes",)
    assert ranked["RA1"].band == BAND_OVERNIGHT
    geography = ranked["RA1"].criteria[CRITERIA.index("geography")]
    assert geography.score < 0.5
    assert geography.reason.endswith("beyond 180 minutes, so visits are likely to need an overnight stay")
    assert ranked["RA2"].warnings == (f"{LOW_FIT_WARNING}: values patterns differ (correlation -1.00)",)
    assert ranked["RA2"].band == BAND_IDEAL
    # Not known is not low: no warning, but the missing profile is named.
    assert ranked["RA3"].warnings == ()
    assert ranked["RA3"].criteria[0].reason == "Not known: no staff survey profile recorded"
    assert ranked["RA3"].missing == ("staff survey profile",)


def test_beyond_the_longest_travel_time_ranks_after_the_rest_unless_only_it_covers_a_need():
    pool = make_pool(
        [
            {"ods": "RN1", "strengths": {"quality-and-safety": 3}, **north_of_home(130.0)},  # 169 minutes
            # 300 km: 390 minutes. Both far trusts are stronger; only RF1 covers finance.
            {"ods": "RF1", "strengths": {"quality-and-safety": 5, "finance": 5}, **north_of_home(300.0)},
            {"ods": "RF2", "strengths": {"quality-and-safety": 5}, "culture": (8, 2), **north_of_home(300.0)},
        ]
    )
    ranked = shortlist(make_trust(needs={"quality-and-safety": 1, "finance": 1}, culture=(8, 2)), pool).ranked
    codes = [r.ods_code for r in ranked]
    assert codes == ["RF1", "RN1", "RF2"]
    totals = {r.ods_code: r.total for r in ranked}
    assert totals["RF2"] > totals["RN1"]  # better by total, but ranked after the trust within 180 minutes
    assert ranked[0].warnings == (f"{FAR_WARNING}; no eligible trust within 180 minutes covers finance",)
    assert ranked[1].warnings == ()
    assert ranked[2].warnings == (f"{FAR_WARNING}; ranked after the candidates within 180 minutes",)


def test_a_declared_potential_acquirer_is_flagged_and_still_ranked():
    covering = {"quality-and-safety": 3}
    pool = make_pool(
        [{"ods": "RA1", "potential_acquirer": True, "strengths": covering}, {"ods": "RA2", "strengths": covering}]
    )
    ranked = {r.ods_code: r for r in shortlist(make_trust(), pool).ranked}
    assert ranked["RA1"].flags == (ACQUIRER_FLAG,)
    assert ranked["RA2"].flags == ()


def test_an_unknown_need_area_is_named_in_the_expertise_reason_and_does_not_crash():
    pool = make_pool([{"ods": "RA1", "strengths": {"finance": 5}}])
    ranked = shortlist(make_trust(needs={"finance": 1, "estates": 1}), pool).ranked
    assert "estates is not a recorded expertise area" in ranked[0].criteria[1].reason
    assert ranked[0].covers == ("finance",)


@pytest.mark.parametrize("n", [1, 7, 50, 3_000, 40_000])
def test_top_k_matches_a_full_sort_with_ties_and_exclusions(n):
    rng = np.random.default_rng(n)
    # Few distinct values, so there are many ties, some straddling the k-th place.
    total = rng.integers(0, 20, n) / 19.0
    excluded = np.where(rng.random(n) < 0.3, 8, 0).astype(np.int32)
    ods_rank = rng.permutation(n).astype(np.int64)
    for k in (1, 3, 10, 25):
        eligible = np.flatnonzero(excluded == 0)
        expected = eligible[np.lexsort((ods_rank[eligible], -total[eligible]))][:k]
        np.testing.assert_array_equal(top_k(total, excluded, ods_rank, k), expected)


def test_top_k_when_almost_everyone_is_excluded():
    total = np.linspace(0, 1, 10_000)
    excluded = np.full(10_000, 2, dtype=np.int32)
    excluded[[5, 17]] = 0
    assert top_k(total, excluded, np.arange(10_000), 10).tolist() == [17, 5]


def test_the_vectorised_ranking_agrees_with_the_per_candidate_loop():
    # Every candidate that can help, in order (those beyond the longest travel time after the rest, unless only they
    # cover a need): the loop is an independent plain-Python version of the same rules.
    pool = synthetic_pool(400, seed=3)
    settings_to_try = (
        MatchSettings(),
        MatchSettings(pool_only=True),
        MatchSettings(include_receiving_support=True, covers_at=2),
        MatchSettings(covers_at=4, geography=GeographyBand(min_distance_km=10.0, exclude_same_ics=False)),
        MatchSettings(geography=GeographyBand(ideal_max_minutes=60.0, max_minutes=90.0)),  # many far candidates
    )
    for trust in synthetic_supported(pool, 8, seed=4):
        for settings in settings_to_try:
            engine = shortlist(trust, pool, settings, k=len(pool)).ranked
            loop = shortlist_loop(trust, pool, settings, k=len(pool))
            assert engine, "every synthetic trust here has candidates that can help"
            assert [r.ods_code for r in engine] == [code for code, _ in loop]
            np.testing.assert_allclose([r.total for r in engine], [total for _, total in loop], rtol=0, atol=1e-12)


def test_identical_candidates_get_bit_identical_totals_wherever_they_sit_in_the_pool():
    # Found by Hypothesis: with a BLAS matrix-vector product these two copies of one candidate got totals one unit
    # in the last place apart (OpenBLAS rounds a vector's tail differently from its body), so "0000" outranked
    # "000". Totals are now summed element-wise.
    base = synthetic_pool(3, seed=2970)
    trust = synthetic_supported(base, 1, seed=2970)[0]
    pool = with_copies(base, 1, ["000", "0000"])
    # Both copies cover the trust's first need, so that they are ranked.
    column = pool.areas.index(trust.needs[0].area)
    pool.strength[-2:, column] = 4.0
    pool.eligible[-2:, column] = True
    ranked = shortlist(trust, pool, k=5).ranked
    copy_ranks = {r.ods_code: r for r in ranked if r.ods_code in ("000", "0000")}
    assert copy_ranks["000"].total == copy_ranks["0000"].total
    assert copy_ranks["000"].rank + 1 == copy_ranks["0000"].rank
