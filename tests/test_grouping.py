"""The one greedy grouping of batches and shards."""

from redline.grouping import greedy_groups


def test_groups_keep_order_and_both_bounds_and_a_large_item_stands_alone():
    items = [("a", 3), ("b", 3), ("c", 3), ("d", 20), ("e", 1), ("f", None), ("g", -5), ("h", 1)]
    assert greedy_groups(items, max_size=7, max_items=3) == [["a", "b"], ["c"], ["d"], ["e", "f", "g"], ["h"]]
    assert greedy_groups([], 10, 10) == []
    assert greedy_groups([("x", 50)], 10, 10) == [["x"]]


def test_sizes_of_several_measures_keep_each_bound():
    items = [("a", (3, 10)), ("b", (3, 10)), ("c", (1, 90)), ("d", (1, 1)), ("e", (50, 0)), ("f", (None, 2))]
    assert greedy_groups(items, max_size=(7, 100), max_items=10) == [["a", "b"], ["c", "d"], ["e"], ["f"]]
    # the second measure alone ends a group the first would let grow
    assert greedy_groups([("x", (0, 60)), ("y", (0, 60)), ("z", (0, 30))], (10, 100), 10) == [["x"], ["y", "z"]]
