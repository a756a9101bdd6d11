"""Relevance of the top ten: every buddy recommended for a trust in special measures can help it with a need."""

import pytest

from matching.engine import MatchSettings, shortlist
from matching.tests.decisions.national import SPECIAL_MEASURES, covers, national_pool, special_measures_trusts

SETTINGS = MatchSettings()


@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_every_buddy_in_the_top_ten_covers_one_of_the_trusts_needs_at_the_covering_strength(trust):
    result = shortlist(trust, national_pool(), SETTINGS, k=10)

    assert len(result.ranked) == 10, f"{trust.ods_code}: only {len(result.ranked)} buddies ranked"
    useless = [c.ods_code for c in result.ranked if not covers(c.ods_code, trust.needs, SETTINGS.covers_at)]
    assert useless == [], f"{trust.ods_code}: ranked buddies covering none of its needs at {SETTINGS.covers_at}+"
    for candidate in result.ranked:
        assert set(candidate.covers) == set(covers(candidate.ods_code, trust.needs, SETTINGS.covers_at))


def test_guys_and_st_thomas_the_real_superbuddy_is_in_medways_top_three():
    medway = next(t for t in special_measures_trusts() if t.ods_code == "RPA")

    top = [c.ods_code for c in shortlist(medway, national_pool(), SETTINGS, k=10).ranked]

    assert "RJ1" in top[:3], f"RPA's top three: {top[:3]}"
