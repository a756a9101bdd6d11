"""Cultural fit compares values patterns (where a trust is relatively strong or weak), not overall levels."""

import dataclasses

import numpy as np
import pytest

from matching.engine import MatchSettings, score_pool, shortlist
from matching.engine.scoring import CULTURAL_FIT
from matching.engine.shortlist import LOW_FIT_WARNING
from matching.tests import national_profiles as profiles
from matching.tests.decisions.national import PROFILES, SPECIAL_MEASURES, national_pool, special_measures_trusts

SETTINGS = MatchSettings()


def alike(trust_code):
    """Strong trusts with the special measures trust's values pattern, at a higher level."""
    own = PROFILES[trust_code]
    return [
        p.ods_code
        for p in profiles.STRONG_TEACHING
        if p.culture_pattern == own.culture_pattern and p.culture_level > own.culture_level
    ]


@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_a_strong_trust_with_the_same_values_pattern_at_a_higher_level_fits_well_and_carries_no_warning(trust):
    pool = national_pool()
    codes = pool.ods_codes.tolist()
    scores = score_pool(trust, pool, SETTINGS)
    ranked = {c.ods_code: c for c in shortlist(trust, pool, SETTINGS, k=len(pool)).ranked}
    same = alike(trust.ods_code)
    assert len(same) >= 4
    for code in same:
        fit = float(scores.criteria[codes.index(code), CULTURAL_FIT])
        level_gap = PROFILES[code].culture_level - PROFILES[trust.ods_code].culture_level
        assert fit >= 0.95, f"{code} shares {trust.ods_code}'s pattern {level_gap:.1f} points higher, fit {fit:.3f}"
        if code in ranked:
            assert not [w for w in ranked[code].warnings if w.startswith(LOW_FIT_WARNING)]


@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_raising_the_whole_staff_survey_by_two_points_changes_no_cultural_fit(trust):
    pool = national_pool()
    higher = dataclasses.replace(trust, culture=tuple(score + 2.0 for score in trust.culture))

    before = score_pool(trust, pool, SETTINGS).criteria[:, CULTURAL_FIT]
    after = score_pool(higher, pool, SETTINGS).criteria[:, CULTURAL_FIT]

    np.testing.assert_allclose(after, before, atol=1e-12)
