"""The one greedy grouping of batches and shards."""

from redline.grouping import greedy_groups


def test_groups_keep_order_and_both_bounds_and_a_large_item_stands_alone():
    items = [("a", 3), ("b", 3), ("c", 3), ("d", 20), ("e", 1), ("f", None), ("g", -5), ("h", 1)]
    assert greedy_groups(items, max_size=7, max_items=3) == [["a", "b"], ["c"], ["d"], ["e", "f", "g"], ["h"]]
    assert greedy_groups([], 10, 10) == []
    assert greedy_groups([("x", 50)], 10, 10) == [["x"]]
