"""redline: audit recorded AI-agent trials.

Works from Python and notebooks as well as from the ``redline`` command::

    import redline
    con = redline.connect("audit.duckdb")
    redline.ingest.ingest(["runs/"], con)
    redline.classify(con)
    redline.analyse(con)                  # episodes, phases, findings (redline.analysis for frames)
    redline.write_html(con, "report.html")
    con.sql("SELECT label_id, count(*) FROM labels GROUP BY ALL").show()
"""

from __future__ import annotations

from typing import Any

from . import ingest  # the subpackage: redline.ingest.ingest(paths, con) reads transcripts
from .db import connect

__all__ = ["analyse", "audit", "classify", "connect", "ingest", "trial_summaries", "write_html"]


def classify(con, rules=None, **kwargs):
    """Label the stored steps with every registered classifier."""
    from .classifiers.engine import classify as _classify

    return _classify(con, rules, **kwargs)


def analyse(con):
    """Find episodes, phases, command categories and findings, and store them."""
    from .analysis_tables import analyse as _analyse

    return _analyse(con)


def write_html(con, out="report.html", title: str | None = None):
    """Write the self-contained HTML report."""
    from .reports.render import write_html as _write_html

    return _write_html(con, out, title=title)


def trial_summaries(con, **kwargs):
    """One row per trial with metadata, outcome and counts (a polars DataFrame)."""
    from .queries import trial_summaries as _ts

    return _ts(con, **kwargs)


def audit(paths, db_path: str = "redline.duckdb", out: str = "report.html", **kwargs: Any):
    """Ingest, classify and report in one go; returns the report's path."""
    con = connect(db_path)
    try:
        ingest.ingest(paths, con, **kwargs)
        classify(con)
        analyse(con)
        return write_html(con, out)
    finally:
        con.close()
