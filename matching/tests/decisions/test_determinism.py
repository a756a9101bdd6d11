"""Determinism: the same inputs give the same shortlists, teams and waves, run after run."""

import dataclasses

import pytest

from matching.engine import MatchSettings, allocate_wave, build_team, shortlist
from matching.tests.decisions.national import build_pool, isle_of_wight, special_measures_trusts

SETTINGS = MatchSettings()


def decisions(pool):
    """Everything the engine decides for the scenario, without the timings."""
    trusts = (*special_measures_trusts(), isle_of_wight())
    shortlists = [shortlist(t, pool, SETTINGS, k=len(pool)) for t in trusts]
    also = [shortlist(t, pool, MatchSettings(include_receiving_support=True), k=10) for t in trusts]
    teams = [
        (r.heuristic, r.exact, r.gap) for r in (build_team(t, pool, SETTINGS, k=3) for t in special_measures_trusts())
    ]
    waves = [
        dataclasses.replace(allocate_wave(trusts, pool, SETTINGS, k=3, method=method), elapsed_ms=0.0)
        for method in ("coverage", "assignment", "stable")
    ]
    return shortlists, also, teams, waves


@pytest.fixture(scope="module")
def first():
    return decisions(build_pool())


def test_the_same_pool_gives_the_same_decisions_twice(first):
    pool = build_pool()
    assert decisions(pool) == decisions(pool)


def test_a_pool_built_afresh_from_the_same_data_gives_identical_shortlists_teams_and_waves(first):
    again = decisions(build_pool())
    for name, a, b in zip(("shortlists", "including support", "teams", "waves"), first, again, strict=True):
        assert a == b, f"{name} differ between two runs on the same inputs"
