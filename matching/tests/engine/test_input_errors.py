"""Input the engine cannot use is refused with one plain sentence (EngineInputError), never a crash."""

import dataclasses
import math

import numpy as np
import pytest

from matching.engine import (
    EngineInputError,
    GeographyBand,
    MatchSettings,
    Need,
    Weights,
    build_team,
    score_pool,
    shortlist,
)
from matching.tests.engine.builders import make_pool, make_trust


def refuses(message, trust=None, pool=None, settings=None, **kwargs):
    trust = trust or make_trust()
    if pool is None:  # not `pool or ...`: an empty pool is falsy
        pool = make_pool([{"ods": "RA1", "strengths": {"quality-and-safety": 4}}])
    for call in (shortlist, build_team):
        with pytest.raises(EngineInputError) as error:
            call(trust, pool, settings or MatchSettings(), **kwargs)
        assert str(error.value) == message


@pytest.mark.parametrize(
    "location", [{"latitude": None}, {"longitude": None}, {"latitude": math.nan}, {"longitude": math.inf}]
)
def test_a_supported_trust_with_no_location(location):
    refuses("RSM has no location, so geography cannot be judged", make_trust(**location))


def test_a_supported_trust_with_no_needs():
    refuses(
        "RSM has no improvement needs recorded, so there is nothing to match against",
        make_trust(needs={}),
    )


def test_an_empty_pool():
    empty = make_pool([])
    refuses("The pool of candidates is empty", pool=empty)


@pytest.mark.parametrize("priority", [0, 4, -1])
def test_a_need_priority_outside_1_to_3(priority):
    refuses(
        f"RSM's need for finance has priority {priority}, but priorities run from 1 to 3",
        make_trust(needs={"finance": priority}),
    )


def test_the_same_need_twice():
    trust = dataclasses.replace(make_trust(), needs=(Need("finance", 2), Need("finance", 3)))
    refuses("RSM lists the need for finance more than once", trust)


def test_negative_weights():
    refuses(
        "The weight for cultural fit must be a number of 0 or more, not -1.0",
        settings=MatchSettings(weights=Weights(cultural_fit=-1.0)),
    )


def test_all_zero_weights():
    zero = Weights(cultural_fit=0, expertise=0, geography=0, capacity=0, structure=0)
    refuses("At least one weight must be more than 0", settings=MatchSettings(weights=zero))


def test_a_longest_travel_time_below_the_ideal():
    band = GeographyBand(ideal_max_minutes=120, max_minutes=90)
    refuses(
        "The longest travel time must be at least the ideal travel time",
        settings=MatchSettings(geography=band),
    )


def test_a_culture_profile_of_the_wrong_length():
    refuses(
        "RSM has a culture profile of 3 scores, but the pool's profiles have 2",
        make_trust(culture=(5.0, 5.0, 5.0)),
    )


def test_pool_columns_of_different_lengths():
    pool = make_pool([{"ods": "RA1"}, {"ods": "RA2"}])
    short = dataclasses.replace(pool, latitude=pool.latitude[:1])
    refuses("The pool has 2 candidates but 1 values of latitude", pool=short)


def test_a_strength_matrix_of_the_wrong_shape():
    pool = make_pool([{"ods": "RA1"}, {"ods": "RA2"}])
    wrong = dataclasses.replace(pool, strength=np.zeros((2, 2)))
    refuses("The pool has 2 candidates and 3 areas but strength has shape (2, 2)", pool=wrong)


def test_strengths_outside_0_to_5():
    pool = make_pool([{"ods": "RA1", "strengths": {"finance": 7}}])
    refuses("Every expertise strength must be a number from 0 to 5", pool=pool)


def test_the_same_ods_code_twice_in_the_pool():
    refuses("The ODS code RA1 appears more than once in the pool", pool=make_pool([{"ods": "RA1"}, {"ods": "RA1"}]))


def test_a_negative_number_to_list():
    with pytest.raises(EngineInputError) as error:
        shortlist(make_trust(), make_pool([{"ods": "RA1"}]), k=-1)
    assert str(error.value) == "The number of candidates to list must be a whole number of 0 or more"


def test_a_team_size_of_zero():
    with pytest.raises(EngineInputError) as error:
        build_team(make_trust(), make_pool([{"ods": "RA1"}]), k=0)
    assert str(error.value) == "The number of buddies per trust must be a whole number of 1 or more"


def test_an_unknown_need_area_is_not_an_error():
    scores = score_pool(make_trust(needs={"no-such-area": 2}), make_pool([{"ods": "RA1"}]), MatchSettings())
    assert scores.need_known == (False,)
    assert scores.criteria[0, 1] == 0.0


def test_engine_input_error_is_a_value_error():
    # Callers that only catch ValueError still catch it.
    assert issubclass(EngineInputError, ValueError)
