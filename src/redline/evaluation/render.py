"""An evaluation as text for the terminal: the per-label table, averages, worst misses."""

from __future__ import annotations

from ..gold import UNITS, normalise_command
from ..text import truncate
from .results import EvalResult

#: characters of a command shown in the confusion list
COMMAND_CHARS = 70


def _short(text: str, limit: int = COMMAND_CHARS) -> str:
    one = normalise_command(text)
    return one if len(one) <= limit else truncate(one, limit - 1, "…")


def _figures(tp: int, fp: int, fn: int, precision: float, recall: float, f1: float,
             interval: tuple[float, float] | None) -> list[str]:
    """Precision, recall, F1 (and its interval) as cells; "n/a" where a figure is undefined
    (no prediction for precision, no gold positive for recall, neither for F1), so a label the
    gold set never holds does not read as a classifier scoring 0."""
    def cell(value: float, defined: bool) -> str:
        return f"{value:.3f}" if defined else "n/a"

    cells = [cell(precision, tp + fp > 0), cell(recall, tp + fn > 0), cell(f1, tp + fp + fn > 0)]
    if interval is not None:
        cells.append(f"[{interval[0]:.3f}, {interval[1]:.3f}]" if tp + fp + fn > 0 else "")
    return cells


def _table(rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def render_text(result: EvalResult, worst: int = 15) -> str:
    """A readable report: per-label table, micro/macro averages, worst misses, unmatched rows."""
    total = result.matched + len(result.unmatched)
    lines = [f"gold rows: {total}, matched: {result.matched}, unmatched: {len(result.unmatched)}"
             + (f", matched by position only: {len(result.ordinal_fallbacks)}" if result.ordinal_fallbacks else "")]
    header = ["LABEL", "SUPPORT", "TP", "FP", "FN", "PREC", "RECALL", "F1", "F1 95% CI"]
    for unit in UNITS:
        stats = [s for s in result.labels.values() if s.unit == unit]
        if not stats and not result.universe.get(unit):
            continue
        lines += ["", f"{unit} labels"]
        rows = [header]
        for s in sorted(stats, key=lambda s: (-s.support, s.label)):
            rows.append([s.label, str(s.support), str(s.tp), str(s.fp), str(s.fn),
                         *_figures(s.tp, s.fp, s.fn, s.precision, s.recall, s.f1, (s.f1_low, s.f1_high))])
        m = result.micro[unit]
        rows.append(["micro", str(m["tp"] + m["fn"]), str(m["tp"]), str(m["fp"]), str(m["fn"]),
                     *_figures(m["tp"], m["fp"], m["fn"], m["precision"], m["recall"], m["f1"], None), ""])
        rows.append(["macro", "", "", "", "", "", "", f"{result.macro[unit]['f1']:.3f}", ""])
        lines += ["  " + line for line in _table(rows, right={1, 2, 3, 4, 5, 6, 7})]
    if result.not_scored:
        lines += ["", "not scored (no registered classifier): "
                  + ", ".join(f"{lid} ({n})" for lid, n in result.not_scored.items())]
    if worst > 0 and result.misses:
        shown = result.misses[:worst]
        lines += ["", f"worst misses ({len(shown)} of {len(result.misses)})"]
        current = None
        for m in shown:
            if m.label != current:
                current = m.label
                s = result.labels[m.label]
                lines.append(f"  {m.label}: {s.fn} missed, {s.fp} false positives")
            where = "" if m.matched else " (unmatched)"
            lines.append(f"    {m.kind} {m.item_id}{where}  {_short(m.command)}")
            lines.append(f"       predicted: {', '.join(m.predicted) or '-'}  gold: {', '.join(m.gold) or '-'}")
    if result.unmatched:
        by_id = {r.gold.item_id: r.gold for r in result.rows}
        lines += ["", f"unmatched gold rows ({len(result.unmatched)})"]
        for item in result.unmatched:
            g = by_id[item]
            lines.append(f"  {item}  {g.file} #{g.ordinal}  {_short(g.command, 50)}")
    return "\n".join(lines)


def render_sources(results: dict[str, EvalResult]) -> str:
    """Per label a model covers: precision, recall and F1 of the rule, the model and both
    combined (the union the database stores), and the micro average of each per unit."""
    header = ["LABEL", "SOURCE", "SUPPORT", "TP", "FP", "FN", "PREC", "RECALL", "F1", "F1 95% CI"]
    rows = [header]
    combined = results["combined"]
    for unit in UNITS:
        ids = combined.universe.get(unit, ())
        if not ids:
            continue
        for lid in ids:
            for name, res in results.items():
                s = res.labels.get(lid)
                if s is None:
                    continue
                rows.append([lid, name, str(s.support), str(s.tp), str(s.fp), str(s.fn),
                             *_figures(s.tp, s.fp, s.fn, s.precision, s.recall, s.f1, (s.f1_low, s.f1_high))])
        for name, res in results.items():
            m = res.micro[unit]
            rows.append([f"{unit} micro", name, str(m["tp"] + m["fn"]), str(m["tp"]), str(m["fp"]), str(m["fn"]),
                         *_figures(m["tp"], m["fp"], m["fn"], m["precision"], m["recall"], m["f1"], None), ""])
    if len(rows) == 1:
        return "no label is covered by both a rule and a model"
    lines = ["by source (rule, model, and combined = what the database stores: the union, with auditors' decisions)"]
    return "\n".join(lines + ["  " + line for line in _table(rows, right={2, 3, 4, 5, 6, 7, 8})])
