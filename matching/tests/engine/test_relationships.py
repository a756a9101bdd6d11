"""A known relationship with the supported trust is a modest bonus: explained, never a penalty, never eligibility."""

import dataclasses

import numpy as np
import pytest

from matching.engine import EngineInputError, MatchSettings, Weights, allocate_wave, build_team, score_pool, shortlist
from matching.engine.types import CRITERIA, RELATIONSHIP, RELATIONSHIP_LABEL
from matching.tests.engine.builders import make_pool, make_trust, north_of_home

WORKED_TOGETHER = "Chief executives or chairs have worked together (confirmed by both trusts)"
NETWORK = "Both are in a shared network (recorded by regulator staff)"


def two_alike_candidates():
    """RA1 and RB2 are identical but for their ODS codes, so RA1 wins a tie."""
    same = {"strengths": {"quality-and-safety": 4}, "culture": (8.0, 2.0), **north_of_home(80.0)}
    return make_pool([{"ods": "RA1", **same}, {"ods": "RB2", **same}])


def test_a_confirmed_relationship_adds_the_bonus_and_lifts_the_candidate_above_its_twin():
    pool = two_alike_candidates()
    alone = shortlist(make_trust(culture=(8.0, 2.0)), pool)
    assert [r.ods_code for r in alone.ranked] == ["RA1", "RB2"]

    trust = make_trust(culture=(8.0, 2.0), relationships=(("RB2", WORKED_TOGETHER),))
    result = shortlist(trust, pool)
    assert [r.ods_code for r in result.ranked] == ["RB2", "RA1"]
    related, other = result.ranked
    # The default bonus is 0.05 against weights adding up to 1: five points out of 100.
    assert related.total == pytest.approx(other.total + 0.05)
    assert other.total == pytest.approx(alone.ranked[0].total)  # no relationship: nothing taken away
    assert result.relationship_bonus == pytest.approx(0.05)


def test_the_relationship_is_explained_after_the_criteria_and_its_reason_is_true_of_the_numbers():
    trust = make_trust(culture=(8.0, 2.0), relationships=(("RB2", WORKED_TOGETHER), ("RB2", NETWORK)))
    result = shortlist(trust, two_alike_candidates())
    related = next(r for r in result.ranked if r.ods_code == "RB2")
    assert [c.name for c in related.criteria] == [*CRITERIA, RELATIONSHIP]
    bonus = related.criteria[-1]
    assert bonus.label == RELATIONSHIP_LABEL
    assert bonus.known and bonus.score == 1.0
    assert bonus.contribution == pytest.approx(0.05)
    assert bonus.reason == f"{WORKED_TOGETHER}; {NETWORK}: adds 5 points to the score"
    assert sum(c.contribution for c in related.criteria) == pytest.approx(related.total)
    # One pair with two relationships gets the bonus once.
    assert related.total == pytest.approx(next(r for r in result.ranked if r.ods_code == "RA1").total + 0.05)


def test_a_candidate_without_a_relationship_has_no_bonus_row_and_nothing_missing():
    trust = make_trust(culture=(8.0, 2.0), relationships=(("RB2", WORKED_TOGETHER),))
    result = shortlist(trust, two_alike_candidates())
    unrelated = next(r for r in result.ranked if r.ods_code == "RA1")
    assert [c.name for c in unrelated.criteria] == list(CRITERIA)
    assert unrelated.missing == ()
    assert sum(c.contribution for c in unrelated.criteria) == pytest.approx(unrelated.total)


def test_the_bonus_stops_the_total_at_100_and_says_so():
    perfect = {
        "strengths": {"quality-and-safety": 5},
        "culture": (8.0, 2.0),
        **north_of_home(60.0),
    }
    pool = make_pool([{"ods": "RA1", **perfect}])
    trust = make_trust(
        culture=(8.0, 2.0), trust_type="acute-district-general", relationships=(("RA1", WORKED_TOGETHER),)
    )
    scores = score_pool(trust, pool, MatchSettings())
    base = float(scores.criteria[0] @ scores.weights)
    assert base > 0.95
    assert scores.total[0] == pytest.approx(1.0)
    candidate = shortlist(trust, pool).ranked[0]
    bonus = candidate.criteria[-1]
    assert bonus.contribution == pytest.approx(1.0 - base)
    assert f"adds {round(100 * (1.0 - base))} point" in bonus.reason
    assert bonus.reason.endswith("(a score stops at 100)")


def test_a_relationship_never_makes_a_candidate_that_covers_no_need_or_is_excluded_rankable():
    pool = make_pool(
        [
            {"ods": "RA1", "strengths": {"finance": 5}, "culture": (8.0, 2.0), **north_of_home(80.0)},
            {"ods": "RB2", "strengths": {"quality-and-safety": 5}, "in_special_measures": True},
            {"ods": "RC3", "strengths": {"quality-and-safety": 3}, **north_of_home(80.0)},
        ]
    )
    trust = make_trust(relationships=(("RA1", WORKED_TOGETHER), ("RB2", WORKED_TOGETHER)))
    result = shortlist(trust, pool)
    assert [r.ods_code for r in result.ranked] == ["RC3"]
    assert result.not_covering == ("RA1",)
    assert [e.ods_code for e in result.excluded] == ["RB2"]
    team = build_team(trust, pool, MatchSettings(), k=3)
    assert [m.ods_code for m in team.heuristic.members] == ["RC3"]


def test_a_relationship_with_a_trust_not_in_the_pool_or_with_itself_changes_nothing():
    pool = two_alike_candidates()
    plain = score_pool(make_trust(), pool, MatchSettings())
    odd = score_pool(make_trust(relationships=(("RZZ", NETWORK), ("RSM", NETWORK))), pool, MatchSettings())
    np.testing.assert_array_equal(plain.total, odd.total)
    assert not odd.related.any()


def test_the_bonus_is_in_points_whatever_the_units_of_the_weights_and_can_be_turned_off():
    pool = two_alike_candidates()
    trust = make_trust(culture=(8.0, 2.0), relationships=(("RB2", WORKED_TOGETHER),))
    # Weights entered as percentages: the bonus is still 0.10 of the score, 10 points.
    percent = Weights(cultural_fit=35, expertise=30, geography=15, capacity=12, structure=8, relationship=0.10)
    scores = score_pool(trust, pool, MatchSettings(weights=percent))
    assert scores.total[1] - scores.total[0] == pytest.approx(0.10)
    off = dataclasses.replace(percent, relationship=0)
    scores = score_pool(trust, pool, MatchSettings(weights=off))
    assert scores.total[1] == pytest.approx(scores.total[0])
    result = shortlist(trust, pool, MatchSettings(weights=off))
    assert "adds 0 points" in next(r for r in result.ranked if r.ods_code == "RB2").criteria[-1].reason


@pytest.mark.parametrize(
    ("relationship", "message"),
    [
        (-1.0, "The bonus for a known relationship must be a number of 0 or more"),
        (float("nan"), "The bonus for a known relationship must be a number of 0 or more"),
        (0.6, "must be at most 50 points out of 100"),
    ],
)
def test_a_relationship_weight_that_cannot_be_used_is_refused_in_one_sentence(relationship, message):
    with pytest.raises(EngineInputError, match=message):
        MatchSettings(weights=Weights(relationship=relationship)).validate()


def test_teams_prefer_the_related_candidate_when_all_else_is_equal():
    pool = two_alike_candidates()
    trust = make_trust(culture=(8.0, 2.0), relationships=(("RB2", WORKED_TOGETHER),))
    team = build_team(trust, pool, MatchSettings(), k=1)
    assert [m.ods_code for m in team.heuristic.members] == ["RB2"]
    assert team.exact is not None and [m.ods_code for m in team.exact.members] == ["RB2"]
    # The team names the relationship and what it added, as the shortlist does.
    (member,) = team.heuristic.members
    assert member.relationship == f"{WORKED_TOGETHER}: adds 5 points to the score"


def test_a_wave_member_names_its_relationship_and_one_without_says_nothing():
    pool = two_alike_candidates()
    related = make_trust(ods="RS1", culture=(8.0, 2.0), relationships=(("RB2", WORKED_TOGETHER),))
    plain = make_trust(ods="RS2", culture=(8.0, 2.0))
    wave = allocate_wave([related, plain], pool, k=1)
    members = {allocation.supported: allocation.members for allocation in wave.allocations}
    assert [(m.ods_code, m.relationship) for m in members["RS1"]] == [
        ("RB2", f"{WORKED_TOGETHER}: adds 5 points to the score")
    ]
    assert [m.relationship for m in members["RS2"]] == [""]
