"""A trial as an auditor reads it: the prompts, then numbered steps.

A *step* is one action (step N is the trial's N-th action, the numbering the analysis uses in
``findings.step`` and ``phases.step``) with the assistant's words before it and the output
after it. The system prompt and the first user message before any action are the trial's
prompts, shown in its header. Words after the last action form a closing block (``end``);
outputs before any action an opening one (``start``).

Every transcript string becomes HTML here, and only here, through :func:`text_html`: escaped,
control characters made visible (an ANSI escape shows as ``␛[31m``; a bidirectional override
as ``<U+202E>``), evidence spans wrapped in ``<mark>``, and long texts folded with their head
and tail showing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import orjson
from markupsafe import Markup

from ..text import for_terminal
from .data import TEXT_HEAD, TEXT_TAIL

#: a text longer than this is folded: its head and tail show, the middle opens on a click
FOLD_CHARS = 2_400
FOLD_HEAD = 1_500
FOLD_TAIL = 600


def html_escape(value: str) -> str:
    """``value`` with ``& < > " '`` as entities (markupsafe's rules, without building Markup
    objects: this runs on every piece of every step)."""
    return (value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def _plain(value: str) -> str:
    return html_escape(for_terminal(value))


def _marked(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> str:
    """``text[start:end]`` escaped, with the parts inside ``spans`` in <mark>."""
    out: list[str] = []
    pos = start
    for s, e in spans:
        s, e = max(s, pos), min(e, end)
        if e <= s:
            continue
        out.append(_plain(text[pos:s]))
        out.append(f"<mark>{_plain(text[s:e])}</mark>")
        pos = e
    out.append(_plain(text[pos:end]))
    return "".join(out)


def stored_spans(spans: list[tuple[int, int]], full_chars: int, kept: str) -> list[tuple[int, int]]:
    """Spans over a whole text moved onto the text as the report keeps it (head and tail of a
    long one, see :mod:`redline.reports.data`); a span in the part left out is dropped."""
    if full_chars <= TEXT_HEAD + TEXT_TAIL:
        return sorted(spans)
    tail_from = full_chars - TEXT_TAIL
    shift = len(kept) - TEXT_TAIL - tail_from
    out = []
    for s, e in spans:
        if e <= TEXT_HEAD:
            out.append((s, e))
        elif s >= tail_from:
            out.append((s + shift, e + shift))
    return sorted(out)


def text_html(text: str | None, spans: list[tuple[int, int]] = (), fold: int = FOLD_CHARS) -> Markup:
    """A transcript text as safe HTML: escaped, controls visible, evidence marked, folded when long."""
    if not text:
        return Markup("")
    text = text.rstrip()
    spans = sorted((s, e) for s, e in spans if s is not None and e is not None and e > s)
    n = len(text)
    if n <= fold:
        return Markup(_marked(text, 0, n, spans))
    head, tail = FOLD_HEAD, n - FOLD_TAIL
    return Markup(
        _marked(text, 0, head, spans)
        + f'<details class="fold"><summary>{tail - head:,} more characters</summary>'
        + _marked(text, head, tail, spans) + "</details>" + _marked(text, tail, n, spans))


@dataclass
class Chip:
    """A label on a step: where it sits (action, observation, message) and how much it matters."""

    id: str
    severity: str
    unit: str
    evidence: str = ""
    #: what the classifier's structured detail says about its target (PROC-KILL: own / foreign / unknown)
    target: str = ""
    #: who gave the label (``labels.source``): rule, model, rule+model, or human (an auditor)
    source: str = "rule"


@dataclass
class Step:
    anchor: str                     # "step-3", "start" or "end"
    number: int | None = None       # the action's number in the trial, from 1
    seq: int | None = None          # the action's seq
    messages: list[tuple[str, Markup]] = field(default_factory=list)  # (role, html)
    command: Markup = Markup("")
    tool: str = ""
    output: Markup = Markup("")
    exit_code: int | None = None
    parse_error: str | None = None
    where: str = ""
    phase: str | None = None
    chips: list[Chip] = field(default_factory=list)
    opens: list[str] = field(default_factory=list)
    closes: list[tuple[str, str]] = field(default_factory=list)  # (status, words)
    strategies: list[str] = field(default_factory=list)
    #: plain text for search: command and output head
    search_command: str = ""
    search_output: str = ""


@dataclass
class Transcript:
    trial_id: str
    system_prompt: Markup = Markup("")
    task_prompt: Markup = Markup("")
    steps: list[Step] = field(default_factory=list)
    #: seq -> the anchor of the step that shows it
    anchors: dict[int, str] = field(default_factory=dict)

    def step(self, anchor: str) -> Step | None:
        return next((s for s in self.steps if s.anchor == anchor), None)


def _target(detail: str | None) -> str:
    """The ``target`` a label's detail JSON names, if any (a detail may be absent or other JSON)."""
    if not detail:
        return ""
    try:
        value = orjson.loads(detail)
    except orjson.JSONDecodeError:
        return ""
    return str(value.get("target") or "") if isinstance(value, dict) else ""


def _where(row: dict[str, Any]) -> str:
    name = os.path.basename(row["source_file"] or "")
    if row["source_line"]:
        return f"{name}:{row['source_line']}"
    if row["source_pointer"]:
        return f"{name} {row['source_pointer']}"
    return name


SEARCH_CHARS = 2_000


def build(trial_id: str, events: list[dict[str, Any]], labels: list[dict[str, Any]],
          episodes: list[dict[str, Any]], phases: dict[int, str], severity) -> Transcript:
    """The trial's transcript from its event rows (in seq order), label rows, episode rows and
    phases (seq -> phase). ``severity`` maps a catalogue ID to its severity."""
    spans: dict[int, list[tuple[int, int]]] = {}
    chips: dict[int, list[Chip]] = {}
    for lab in labels:
        if lab["seq"] is None:
            continue
        chips.setdefault(lab["seq"], []).append(Chip(lab["label_id"], severity(lab["label_id"]), lab["unit"],
                                                     lab["evidence"] or "", _target(lab.get("detail")),
                                                     lab.get("source") or "rule"))
        if lab["span_start"] is not None and lab["span_end"] is not None:
            target = lab["evidence_seq"] if lab["evidence_seq"] is not None else lab["seq"]
            spans.setdefault(target, []).append((lab["span_start"], lab["span_end"]))
    out = Transcript(trial_id)
    first_action = next((i for i, ev in enumerate(events) if ev["kind"] == "action"), len(events))
    pending: list[tuple[str, Markup]] = []
    pending_seqs: list[int] = []
    by_action: dict[int, Step] = {}
    current: Step | None = None
    number = 0

    def attach(step: Step, seqs: list[int]) -> None:
        for seq in seqs:
            out.anchors[seq] = step.anchor
            step.chips.extend(chips.get(seq, ()))

    for i, ev in enumerate(events):
        seq, kind, text = ev["seq"], ev["kind"], ev["text"] or ""
        html = lambda fold=FOLD_CHARS: text_html(text, stored_spans(spans.get(seq, []), ev["text_chars"] or 0, text),
                                                 fold)
        if kind == "message":
            role = ev["role"] or ""
            if i < first_action and role == "system" and not out.task_prompt:
                out.system_prompt = Markup(out.system_prompt + ("\n\n" if out.system_prompt else "")) + html(1_000)
                out.anchors[seq] = "prompt"
                continue
            if i < first_action and role == "user" and not out.task_prompt:
                out.task_prompt = html(1_000)
                out.anchors[seq] = "prompt"
                continue
            pending.append((role, html()))
            pending_seqs.append(seq)
            continue
        if kind == "action":
            number += 1
            current = Step(anchor=f"step-{number}", number=number, seq=seq, messages=pending, command=html(),
                           tool=ev["tool"] or "", parse_error=ev["parse_error"], where=_where(ev),
                           phase=phases.get(seq), search_command=for_terminal(text[:SEARCH_CHARS]))
            attach(current, pending_seqs + [seq])
            pending, pending_seqs = [], []
            out.steps.append(current)
            by_action[seq] = current
            continue
        target = by_action.get(ev["action_seq"]) if ev["action_seq"] is not None else current
        if target is None or target.output:
            target = Step(anchor="start" if current is None else f"out-{seq}", where=_where(ev))
            out.steps.append(target)
        target.output = html()
        target.exit_code = ev["exit_code"]
        target.search_output = for_terminal(text[:SEARCH_CHARS])
        attach(target, [seq])
    if pending:
        end = Step(anchor="end", messages=pending)
        attach(end, pending_seqs)
        out.steps.append(end)
    _episode_marks(out, episodes)
    for step in out.steps:
        step.chips.sort(key=lambda c: ({"high": 0, "medium": 1}.get(c.severity, 2), c.id))
    return out


def _episode_marks(out: Transcript, episodes: list[dict[str, Any]]) -> None:
    """Mark where each episode opens, the steps that show each strategy, and where it closes."""
    steps = {s.anchor: s for s in out.steps}

    def at(seq: int | None) -> Step | None:
        return steps.get(out.anchors.get(seq)) if seq is not None else None

    for ep in episodes:
        n = ep["episode_id"]
        opened = at(ep["obstacle_seq"])
        if opened is not None:
            inner = f" (inside episode {ep['parent_id']})" if ep["parent_id"] else ""
            opened.opens.append(f"episode {n} opens{inner}: {ep['obstacle']} blocks \u201c{ep['operation']}\u201d")
        for strategy, items in orjson.loads(ep["evidence"] or "{}").items():
            for item in items:
                step = at(item.get("seq"))
                mark = f"{strategy} (episode {n})"
                if step is not None and mark not in step.strategies:
                    step.strategies.append(mark)
        seconds = f", {ep['seconds']:.0f} s" if ep.get("seconds") else ""
        if ep["status"] == "resolved":
            closed, words = at(ep["resolved_seq"]), f"episode {n} resolved after {ep['steps']} steps{seconds}"
        else:
            closed, words = at(ep["last_seq"]), f"episode {n} {ep['status']}: the operation never succeeded"
        if closed is not None:
            closed.closes.append((ep["status"], words))
