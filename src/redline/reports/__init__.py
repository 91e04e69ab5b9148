"""Reports: the HTML report (one file or a static site), the Markdown/JSON summaries and the CI
gate, built from the database in one bulk read (:mod:`redline.reports.data`)."""

from .render import write_html, write_report

__all__ = ["write_html", "write_report"]
