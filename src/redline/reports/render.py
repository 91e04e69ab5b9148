"""Write the HTML report: one self-contained file for a small audit, a static site for a large one.

* ``write_report(con, "report.html")``: one file that opens offline (plotly.js, the page's
  script and style inlined). Past :data:`MAX_SINGLE_TRIALS` trials or :data:`MAX_SINGLE_EVENTS`
  events it writes the site instead, into the folder named like the file without its suffix,
  and leaves at ``report.html`` a page pointing to it (``single=True`` forces one file).
* ``write_report(con, "report/")`` (or an existing folder): a static site that opens from
  disk: ``index.html`` (overview, trials, search, labels), ``trials/<trial>.html`` (one page per
  trial), ``rules.html``, ``search/*.js`` (the search text, loaded when a search starts) and
  ``assets/`` (plotly.js, the page's script and style, once). Data rides in each page as JSON
  in ``<script type="application/json">``, never fetched: browsers refuse ``fetch`` over file://.

Safety: every transcript string reaches the page through Jinja's autoescaping (or through
:mod:`redline.reports.transcript`, which escapes it) or as JSON with ``<``, ``>``, ``&`` and the
line separators escaped, so no transcript string can open or close a tag. Each page carries a
Content-Security-Policy that loads nothing from the network and runs only the report's own
scripts (by hash in the single file; from the site's own folder in the site), never ``eval``.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb
import orjson
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from ..classifiers.docs import doc_sections, rule_record
from ..classifiers.registry import get_entry
from ..files import write_whole
from ..text import for_terminal
from . import data as data_mod
from .pages import Links, Pages, rule_summary, safe_severity
from .transcript import SEARCH_CHARS

#: the largest audit written as one file (beyond it, a site): trials, and events (steps)
MAX_SINGLE_TRIALS = 200
MAX_SINGLE_EVENTS = 20_000
#: trials per search file of a site
SEARCH_CHUNK_TRIALS = 100

_ASSETS = files("redline.reports") / "assets"
_CSP_COMMON = "default-src 'none'; img-src data:; font-src data:; base-uri 'none'; form-action 'none'"


def safe_json(obj: Any) -> Markup:
    """JSON that is safe inside a <script> element: no ``<``, ``>`` or ``&`` left to close it."""
    text = orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode("utf-8")
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _script_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().replace("</script", "<\\/script")


def _asset(name: str) -> str:
    return (_ASSETS / name).read_text(encoding="utf-8")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("redline.reports", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    # every value a template prints shows its control characters (an ANSI escape as ␛, a bidi
    # override as <U+202E>) before it is escaped; Markup was made safe where it was built
    env.finalize = lambda v: v if isinstance(v, Markup) or not isinstance(v, str) else for_terminal(v)
    env.globals.update(severity=safe_severity, rule_summary=rule_summary)
    return env


def _rules(ids: set[str]) -> list[dict[str, Any]]:
    out = []
    for entry_id in sorted(ids):
        try:
            record = rule_record(get_entry(entry_id))
        except KeyError:
            continue
        record["sections"] = doc_sections(record["doc"]) if record["doc"] else {}
        record["hits"] = [e if isinstance(e, str) else orjson.dumps(e).decode() for e in record["hits"]][:6]
        out.append(record)
    return out


class Report:
    """Renders the pages of one report."""

    def __init__(self, data: data_mod.ReportData, title: str | None, single: bool):
        self.data, self.single = data, single
        self.pages = Pages(data)
        self.env = _environment()
        self.title = title or "redline audit report"
        self.common = {"title": self.title, "version": data.version, "single": single,
                       "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
        if single:
            self.plotly, self.script = plotly_js(), _asset("report.js")
            self.common.update(css=Markup(_asset("report.css")), plotly_js=Markup(self.plotly),
                               report_js=Markup(self.script))
            self.csp = (f"{_CSP_COMMON}; script-src {_script_hash(self.plotly)} {_script_hash(self.script)}; "
                        "style-src 'unsafe-inline'")
        else:
            self.csp = f"{_CSP_COMMON}; script-src 'self'; style-src 'self' 'unsafe-inline'"

    def _render(self, template: str, **ctx: Any) -> str:
        return self.env.get_template(template).render(**self.common, csp=Markup(self.csp), **ctx)

    def trial_ctx(self, trial_id: str, links: Links) -> dict[str, Any]:
        ctx = self.pages.trial_context(trial_id, links)
        ctx["timeline_json"] = safe_json(ctx["timeline"])
        return ctx

    def index(self, links: Links, search: list | None, search_chunks: int, trial_pages: list,
              labels: dict | None = None) -> str:
        p = self.pages
        rows = p.rows()
        labels = labels or p.labels_index()
        facets = {k: sorted({r[k] for r in rows}) for k in ("model", "agent", "scenario")}
        facets["labels"] = [l["id"] for l in labels["labels"]]
        facets["strategies"] = sorted({s for r in rows for s in r["strategies"]})
        facets["verdict"] = sorted({f"recorded: {r['outcome']}" for r in rows}) + sorted(
            {f"inferred: {i}" for r in rows for i in r["inferred"]}) + ["inferred: none"]
        ov = p.overview()
        payload = {"figures": ov["figures"], "trials": [p.slugs[t] for t in p.trial_ids],
                   "names": [for_terminal(f"{r['model']} · {r['task'][:60] or r['id']}") for r in rows],
                   "labels": [l["steps"] for l in labels["labels"]] if self.single else None,
                   "searchChunks": search_chunks}
        ids = {l["id"] for l in labels["labels"]} | {s for r in rows for s in r["strategies"]}
        return self._render(
            "index.html.j2", page="index", root=links.root, links=links, ov=ov, rows=rows, facets=facets,
            label_index=labels, cards=p.cards(links), n_findings=self.data.findings.height, n_rows=p.folded.height,
            stale_rules=self.data.stale_rules, analysis_stale=self.data.analysis_stale,
            data_json=safe_json(payload), search_json=safe_json(search or []), search_chars=SEARCH_CHARS,
            trial_pages=trial_pages, rules=_rules(ids) if self.single else [])

    def rules_page(self, links: Links) -> str:
        ids = set(self.data.labels["label_id"].unique().to_list())
        ids |= {s for eps in self.pages.episodes.values() for e in eps for s in e["strategies"]}
        return self._render("rules.html.j2", page="rules", root=links.root, links=links, rules=_rules(ids))


def write_single(data: data_mod.ReportData, path: Path, title: str | None = None) -> Path:
    report = Report(data, title, single=True)
    links = Links(single=True)
    pages, search = [], []
    for i, tid in enumerate(report.pages.trial_ids):
        ctx = report.trial_ctx(tid, links)
        pages.append(ctx)
        search.extend([i, *row] for row in report.pages.search_rows(ctx["tr"]))
    write_whole(path, report.index(links, search, 0, pages))
    return path


def write_site(data: data_mod.ReportData, folder: Path, title: str | None = None) -> Path:
    report = Report(data, title, single=False)
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("trials", "search", "assets"):
        if (folder / sub).exists():
            shutil.rmtree(folder / sub)
        (folder / sub).mkdir()
    (folder / "assets" / "plotly.min.js").write_text(plotly_js(), encoding="utf-8")
    for name in ("report.js", "report.css"):
        (folder / "assets" / name).write_text(_asset(name), encoding="utf-8")
    trial_links = Links(single=False, root="../")
    chunk: list = []
    chunks = 0
    for i, tid in enumerate(report.pages.trial_ids):
        ctx = report.trial_ctx(tid, trial_links)
        (folder / "trials" / f"{ctx['slug']}.html").write_text(
            report._render("trial.html.j2", page="trial", root="../", links=trial_links, c=ctx), encoding="utf-8")
        chunk.extend([i, *row] for row in report.pages.search_rows(ctx["tr"]))
        if (i + 1) % SEARCH_CHUNK_TRIALS == 0 or i + 1 == len(report.pages.trial_ids):
            chunks += 1
            (folder / "search" / f"{chunks:04d}.js").write_text(
                f"window.redlineSearch.add({safe_json(chunk)});\n", encoding="utf-8")
            chunk = []
    links = Links(single=False)
    labels = report.pages.labels_index()
    # the places of every label load when the labels index is first opened, not with the index
    (folder / "search" / "labels.js").write_text(
        f"window.redlineLabels({safe_json([l['steps'] for l in labels['labels']])});\n", encoding="utf-8")
    write_whole(folder / "rules.html", report.rules_page(links))
    write_whole(folder / "index.html", report.index(links, None, chunks, [], labels))
    return folder / "index.html"


def too_big(con: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """(trials, events) when the audit is past what one file shows well, else None."""
    trials, events = con.execute("SELECT (SELECT count(*) FROM trials), (SELECT count(*) FROM events)").fetchall()[0]
    return (trials, events) if trials > MAX_SINGLE_TRIALS or events > MAX_SINGLE_EVENTS else None


def is_site(out: str | os.PathLike[str]) -> bool:
    text = os.fspath(out)
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def write_report(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str] = "report.html",
                 title: str | None = None, single: bool | None = None) -> Path:
    """Write the report to ``out`` (a file, or a folder for a site) and return the page to open."""
    if is_site(out) and not single:
        return write_site(data_mod.load(con), Path(out), title)
    path = Path(out)
    big = too_big(con) if single is None else None
    if big:
        folder = path.with_suffix("") if path.suffix else path.with_name(path.name + "-site")
        index = write_site(data_mod.load(con), folder, title)
        target = f"{folder.name}/index.html"
        page = _environment().get_template("redirect.html.j2").render(
            title=title or "redline audit report", target=target, trials=big[0], events=big[1],
            max_trials=MAX_SINGLE_TRIALS, max_events=MAX_SINGLE_EVENTS)
        write_whole(path, page)
        return index
    return write_single(data_mod.load(con), path, title)


def write_html(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str] = "report.html",
               title: str | None = None) -> Path:
    """The HTML report (see :func:`write_report`); kept for callers of the first API."""
    return write_report(con, out, title)
