"""Similar steps: find the steps most like one step across a database (``redline similar``).

- :mod:`.features`: how a step's text becomes hashed word and word-pair features, stated once
  and used by both the index build and the query;
- :mod:`.index`: the index stored beside the database (memory-mapped arrays), its freshness
  check, and the queries.

Kept apart from :mod:`redline.classifiers` so a query imports no classifier, rule or model:
only numpy and the database.
"""
