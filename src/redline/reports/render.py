"""Build the self-contained HTML report.

Everything from a transcript reaches the page through Jinja2's autoescaping or, for figure
data, through JSON with ``<``, ``>`` and ``&`` escaped, so no transcript string can open a tag
or close a script. plotly's JavaScript is inlined once: the file opens offline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

import orjson

from ..analysis import behaviour_rates, outcome_rates
from ..analysis.store import stored
from ..classifiers.store import changed_rules
from ..db import frame as dbframe
from ..queries import trial_steps, trial_summaries
from ..text import shorten
from . import figures

#: characters of an output or a message shown per step
EXCERPT_CHARS = 1500
#: trials given a full timeline; the table still lists every trial
MAX_TIMELINES = 300


def _safe_json(fig) -> Markup:
    text = fig.to_json()
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """A step's text for the page: its head and tail when longer than ``limit``."""
    if not text:
        return ""
    return shorten(text.rstrip(), limit)


def highlight(text: str | None, spans: list[tuple[int, int]]) -> Markup:
    """Escaped text with the evidence spans wrapped in <mark>."""
    if not text:
        return Markup("")
    spans = sorted((max(0, s), min(len(text), e)) for s, e in spans if s is not None and e is not None and e > s)
    out: list[str] = []
    pos = 0
    for s, e in spans:
        if s < pos:
            s = pos
        if e <= s:
            continue
        out.append(str(escape(text[pos:s])))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


@dataclass
class Step:
    seq: int
    kind: str
    command: str = ""
    command_html: Markup = Markup("")
    reasoning: str = ""
    output: str = ""
    output_html: Markup = Markup("")
    exit_code: int | None = None
    labels: list[str] = field(default_factory=list)
    obs_labels: list[str] = field(default_factory=list)
    msg_labels: list[str] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)
    where: str = ""
    parse_error: str | None = None
    output_seq: int | None = None
    #: exploring / planning / executing / verifying (from the analysis), when known
    phase: str | None = None
    #: what the step means for the trial's episodes ("episode 1 opens: ...", "RES-KILL (episode 1)")
    marks: list[str] = field(default_factory=list)

    @property
    def all_labels(self) -> list[str]:
        return self.labels + self.obs_labels + self.msg_labels


def _where(row: dict[str, Any]) -> str:
    name = os.path.basename(row["source_file"] or "")
    if row["source_line"]:
        return f"{name}:{row['source_line']}"
    if row["source_pointer"]:
        return f"{name} {row['source_pointer']}"
    return name


def _episode_marks(steps: list[Step], episodes: list[dict[str, Any]]) -> None:
    """Mark the steps where an episode opens, where each strategy shows, and where it ends."""
    by_seq: dict[int, Step] = {}
    for step in steps:
        by_seq[step.seq] = step
        if step.output_seq is not None:
            by_seq[step.output_seq] = step
    for ep in episodes:
        n = ep["episode_id"]
        opened = by_seq.get(ep["obstacle_seq"])
        if opened is not None:
            opened.marks.append(f"episode {n} opens: {ep['obstacle']} on \u201c{ep['operation']}\u201d")
        for strategy, items in orjson.loads(ep["evidence"]).items():
            for item in items:
                step = by_seq.get(item.get("seq"))
                if step is not None and f"{strategy} (episode {n})" not in step.marks:
                    step.marks.append(f"{strategy} (episode {n})")
        if ep["resolved_seq"] is not None and ep["resolved_seq"] in by_seq:
            by_seq[ep["resolved_seq"]].marks.append(f"episode {n} resolved")


def timeline(con: duckdb.DuckDBPyConnection, trial_id: str, phases: dict[int, str] | None = None,
             episodes: list[dict[str, Any]] | None = None) -> list[Step]:
    """The trial as steps: each action with the reasoning before it and the output after it,
    its phase and its place in the trial's episodes when the analysis has run."""
    rows = trial_steps(con, trial_id).to_dicts()
    steps: list[Step] = []
    pending_reasoning: list[str] = []
    pending_msg_labels: list[str] = []
    by_action: dict[int, Step] = {}
    for row in rows:
        spans = [(ev["span_start"], ev["span_end"]) for ev in row["evidence"] if ev["evidence_seq"] is None]
        if row["kind"] == "message":
            if row["role"] == "assistant":
                pending_reasoning.append(row["text"] or "")
                pending_msg_labels.extend(row["labels"])
            continue
        if row["kind"] == "action":
            text = row["text"] or ""
            step = Step(
                seq=row["seq"], kind="action", command=text,
                command_html=highlight(excerpt(text, 4000), spans if len(text) <= 4000 else []),
                reasoning=excerpt("\n\n".join(pending_reasoning)), labels=list(row["labels"]),
                msg_labels=sorted(set(pending_msg_labels)), evidence=list(row["evidence"]),
                where=_where(row), parse_error=row["parse_error"],
            )
            pending_reasoning, pending_msg_labels = [], []
            steps.append(step)
            by_action[row["seq"]] = step
            continue
        # observation: attach to its action, or stand alone
        target = by_action.get(row["action_seq"]) if row["action_seq"] is not None else (steps[-1] if steps else None)
        text = row["text"] or ""
        shown = excerpt(text)
        html = highlight(shown, spans if shown == text.rstrip() else [])
        if target is None or target.output:
            target = Step(seq=row["seq"], kind="observation", where=_where(row))
            steps.append(target)
        target.output, target.output_html = shown, html
        target.output_seq = row["seq"]
        target.exit_code = row["exit_code"]
        target.obs_labels = list(row["labels"])
        target.evidence.extend(row["evidence"])
    if pending_reasoning:
        steps.append(Step(seq=rows[-1]["seq"], kind="message", reasoning=excerpt("\n\n".join(pending_reasoning)),
                          msg_labels=sorted(set(pending_msg_labels))))
    for step in steps:
        step.phase = (phases or {}).get(step.seq)
    _episode_marks(steps, episodes or [])
    return steps


def build_report_data(con: duckdb.DuckDBPyConnection, title: str | None = None) -> dict[str, Any]:
    trials = trial_summaries(con)
    step_labels = dbframe(con, 
        """
        SELECT trial_id, seq, label_id FROM current_labels WHERE seq IS NOT NULL ORDER BY trial_id, seq
        """
    )
    label_counts = behaviour_rates(trials.select("trial_id", "model"), step_labels)
    rates = outcome_rates(trials.select("model", "outcome"))
    files = con.execute(
        "SELECT status, count(*) AS n FROM ingested_files GROUP BY status ORDER BY status").fetchall()
    problems = con.execute(
        "SELECT path, status, error FROM ingested_files WHERE status = 'error' ORDER BY path").fetchall()
    names = {tid: f"{(m or '?')[:28]} · {(t or tid)[:40]}" for tid, m, t in
             trials.select("trial_id", "model", "task").iter_rows()}
    # make display names unique
    seen: dict[str, int] = {}
    for tid in trials["trial_id"].to_list():
        n = seen.get(names[tid], 0)
        seen[names[tid]] = n + 1
        if n:
            names[tid] = f"{names[tid]} #{n + 1}"
    step_map = step_labels.with_columns(
        pl.col("trial_id").replace_strict(names, default="?").alias("trial")) if not step_labels.is_empty() \
        else pl.DataFrame(schema={"trial": pl.Utf8, "seq": pl.Int32, "label_id": pl.Utf8})
    figs = {
        "behaviours": _safe_json(figures.behaviours_by_model(label_counts)),
        "outcomes": _safe_json(figures.outcomes_by_model(
            trials.select(pl.col("model").fill_null("(unknown model)"), "outcome"))),
        "step_map": _safe_json(figures.step_map(step_map.select("trial", "seq", "label_id"))),
    }
    rows = trials.to_dicts()
    shown = rows[:MAX_TIMELINES]
    episodes: dict[str, list[dict[str, Any]]] = {}
    for ep in stored(con, "episodes").to_dicts():
        episodes.setdefault(ep["trial_id"], []).append(ep)
    phases: dict[str, dict[int, str]] = {}
    for tid, seq, phase in stored(con, "phases").select("trial_id", "seq", "phase").iter_rows():
        phases.setdefault(tid, {})[seq] = phase
    timelines = [(row, names[row["trial_id"]],
                  timeline(con, row["trial_id"], phases.get(row["trial_id"]), episodes.get(row["trial_id"])),
                  episodes.get(row["trial_id"], [])) for row in shown]
    try:
        redline_version = version("redline")
    except PackageNotFoundError:  # pragma: no cover
        redline_version = "dev"
    return {
        "title": title or "redline audit report",
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "version": redline_version,
        "trials": rows,
        "names": names,
        "files": files,
        "problems": problems,
        "figures": figs,
        "timelines": timelines,
        "omitted_timelines": max(0, len(rows) - len(shown)),
        "n_labels": int(label_counts["steps"].sum()) if not label_counts.is_empty() else 0,
        "rates": rates.to_dicts(),
        #: classifiers whose stored labels an older version of them wrote
        "stale": [rule_id for rule_id, _, _ in changed_rules(con)],
    }


def _plotly_js() -> Markup:
    from plotly.offline import get_plotlyjs

    return Markup(get_plotlyjs().replace("</script", "<\\/script"))


def render_html(data: dict[str, Any]) -> str:
    env = Environment(loader=PackageLoader("redline.reports", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    template = env.get_template("report.html.j2")
    return template.render(**data, plotly_js=_plotly_js())


def write_html(con: duckdb.DuckDBPyConnection, out: str | os.PathLike[str] = "report.html",
               title: str | None = None) -> Path:
    """Write the report for everything in the database to ``out``; return its path."""
    html = render_html(build_report_data(con, title))
    path = Path(out)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path
