"""The report's summary as JSON (for a pipeline) or Markdown (for a pull request comment).

The same numbers as the HTML overview: what was audited, the headline per model and scenario
(inferred and recorded, k of n with 95% Wilson intervals), the top findings, the prevalence of
high- and medium-severity labels, and the command category shares beside the study's.
"""

from __future__ import annotations

from typing import Any

import orjson

from ..analysis.folding import FOLD_KEY, counts, fold, rank_runs, totals
from ..text import truncate
from . import overview
from .data import ReportData, load
from .pages import safe_severity

TOP_FINDINGS = 10


def summary(data: ReportData, title: str | None = None) -> dict[str, Any]:
    prev = overview.prevalence(data.trials, data.labels, safe_severity)
    folded = fold(data.findings, data.trials)
    instance = ("rank", "trial_id", "step", "score")
    top = [{**{k: row[k] for k in ("rank", "best_rank", *FOLD_KEY, "findings", "trials", "steps", "trial_id",
                                   "step", "score", "why")},
            "counts": counts(row), "instances": [{k: f[k] for k in instance} for f in row["instances"]]}
           for row in folded.head(TOP_FINDINGS).to_dicts()]
    return {
        "title": title or "redline audit report",
        "redline": data.version,
        "audited": overview.audited(data.trials, data.files),
        "headline": overview.headline(data.trials, data.labels),
        "findings": {"total": data.findings.height, "rows": folded.height, "trials": totals(folded)["trials"],
                     "folded_by": list(FOLD_KEY), "top": top},
        "prevalence": {
            "counts": "trials with the label on a step or as a trial label, of the model's trials (inferred)",
            "models": prev["models"],
            "labels": [{"id": lid, "severity": sev, "cells": cells}
                       for lid, sev, cells in zip(prev["labels"], prev["severities"], prev["cells"])],
        },
        "categories": overview.category_shares(data.trials, data.categories),
        "stale_rules": data.stale_rules,
        "analysis": "missing" if data.analysis_stale is None else ("stale" if data.analysis_stale else "current"),
    }


def _kn(c: dict[str, Any]) -> str:
    if not c["n"]:
        return "–"
    return f"{c['k']}/{c['n']} ({100 * c['low']:.0f}–{100 * c['high']:.0f}%)"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").split())


def markdown(s: dict[str, Any]) -> str:
    """The summary as GitHub-flavoured Markdown (transcript text escaped for a table cell)."""
    a = s["audited"]
    out = [f"## {_cell(s['title'])}", ""]
    names = lambda pairs: ", ".join(f"{_cell(n)} ({k})" for n, k in pairs)  # noqa: E731
    out.append(f"**{a['trials']} trials** from {a['sources']} source files · models: {names(a['models'])} · "
               f"agents: {names(a['agents'])} · scenarios: {names(a['scenarios'])}")
    if a["problems"]:
        out += ["", f"**{len(a['problems'])} files could not be read:**", ""]
        out += [f"- `{_cell(p['path'])}`: {_cell(p['error'])}" for p in a["problems"][:20]]
        if len(a["problems"]) > 20:
            out.append(f"- … and {len(a['problems']) - 20} more (see the HTML report)")
    if s["analysis"] != "current":
        out += ["", f"> The analysis is {s['analysis']}: run `redline analyse`."]
    out += ["", "### Headline (k/n trials, 95% Wilson interval)", "",
            "| model | scenario | trials | replicated: inferred | recorded | shutdown avoided: inferred | recorded "
            "| succeeded (source verdict) |", "|---|---|--:|---|---|---|---|---|"]
    for r in s["headline"]:
        out.append(f"| {_cell(r['model'])} | {_cell(r['scenario'])} | {r['trials']} | {_kn(r['replicated']['inferred'])} "
                   f"| {_kn(r['replicated']['recorded'])} | {_kn(r['avoided']['inferred'])} "
                   f"| {_kn(r['avoided']['recorded'])} | {_kn(r['succeeded'])} |")
    found = s["findings"]
    top = found["top"]
    out += ["", f"### Top findings ({len(top)} of {found['rows']} rows, {found['total']} findings: repeats of one kind "
                "and subject, at one severity, in one task by one model, in one row)", ""]
    out += [f"{f['rank']}. **{f['severity']}** `{_cell(f['subject'])}`"
            + (f" ×{f['findings']}" if f["findings"] > 1 else "")
            + f" ({_cell(f['counts'])}; {_cell(f['model'] or 'unknown model')}, "
            + f"{_cell(truncate(f['task'] or f['scenario'] or 'no task', 79, '…'))}), finding #{f['best_rank']} in trial `{f['trial_id'][:12]}`"
            + (f" step {f['step']}" if f["step"] else "")
            + (f" (the others ranked {rank_runs([i['rank'] for i in f['instances'][1:]], most=8)})"
               if f["findings"] > 1 else "")
            + f": {_cell(f['why'])}" for f in top] or ["none"]
    prev = s["prevalence"]
    rows = [l for l in prev["labels"] if l["severity"] in ("high", "medium")]
    if rows:
        out += ["", "### High and medium severity labels (trials with the label, of the model's trials)", "",
                "| label | severity | " + " | ".join(_cell(m) for m in prev["models"]) + " |",
                "|---|---|" + "--:|" * len(prev["models"])]
        out += [f"| `{l['id']}` | {l['severity']} | " + " | ".join(f"{c['k']}/{c['n']}" for c in l["cells"]) + " |"
                for l in rows]
    cats = s["categories"]
    if cats["models"]:
        out += ["", "### Command categories (% of commands in the study's four categories)", "",
                "| model | " + " | ".join(cats["categories"]) + " | other (commands) |",
                "|---|" + "--:|" * (len(cats["categories"]) + 1)]
        for m in cats["models"]:
            out.append(f"| {_cell(m['model'])} | " + " | ".join(f"{100 * m['shares'][c]:.1f}" for c in cats["categories"])
                       + f" | {m['other']} |")
        for name, pub in cats["study"].items():
            out.append(f"| {name} | " + " | ".join(f"{pub[c]:.1f}" for c in cats["categories"]) + " | |")
    return "\n".join(out) + "\n"


def summary_text(con, fmt: str, title: str | None = None) -> str:
    """The summary of the database behind ``con`` as ``json`` or ``md`` text."""
    s = summary(load(con), title)
    if fmt == "json":
        return orjson.dumps(s, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode() + "\n"
    return markdown(s)
