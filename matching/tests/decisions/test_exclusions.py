"""Trusts receiving support themselves are never recommended by default, and always say why they were left out."""

import pytest

from matching.engine import MatchSettings, shortlist
from matching.engine.shortlist import SUPPORT_FLAG
from matching.engine.types import EXCLUDE_RECEIVING_SUPPORT, EXCLUDE_SPECIAL_MEASURES, EXCLUSION_REASONS
from matching.tests.decisions.national import (
    PROFILES,
    SPECIAL_MEASURES,
    national_pool,
    receiving_support,
    special_measures_trusts,
)

IN_SUPPORT = sorted(code for code in PROFILES if receiving_support(code))


def test_the_scenario_has_trusts_in_special_measures_recovery_and_segment_four():
    assert {receiving_support(code).split()[0] for code in IN_SUPPORT} == {"special-measures", "recovery", "segment"}


@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_no_trust_receiving_support_is_ranked_and_each_is_excluded_with_its_reason(trust):
    pool = national_pool()
    result = shortlist(trust, pool, MatchSettings(), k=len(pool))

    ranked = {c.ods_code for c in result.ranked}
    assert ranked.isdisjoint(IN_SUPPORT), f"{trust.ods_code} ranks {sorted(ranked & set(IN_SUPPORT))}"
    reasons = {e.ods_code: e.reasons for e in result.excluded}
    for code in IN_SUPPORT:
        if code == trust.ods_code:
            continue
        assert code in reasons, f"{code} ({receiving_support(code)}) is not listed as excluded for {trust.ods_code}"
        why = receiving_support(code)
        expected = EXCLUSION_REASONS[
            EXCLUDE_SPECIAL_MEASURES if why == "special-measures" else EXCLUDE_RECEIVING_SUPPORT
        ]
        assert expected in reasons[code], f"{code} ({why}) excluded for {reasons[code]}"


def test_when_the_regulator_includes_trusts_receiving_support_they_may_be_ranked_but_are_flagged():
    pool = national_pool()
    settings = MatchSettings(include_receiving_support=True)
    ranked_in_support = set()
    for trust in special_measures_trusts():
        result = shortlist(trust, pool, settings, k=len(pool))
        for candidate in result.ranked:
            if receiving_support(candidate.ods_code):
                ranked_in_support.add(candidate.ods_code)
                assert any(flag.startswith(SUPPORT_FLAG) for flag in candidate.flags), (
                    f"{candidate.ods_code} ranked for {trust.ods_code} without a flag: {candidate.flags}"
                )
            else:
                assert not any(flag.startswith(SUPPORT_FLAG) for flag in candidate.flags)
        for exclusion in result.excluded:
            assert EXCLUSION_REASONS[EXCLUDE_RECEIVING_SUPPORT] not in exclusion.reasons
            assert EXCLUSION_REASONS[EXCLUDE_SPECIAL_MEASURES] not in exclusion.reasons
    # Those with strengths and an adequate rating (the trusts in recovery or segment 4) do appear.
    assert {"RX1", "RVV"} <= ranked_in_support
