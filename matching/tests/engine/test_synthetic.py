import numpy as np

from matching.engine import DEFAULT_AREAS, shortlist, synthetic_pool, synthetic_supported
from matching.engine.types import COVERS_AT_DEFAULT


def test_the_same_seed_gives_the_same_pool_and_trusts():
    a, b = synthetic_pool(500, seed=1), synthetic_pool(500, seed=1)
    for name in a.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) and x.dtype.kind == "f":
            np.testing.assert_array_equal(x, y)
        elif isinstance(x, np.ndarray):
            assert (x == y).all(), name
        else:
            assert x == y
    assert synthetic_supported(a, 5, seed=2) == synthetic_supported(b, 5, seed=2)
    assert not np.array_equal(synthetic_pool(500, seed=2).latitude, a.latitude)


def test_the_pool_has_a_realistic_shape():
    pool = synthetic_pool(20_000, seed=3)
    assert len(pool) == 20_000 and len(set(pool.ods_codes.tolist())) == 20_000
    assert pool.areas == DEFAULT_AREAS and len(DEFAULT_AREAS) == 12
    assert pool.latitude.min() >= 50.2 and pool.latitude.max() <= 55.8
    assert pool.longitude.min() >= -5.5 and pool.longitude.max() <= 1.7
    assert 35 <= len(set(pool.ics.tolist())) <= 42
    assert 0.05 < pool.in_special_measures.mean() < 0.09
    assert 0.035 < pool.rated_inadequate.mean() < 0.065
    assert 0.35 < pool.pool_member.mean() < 0.45
    assert 0.03 < pool.potential_acquirer.mean() < 0.07
    assert 0.6 < (pool.strength == 0).mean() < 0.95  # sparse
    assert pool.strength.max() == 5
    assert 0.75 < pool.eligible.mean() < 0.95
    assert set(pool.max_arrangements.tolist()) == {1, 2, 3}
    assert (pool.active_arrangements <= pool.max_arrangements).all()
    culture = pool.culture[~np.isnan(pool.culture).any(axis=1)]
    assert culture.shape[1] == 9 and culture.min() >= 0 and culture.max() <= 10
    # ODS order is not row order, so tie-breaks by ODS code are really tested.
    assert pool.ods_codes.tolist() != sorted(pool.ods_codes.tolist())
    # The regulator's columns: trusts receiving support, undeclared capacity, declared travel, ferries.
    assert 0.11 < pool.receiving_support.mean() < 0.17
    assert pool.receiving_support[pool.rated_inadequate].all()
    assert 0.08 < (~pool.capacity_declared).mean() < 0.12
    declared = np.isfinite(pool.max_travel_minutes)
    assert pool.pool_member[declared].all() and 0.4 < declared[pool.pool_member].mean() < 0.6
    assert set(pool.max_travel_minutes[declared].tolist()) == {90.0, 120.0, 150.0, 180.0, 240.0}
    assert 0.01 < (pool.travel_adjustment_minutes > 0).mean() < 0.03


def test_most_good_trusts_cover_needs_at_the_covering_strength_so_shortlists_are_not_empty():
    pool = synthetic_pool(400, seed=3)
    covering = ((pool.strength >= COVERS_AT_DEFAULT) & pool.eligible).any(axis=1)
    assert covering.mean() > 0.5
    assert covering[~pool.rated_inadequate].mean() > 2 * covering[pool.rated_inadequate].mean()
    for trust in synthetic_supported(pool, 30, seed=4):
        assert len(shortlist(trust, pool, k=10).ranked) == 10


def test_supported_trusts_in_special_measures_with_existing_buddies_and_ferries():
    pool = synthetic_pool(300, seed=5)
    trusts = synthetic_supported(pool, 400, seed=6)
    assert 0.3 < np.mean([t.in_special_measures for t in trusts]) < 0.5
    with_buddy = [t for t in trusts if t.existing_buddies]
    assert 0.1 < len(with_buddy) / len(trusts) < 0.2
    busy = set(pool.ods_codes[pool.active_arrangements > 0].tolist())
    # An existing arrangement is one of the buddy's active ones: it already uses a place.
    assert all(len(t.existing_buddies) == 1 and t.existing_buddies <= busy for t in with_buddy)
    assert 0 < sum(t.travel_adjustment_minutes > 0 for t in trusts) < 0.05 * len(trusts)


def test_stronger_trusts_have_more_expertise():
    pool = synthetic_pool(5_000, seed=4)
    strong = pool.strength.sum(axis=1)
    assert strong[~pool.rated_inadequate].mean() > 2 * strong[pool.rated_inadequate].mean()


def test_supported_trusts_have_two_to_five_needs_of_priority_one_to_three():
    pool = synthetic_pool(300, seed=5)
    trusts = synthetic_supported(pool, 100, seed=6)
    assert len({t.ods_code for t in trusts}) == 100
    assert not {t.ods_code for t in trusts} & set(pool.ods_codes.tolist())
    for trust in trusts:
        assert 2 <= len(trust.needs) <= 5
        assert all(1 <= need.priority <= 3 and need.area in pool.areas for need in trust.needs)
        assert trust.latitude is not None and trust.ics


def test_other_areas_and_culture_dimensions():
    pool = synthetic_pool(50, seed=7, areas=("a", "b"), culture_dims=4)
    assert pool.strength.shape == (50, 2) and pool.culture.shape == (50, 4)
    assert pool.eligible.all()
