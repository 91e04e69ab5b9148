"""What each page shows, as template contexts: the overview, the trials table, the finding cards,
the labels index, the search rows and each trial's page. Built from :class:`ReportData`; the
HTML is the templates' job (:mod:`redline.reports.render`).

Trials are addressed by a *slug* (their ID when it is a plain name, else a hash of it), used
for page names and anchors: ``#<slug>/step-17`` is step 17 of that trial.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import polars as pl

from ..analysis import verdict_text
from ..analysis.folding import counts, fold
from ..classifiers.registry import get_entry, severity
from . import figures, overview
from .data import ReportData
from .steps import steps_html
from .transcript import Transcript, build

#: finding cards on the overview
TOP_FINDINGS = 12
#: characters of an output, a command or reasoning shown on a finding card
CARD_CHARS = 600

_PLAIN = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,79}")


def slug(trial_id: str) -> str:
    """A name safe in a file name, an element ID and a URL fragment."""
    if _PLAIN.fullmatch(trial_id):
        return trial_id
    return "t" + hashlib.sha1(trial_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@lru_cache(maxsize=None)
def safe_severity(entry_id: str) -> str:
    try:
        return severity(entry_id)
    except KeyError:
        return "low"


@lru_cache(maxsize=None)
def rule_summary(entry_id: str) -> str:
    try:
        return get_entry(entry_id).summary
    except KeyError:
        return "not in this version's catalogue"


@dataclass
class Links:
    """Where a link points, for a page at ``root`` in a ``single`` file or a site."""

    single: bool
    root: str = ""

    def trial(self, trial_slug: str, anchor: str | None = None) -> str:
        frag = f"{trial_slug}/{anchor}" if anchor else trial_slug
        return f"#{frag}" if self.single else f"{self.root}trials/{trial_slug}.html#{frag}"

    def rule(self, entry_id: str) -> str:
        return f"#rule-{entry_id}" if self.single else f"{self.root}rules.html#rule-{entry_id}"

    def rules(self) -> str:
        return "#rules" if self.single else f"{self.root}rules.html"

    def index(self, anchor: str = "") -> str:
        return f"#{anchor}" if self.single else f"{self.root}index.html#{anchor}"


def _by_trial(frame: pl.DataFrame) -> dict[str, list[dict[str, Any]]]:
    if frame.is_empty():
        return {}
    return {key[0]: part.to_dicts() for key, part in frame.partition_by("trial_id", as_dict=True).items()}


class Pages:
    """The report's contexts over one :class:`ReportData`."""

    def __init__(self, data: ReportData):
        self.data = data
        t = data.trials
        self.trial_ids: list[str] = t["trial_id"].to_list()
        self.slugs = {tid: slug(tid) for tid in self.trial_ids}
        self.meta = {r["trial_id"]: r for r in t.with_columns(verdict_text(limit=80).alias("verdict")).to_dicts()}
        self.events = _by_trial(data.events)
        self.labels = _by_trial(data.labels)
        self.episodes = _by_trial(data.episodes)
        self.phases = {tid: {r["seq"]: r["phase"] for r in rows} for tid, rows in _by_trial(data.phases).items()}
        self.steps_of_phase = {tid: [(r["step"], r["phase"]) for r in rows] for tid, rows in _by_trial(data.phases).items()}
        self._transcripts: dict[str, Transcript] = {}
        self.findings = _by_trial(data.findings)
        #: the findings folded for the auditor (:func:`redline.analysis.folding.fold`)
        self.folded = fold(data.findings, data.trials)

    # -- one trial ---------------------------------------------------------------------------
    def transcript(self, trial_id: str, keep: bool = False) -> Transcript:
        if trial_id in self._transcripts:
            return self._transcripts[trial_id]
        tr = build(trial_id, self.events.get(trial_id, []), self.labels.get(trial_id, []),
                   self.episodes.get(trial_id, []), self.phases.get(trial_id, {}), safe_severity)
        if keep:
            self._transcripts[trial_id] = tr
        return tr

    def trial_labels(self, trial_id: str) -> list[dict[str, Any]]:
        return [{"id": l["label_id"], "severity": safe_severity(l["label_id"]), "evidence": l["evidence"] or "",
                 "summary": rule_summary(l["label_id"])}
                for l in self.labels.get(trial_id, []) if l["seq"] is None]

    def timeline(self, trial_id: str, tr: Transcript) -> dict[str, Any]:
        marks = [{"step": s.number, "label": c.id, "severity": c.severity, "text": c.unit}
                 for s in tr.steps if s.number for c in s.chips]
        eps = []
        for ep in self.episodes.get(trial_id, []):
            start = ep["obstacle_step"] or 1
            end = ep["resolved_step"] or max(start, _step_of(tr, ep["last_seq"]) or start)
            eps.append({"name": f"ep {ep['episode_id']}: {ep['obstacle']} → "
                                + (" ".join(ep["strategies"]) or "no strategy"),
                        "start": start, "end": end, "status": ep["status"]})
        runs: list[tuple[int, int, str]] = []
        for step, phase in self.steps_of_phase.get(trial_id, []):
            if runs and runs[-1][2] == phase and runs[-1][1] == step - 1:
                runs[-1] = (runs[-1][0], step, phase)
            else:
                runs.append((step, step, phase))
        return figures.trial_timeline(trial_id, marks, eps, runs)

    def trial_context(self, trial_id: str, links: Links, tr: Transcript | None = None) -> dict[str, Any]:
        tr = tr or self.transcript(trial_id)
        return {"t": self.meta[trial_id], "slug": self.slugs[trial_id], "tr": tr,
                "trial_labels": self.trial_labels(trial_id), "episodes": self.episodes.get(trial_id, []),
                "timeline": self.timeline(trial_id, tr), "links": links,
                "findings": self.findings.get(trial_id, []),
                "steps_html": steps_html(tr.steps, self.slugs[trial_id], links.trial, links.rule, rule_summary)}

    # -- the overview ------------------------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        d = self.data
        prev = overview.prevalence(d.trials, d.labels, safe_severity)
        shares = overview.category_shares(d.trials, d.categories)
        flows = overview.strategy_flows(d.episodes)
        return {
            "audited": overview.audited(d.trials, d.files),
            "headline": overview.headline(d.trials, d.labels),
            "figures": {
                "sankey": figures.strategy_sankey(flows, lambda n: figures.SEVERITY_COLOURS.get(
                    safe_severity(n) if n.startswith(("RES-", "OBS-")) else "low", "#607d8b")),
                "prevalence": figures.prevalence_heatmap(prev),
                "categories": figures.category_bars(shares),
            },
            "shares": shares, "flows": flows,
        }

    def cards(self, links: Links, n: int = TOP_FINDINGS) -> list[dict[str, Any]]:
        """The top rows of the folded findings, each with the step its best-ranked finding
        points at (command, output and stated reasoning), what the row counts, and a link to
        every finding it stands for."""
        out = []
        for row in self.folded.head(n).to_dicts():
            tid = row["trial_id"]
            if tid not in self.meta:
                continue
            tr = self.transcript(tid, keep=True)
            anchor = _finding_anchor(row, tr.anchors)
            step = tr.step(anchor) if anchor else None
            out.append({"f": {**row, "rank": row["best_rank"]}, "row": row, "counts": counts(row),
                        "t": self.meta[tid], "slug": self.slugs[tid], "anchor": anchor, "step": step,
                        "href": links.trial(self.slugs[tid], anchor), "instances": self._instances(row, links)})
        return out

    def _instances(self, row: dict[str, Any], links: Links) -> list[dict[str, Any]]:
        """Every finding of a folded row with a link to its step (or its trial)."""
        out = []
        for f in row["instances"]:
            tid = f["trial_id"]
            if tid not in self.slugs:
                continue
            anchor = _finding_anchor(f, {} if f["step"] else self._anchor_map(tid))
            out.append({**f, "href": links.trial(self.slugs[tid], anchor),
                        "where": f"step {f['step']}" if f["step"] else "the whole trial"})
        return out

    def rows(self) -> list[dict[str, Any]]:
        """One row per trial for the trials table, with the values its filters read."""
        strategies: dict[str, set[str]] = {}
        for tid, eps in self.episodes.items():
            strategies[tid] = {s for e in eps for s in e["strategies"]}
        findings = self.data.findings.group_by("trial_id").agg(pl.len().alias("n"), pl.col("rank").min().alias("top"))
        fmap = {r["trial_id"]: r for r in findings.to_dicts()}
        out = []
        for tid in self.trial_ids:
            m = self.meta[tid]
            labs = self.labels.get(tid, [])
            trial_labels = sorted({l["label_id"] for l in labs if l["seq"] is None})
            step_labels = sorted({l["label_id"] for l in labs if l["seq"] is not None},
                                 key=lambda i: (overview.SEVERITY_ORDER.get(safe_severity(i), 3), i))
            actions = sum(1 for e in self.events.get(tid, []) if e["kind"] == "action")
            f = fmap.get(tid)
            out.append({
                "slug": self.slugs[tid], "id": tid, "model": m["model"] or "(unknown model)",
                "agent": m["agent"] or "(unknown agent)", "scenario": m["scenario"] or "(unknown scenario)",
                "task": m["task"] or "", "outcome": m["outcome"], "verdict": m["verdict"],
                "inferred": trial_labels, "labels": step_labels,
                "high": [i for i in step_labels if safe_severity(i) == "high"],
                "strategies": sorted(strategies.get(tid, ())), "actions": actions,
                "episodes": len(self.episodes.get(tid, [])), "findings": f["n"] if f else 0,
                "top": f["top"] if f else None,
            })
        return out

    def labels_index(self) -> dict[str, Any]:
        """Label -> the steps carrying it, as [trial index, anchor] pairs (trial labels: anchor '')."""
        index = {tid: i for i, tid in enumerate(self.trial_ids)}
        out: dict[str, list] = {}
        for tid, labs in self.labels.items():
            if tid not in index:
                continue
            tr_anchor = self._anchor_map(tid)
            for l in labs:
                anchor = "" if l["seq"] is None else tr_anchor.get(l["seq"], "")
                out.setdefault(l["label_id"], []).append([index[tid], anchor])
        ids = sorted(out, key=lambda i: (overview.SEVERITY_ORDER.get(safe_severity(i), 3), i))
        return {"labels": [{"id": i, "severity": safe_severity(i), "summary": rule_summary(i), "steps": out[i],
                            "trials": len({p[0] for p in out[i]})} for i in ids]}

    def _anchor_map(self, trial_id: str) -> dict[int, str]:
        """seq -> the anchor of the step showing it, without building the whole transcript."""
        amap: dict[int, str] = {}
        number = 0
        pending: list[int] = []
        by_action: dict[int, str] = {}
        for ev in self.events.get(trial_id, []):
            if ev["kind"] == "message":
                pending.append(ev["seq"])
            elif ev["kind"] == "action":
                number += 1
                anchor = f"step-{number}"
                for s in pending + [ev["seq"]]:
                    amap[s] = anchor
                pending = []
                by_action[ev["seq"]] = anchor
            else:
                amap[ev["seq"]] = by_action.get(ev["action_seq"], f"step-{number}" if number else "start")
        for s in pending:
            amap[s] = "end"
        return amap

    @staticmethod
    def search_rows(tr: Transcript) -> Iterator[list]:
        """[anchor, command, output head] for each step with either."""
        for s in tr.steps:
            if s.search_command or s.search_output:
                yield [s.anchor, s.search_command, s.search_output]


def _finding_anchor(finding: dict[str, Any], anchors: dict[int, str]) -> str | None:
    """The anchor of the step a finding points at: its step, else the step showing its event
    (``anchors``: seq -> anchor), else none (a finding about the whole trial)."""
    if finding["step"]:
        return f"step-{finding['step']}"
    return anchors.get(finding["seq"]) if finding["seq"] is not None else None


def _step_of(tr: Transcript, seq: int | None) -> int | None:
    anchor = tr.anchors.get(seq) if seq is not None else None
    if anchor and anchor.startswith("step-"):
        return int(anchor[5:])
    return None
