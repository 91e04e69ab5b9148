"""redline: audit recorded AI-agent trials.

Works from Python and notebooks as well as from the ``redline`` command::

    import redline
    con = redline.connect("audit.duckdb")
    redline.ingest.ingest(["runs/"], con)
    redline.classify(con)
    redline.analyse(con)                  # episodes, phases, findings (redline.analysis for frames)
    redline.write_html(con, "report.html")
    con.sql("SELECT label_id, count(*) FROM current_labels GROUP BY ALL").show()
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import ingest  # the subpackage: redline.ingest.ingest(paths, con) reads transcripts
from .db import DEFAULT_DB, connect

__all__ = ["analyse", "audit", "classify", "connect", "ingest", "trial_summaries", "write_html"]

# The functions below import their layer when called, so that ``import redline`` (which every
# command and every ingest worker process does) stays light: the classifiers and the report
# pull in every rule and plotly.


def classify(con, rules=None, models=None, **kwargs):
    """Label the stored steps with every registered classifier (one recorded run).

    ``models``: the trained models to apply; None applies the available ones (the user's
    trained models, else the shipped defaults); ``()`` applies none (rules only).
    """
    from .classifiers.models.available import available_models
    from .classifiers.store import classify as _classify

    if models is None:
        models = available_models()
    return _classify(con, rules, models=models, **kwargs)


def analyse(con):
    """Find episodes, phases, command categories and findings, and store them."""
    from .analysis.store import analyse as _analyse

    return _analyse(con)


def write_html(con, out="report.html", title: str | None = None):
    """Write the self-contained HTML report."""
    from .reports.render import write_html as _write_html

    return _write_html(con, out, title=title)


def trial_summaries(con, **kwargs):
    """One row per trial with metadata, outcome and counts (a polars DataFrame)."""
    from .queries import trial_summaries as _ts

    return _ts(con, **kwargs)


def audit(
    paths,
    db_path: str = DEFAULT_DB,
    out: str = "report.html",
    *,
    title: str | None = None,
    on_ingest: Callable[[Any], None] | None = None,
    on_classify: Callable[[Any], None] | None = None,
    on_analyse: Callable[[Any], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    **kwargs: Any,
) -> Path:
    """Ingest, classify, analyse and report in one go; returns the report's path.

    ``kwargs`` go to :func:`redline.ingest.ingest` (``format``, ``workers``, ``force``,
    ``on_file``, ``on_total``). ``on_ingest``, ``on_classify`` and ``on_analyse`` receive the
    ingest, classify and analysis reports as each step ends; ``on_batch`` is classify's progress
    callback.
    """
    con = connect(db_path)
    try:
        ingested = ingest.ingest(paths, con, **kwargs)
        if on_ingest:
            on_ingest(ingested)
        classified = classify(con, on_batch=on_batch)
        if on_classify:
            on_classify(classified)
        analysed = analyse(con)
        if on_analyse:
            on_analyse(analysed)
        return write_html(con, out, title=title)
    finally:
        con.close()
