"""Classifier documentation: what ``redline rules`` and ``redline rule ID`` print.

Modelled on ``ruff rule CODE``: a header with the ID and name, the summary, the unit, severity
and ATT&CK techniques, then the entry's documentation sections and its examples. Works for
every catalogue entry: rules and the strategies the analysis computes.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from .attack import technique_name
from .catalogue import SEVERITIES
from .entry import Example
from .models.spec import ModelSpec
from .registry import CatalogueEntry, severity
from .rule import Rule

Documented = CatalogueEntry | ModelSpec


def entry_severity(entry: Documented) -> str:
    """An entry's severity; for a model, the highest of the IDs it predicts."""
    if isinstance(entry, ModelSpec):
        return min((severity(lid) for lid in entry.labels), key=SEVERITIES.index)
    return severity(entry.id)

#: the fixed sections every rule's ``doc`` is written in
DOC_SECTIONS = ("What it finds:", "Why it matters:", "Known false positives:")
#: sections an entry may add: a learned model says how it combines with the rule of its ID
OPTIONAL_SECTIONS = ("How it combines:",)


def _technique(tid: str) -> dict[str, str | None]:
    return {"id": tid, "name": technique_name(tid)}


def _example(example: Example) -> Any:
    return example if isinstance(example, str) else dict(example)


def rule_record(rule: Documented) -> dict[str, Any]:
    """Every documented field of an entry, JSON-ready; ``source`` says what computes it: a
    ``rule``, a learned ``model`` or, for a strategy, the ``analysis``."""
    if isinstance(rule, ModelSpec):
        extra = {"source": "model", "kind": rule.kind, "labels": list(rule.labels)}
    else:
        extra = {"source": "rule" if isinstance(rule, Rule) else "analysis"}
    return {
        "id": rule.id,
        **extra,
        "name": rule.name,
        "unit": rule.unit,
        "severity": entry_severity(rule),
        "summary": rule.summary,
        "techniques": [_technique(t) for t in rule.techniques],
        "version": rule.classifier_version,
        "status": rule.status,
        "successor": rule.successor,
        "doc": rule.doc.strip(),
        "hits": [_example(e) for e in rule.hits],
        "misses": [_example(e) for e in rule.misses],
    }


def rules_table(rules: list[Documented]) -> str:
    """An aligned table: ID, unit, severity, techniques, summary (one entry per line)."""
    if not rules:
        return "no classifiers"
    rows = [("ID", "UNIT", "SEVERITY", "ATT&CK", "SUMMARY")]
    for rule in rules:
        summary = rule.summary
        if rule.status != "stable":
            summary = f"[{rule.status}{' -> ' + rule.successor if rule.successor else ''}] {summary}"
        rows.append((rule.id + (" (model)" if isinstance(rule, ModelSpec) else ""), rule.unit, entry_severity(rule),
                     ", ".join(rule.techniques) or "-", summary))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(f"{cell:<{width}}" for cell, width in zip(r, widths)) + f"  {r[4]}" for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule's doc into its sections (keys without the colon); text before any is ''."""
    sections: dict[str, str] = {}
    current = ""
    buf: list[str] = []
    for line in textwrap.dedent(doc).strip().splitlines():
        head = next((s for s in DOC_SECTIONS + OPTIONAL_SECTIONS if line.lstrip().startswith(s)), None)
        if head is not None:
            if buf or current:
                sections[current] = " ".join(" ".join(buf).split())
            current, buf = head[:-1], [line.lstrip()[len(head):]]
        else:
            buf.append(line)
    if buf or current:
        sections[current] = " ".join(" ".join(buf).split())
    if not sections.get("", "x"):
        del sections[""]
    return sections


def _render_example(example: Example) -> str:
    if isinstance(example, str):
        return example
    return json.dumps(example, ensure_ascii=False)


def _indent_example(text: str) -> str:
    lines = text.splitlines() or [""]
    return "\n".join(["  - " + lines[0]] + ["    " + line for line in lines[1:]])


def rule_text(rule: Documented) -> str:
    """An entry's documentation for the terminal (``redline rule ID``)."""
    out = [f"{rule.id} ({rule.name})", "", rule.summary, ""]
    if isinstance(rule, ModelSpec):
        out.insert(3, f"Learned model ({rule.kind}s), predicts: {', '.join(rule.labels)}")
        out.insert(4, "")
    out.append(f"Unit: {rule.unit}" + (f" (matched on {rule.on} rows)" if rule.on != rule.unit else ""))
    out.append(f"Severity: {entry_severity(rule)}")
    if rule.techniques:
        out.append("ATT&CK: " + ", ".join(
            f"{t} {technique_name(t)}" if technique_name(t) else t for t in rule.techniques))
    else:
        out.append("ATT&CK: -")
    status = f"Version: {rule.classifier_version}, status: {rule.status}"
    if rule.successor:
        status += f" (replaced by {rule.successor})"
    out.append(status)
    sections = doc_sections(rule.doc) if rule.doc.strip() else {}
    for name, body in sections.items():
        out += ["", f"{name or 'Notes'}:"]
        out += textwrap.wrap(body, width=88, initial_indent="  ", subsequent_indent="  ") or ["  -"]
    out += ["", "Fires on:"] + ([_indent_example(_render_example(e)) for e in rule.hits] or ["  (none)"])
    out += ["", "Does not fire on:"] + ([_indent_example(_render_example(e)) for e in rule.misses] or ["  (none)"])
    return "\n".join(out)
