import numpy as np
import pytest

from matching.engine import MatchSettings, shortlist, shortlist_loop, synthetic_pool, synthetic_supported
from matching.engine.shortlist import ACQUIRER_FLAG, FAR_WARNING, LOW_FIT_WARNING, top_k
from matching.engine.types import CRITERIA, EXCLUDE_AT_CAPACITY, EXCLUDE_SPECIAL_MEASURES, EXCLUSION_REASONS
from matching.tests.engine.builders import make_pool, make_trust, north_of_home


def test_ranks_by_total_best_first_and_breaks_ties_by_ods_code():
    pool = make_pool(
        [
            {"ods": "RC3", "strengths": {"quality-and-safety": 3}},
            {"ods": "RB2", "strengths": {"quality-and-safety": 5}},
            {"ods": "RA9", "strengths": {"quality-and-safety": 3}},  # identical to RC3 but for the ODS code
            {"ods": "RA1", "strengths": {"quality-and-safety": 1}},
        ]
    )
    result = shortlist(make_trust(), pool, k=10)
    assert [r.ods_code for r in result.ranked] == ["RB2", "RA9", "RC3", "RA1"]
    assert [r.rank for r in result.ranked] == [1, 2, 3, 4]
    assert result.ranked[1].total == result.ranked[2].total
    assert result.considered == 4


def test_lists_only_the_best_k():
    pool = make_pool([{"ods": f"RA{i}", "strengths": {"quality-and-safety": i}} for i in range(1, 6)])
    assert [r.ods_code for r in shortlist(make_trust(), pool, k=2).ranked] == ["RA5", "RA4"]
    assert shortlist(make_trust(), pool, k=0).ranked == ()


def test_excluded_candidates_are_never_ranked_and_are_listed_by_ods_code_with_every_reason():
    pool = make_pool(
        [
            {"ods": "RC1", "in_special_measures": True, "max_arrangements": 1, "active_arrangements": 1},
            {"ods": "RA1", "strengths": {"quality-and-safety": 5}, "rated_inadequate": True},
            {"ods": "RB1"},
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
                "culture": (8, 2),
                "strengths": {"quality-and-safety": 4, "maternity": 5},
                "no_service": ("maternity",),
                "max_arrangements": 3,
                "active_arrangements": 1,
                "staff_days_committed": 2.5,
                "number_of_sites": 3,
                **north_of_home(100.0),
            },
            {"ods": "RA2", "culture": (2, 8)},
        ]
    )
    trust = make_trust(
        needs={"quality-and-safety": 3, "maternity": 2},
        culture=(8, 2),
        number_of_sites=2,
        trust_type="acute-district-general",
    )
    first = shortlist(trust, pool).ranked[0]
    assert first.ods_code == "RA1"
    assert [c.name for c in first.criteria] == list(CRITERIA)
    assert sum(c.contribution for c in first.criteria) == pytest.approx(first.total)
    reasons = {c.name: c.reason for c in first.criteria}
    assert reasons["cultural_fit"] == "Staff survey profiles 100% alike in shape (centred on the national average)"
    assert reasons["expertise"] == (
        "Covers quality-and-safety (strength 4/5, priority 3); no credit for maternity: does not run the service"
    )
    assert reasons["geography"] == (
        "Estimated 130 minutes by road (100 km, estimated from straight-line distance): beyond the ideal 120 minutes"
    )
    assert reasons["capacity"] == "2 of 3 buddying places free; 7.5 of 10 senior staff days a month free"
    assert reasons["structure"].startswith("Same trust type (acute-district-general); neither teaching; 3 sites")
    assert first.covers == ("quality-and-safety",)
    assert first.distance_km == pytest.approx(100.0)
    assert first.travel_minutes == pytest.approx(130.0)


def test_warns_of_low_cultural_fit_and_of_visits_far_enough_to_need_an_overnight_stay():
    pool = make_pool(
        [
            {"ods": "RA1", "culture": (8, 2), **north_of_home(300.0)},
            {"ods": "RA2", "culture": (2, 8), **north_of_home(60.0)},
            {"ods": "RA3", "culture": None, **north_of_home(60.0)},
        ]
    )
    ranked = {r.ods_code: r for r in shortlist(make_trust(culture=(8, 2)), pool).ranked}
    assert ranked["RA1"].warnings == (FAR_WARNING,)
    geography = ranked["RA1"].criteria[CRITERIA.index("geography")]
    assert geography.score < 0.5
    assert geography.reason.endswith("beyond 180 minutes, so visits are likely to need an overnight stay")
    assert ranked["RA2"].warnings == (LOW_FIT_WARNING,)
    assert ranked["RA3"].warnings == ()
    assert ranked["RA3"].criteria[0].reason == "No culture profile to compare"


def test_a_declared_potential_acquirer_is_flagged_and_still_ranked():
    pool = make_pool([{"ods": "RA1", "potential_acquirer": True}, {"ods": "RA2"}])
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
    pool = synthetic_pool(400, seed=3)
    for trust in synthetic_supported(pool, 8, seed=4):
        for settings in (MatchSettings(), MatchSettings(pool_only=True)):
            engine = shortlist(trust, pool, settings, k=25).ranked
            loop = shortlist_loop(trust, pool, settings, k=25)
            assert [r.ods_code for r in engine] == [code for code, _ in loop]
            np.testing.assert_allclose([r.total for r in engine], [total for _, total in loop], rtol=0, atol=1e-12)


def test_identical_candidates_get_bit_identical_totals_wherever_they_sit_in_the_pool():
    # Found by Hypothesis: with a BLAS matrix-vector product these two copies of one candidate got totals one unit
    # in the last place apart (OpenBLAS rounds a vector's tail differently from its body), so "0000" outranked
    # "000". Totals are now summed element-wise.
    base = synthetic_pool(3, seed=2970)
    fields = {name: getattr(base, name) for name in base.__dataclass_fields__}
    copies = {
        name: value if name == "areas" else np.concatenate([value, value[[1, 1]]]) for name, value in fields.items()
    }
    copies["ods_codes"] = np.concatenate([base.ods_codes, ["000", "0000"]])
    for name, value in (("in_special_measures", False), ("rated_inadequate", False), ("max_arrangements", 2)):
        copies[name][-2:] = value
    copies["active_arrangements"][-2:] = 0
    copies["staff_days_offered"][-2:] = 10.0
    copies["staff_days_committed"][-2:] = 0.0
    pool = type(base)(**copies)
    ranked = shortlist(synthetic_supported(base, 1, seed=2970)[0], pool, k=5).ranked
    copy_ranks = {r.ods_code: r for r in ranked if r.ods_code in ("000", "0000")}
    assert copy_ranks["000"].total == copy_ranks["0000"].total
    assert copy_ranks["000"].rank + 1 == copy_ranks["0000"].rank
