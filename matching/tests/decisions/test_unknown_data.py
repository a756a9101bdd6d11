"""Unknown is not average: a trust with nothing recorded is never recommended, and missing data never beats real
data."""

import dataclasses
import itertools

import numpy as np
import pytest

from matching.engine import MatchSettings, score_pool, shortlist
from matching.engine.scoring import CULTURAL_FIT
from matching.tests.decisions.national import (
    SPECIAL_MEASURES,
    build_pool,
    has_nothing_recorded,
    national_pool,
    places,
    special_measures_trusts,
)

GOOD = 0.5  # a known criterion score at least this is real, good data


def test_most_of_the_registry_has_nothing_recorded_as_after_a_real_import():
    blank = [code for code in places() if has_nothing_recorded(code)]
    assert len(places()) == 252
    assert len(blank) == 252 - 45


@pytest.mark.parametrize("include", [False, True], ids=["default", "including-receiving-support"])
@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_a_trust_with_nothing_recorded_is_never_ranked_and_is_listed_as_not_covering_or_excluded(trust, include):
    pool = national_pool()
    result = shortlist(trust, pool, MatchSettings(include_receiving_support=include), k=len(pool))

    ranked = {c.ods_code for c in result.ranked}
    not_covering = set(result.not_covering)
    excluded = {e.ods_code for e in result.excluded}
    for code in places():
        if has_nothing_recorded(code):
            assert code not in ranked, f"{code} has nothing recorded but is ranked for {trust.ods_code}"
            assert code in not_covering | excluded, f"{code} is neither not covering nor excluded"
    assert ranked.isdisjoint(not_covering) and ranked.isdisjoint(excluded) and not_covering.isdisjoint(excluded)
    assert len(ranked) + len(not_covering) + len(excluded) == len(pool)


@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_an_unknown_criterion_scores_nothing_so_it_never_lifts_a_candidate_over_one_with_real_good_data(trust):
    pool = national_pool()
    scores = score_pool(trust, pool, MatchSettings())
    assert np.all(scores.criteria[~scores.known] == 0.0)

    result = shortlist(trust, pool, MatchSettings(), k=len(pool))
    compared = 0
    for higher, lower in itertools.combinations(result.ranked, 2):
        h = {c.name: c for c in higher.criteria}
        lo = {c.name: c for c in lower.criteria}
        unknown_against_good = [n for n in h if not h[n].known and lo[n].known and lo[n].score >= GOOD]
        if not unknown_against_good:
            continue
        compared += 1
        # `higher` ranks above `lower` only by being better on something it really knows.
        assert any(h[n].known and h[n].score > lo[n].score for n in h), (
            f"{trust.ods_code}: {higher.ods_code} (unknown {unknown_against_good}) outranks {lower.ods_code}, "
            "which has real good data there, without being better on anything known"
        )
    assert compared > 0  # the scenario has candidates without declared capacity


def test_a_twin_with_the_same_strengths_but_nothing_else_recorded_ranks_below_the_real_trust():
    """A copy of Guy's and St Thomas' (same place, same strengths) with no staff survey, capacity or trust type."""
    real = national_pool()
    row = real.ods_codes.tolist().index("RJ1")

    def with_twin(column, twin_value):
        value = np.asarray(column)
        return np.concatenate([value, np.asarray([twin_value], dtype=value.dtype)])

    twin = {
        "ods_codes": "RZZ",
        "culture": np.full((1, real.culture.shape[1]), np.nan),
        "strength": real.strength[row : row + 1],
        "eligible": real.eligible[row : row + 1],
        "max_arrangements": 0,
        "staff_days_offered": 0.0,
        "capacity_declared": False,
        "trust_type": "",
        "is_teaching": False,
    }
    columns = {}
    for field in dataclasses.fields(real):
        value = getattr(real, field.name)
        if field.name in ("areas", "labels"):
            continue
        if field.name in ("culture", "strength", "eligible"):
            columns[field.name] = np.vstack([value, twin[field.name]])
        else:
            columns[field.name] = with_twin(value, twin.get(field.name, np.asarray(value)[row]))
    pool = dataclasses.replace(build_pool(), **columns)

    for trust in special_measures_trusts():
        result = shortlist(trust, pool, MatchSettings(), k=len(pool))
        order = [c.ods_code for c in result.ranked]
        if "RJ1" not in order:
            continue
        assert "RZZ" in order, f"{trust.ods_code}: the twin covers the same needs, so it is ranked too"
        assert order.index("RJ1") < order.index("RZZ"), f"{trust.ods_code}: the twin outranks RJ1"
        twin_entry = result.ranked[order.index("RZZ")]
        assert set(twin_entry.missing) == {"staff survey profile", "declared capacity", "trust type"}
        assert twin_entry.criteria[CULTURAL_FIT].score == 0.0 and not twin_entry.criteria[CULTURAL_FIT].known
