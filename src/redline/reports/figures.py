"""One function per plotly figure: the overview's numbers in, a plotly figure spec out.

The specs are plain dicts in plotly.js's JSON schema (``{"data": [...], "layout": {...}}``),
drawn in the page by plotly.js. They are not built through ``plotly.graph_objects``: its
validators cost a report of a thousand trials more time than everything else together, and a
spec that plotly.js draws is checked where it counts, by the browser tests. Every title says
what the figure counts and every value carries its interval in the hover text.
"""

from __future__ import annotations

import html
from typing import Any

from ..text import for_terminal

SEVERITY_COLOURS = {"high": "#c62828", "medium": "#ef6c00", "low": "#78909c"}
PHASE_COLOURS = {"exploring": "rgba(33,150,243,0.10)", "planning": "rgba(156,39,176,0.10)",
                 "executing": "rgba(255,152,0,0.13)", "verifying": "rgba(76,175,80,0.13)"}
MODEL_COLOURS = ["#1565c0", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#ad1457", "#5d4037", "#455a64"]
FONT = {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12}


def _layout(title: str, height: int, **extra: Any) -> dict[str, Any]:
    layout = {"title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}}, "height": height,
              "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "font": FONT, "paper_bgcolor": "#fff",
              "plot_bgcolor": "#fff"}
    layout.update(extra)
    return layout


def label_text(value: str) -> str:
    """A name from a transcript as plotly text: plotly reads a few HTML tags in labels (links,
    styles), so every ``<``, ``>`` and ``&`` is an entity and control characters show."""
    return html.escape(for_terminal(str(value)))


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def _interval(cell: dict[str, Any]) -> str:
    if cell["share"] is None:
        return "no trials"
    return f"{cell['k']} of {cell['n']} trials ({_pct(cell['share'])}, 95% CI {_pct(cell['low'])}–{_pct(cell['high'])})"


def prevalence_heatmap(prev: dict[str, Any]) -> dict[str, Any]:
    """Labels (rows, high severity first) x models: share of trials with the label."""
    labels, models = prev["labels"], prev["models"]
    if not labels:
        return {"data": [], "layout": _layout("Behaviour prevalence: no labels", 120)}
    ylabels = [f"{lid} · {sev}" for lid, sev in zip(labels, prev["severities"])]
    xlabels = [f"{label_text(m)} (n={n})" for m, n in zip(models, prev["sizes"])]
    z = [[c["share"] for c in row] for row in prev["cells"]]
    text = [[f"{c['k']}/{c['n']}" for c in row] for row in prev["cells"]]
    hover = [[f"{lid} · {label_text(m)}<br>{_interval(c)}" for m, c in zip(models, row)] for lid, row in zip(labels, prev["cells"])]
    trace = {"type": "heatmap", "z": z, "x": xlabels, "y": ylabels, "text": text, "texttemplate": "%{text}",
             "customdata": hover, "hovertemplate": "%{customdata}<extra></extra>", "zmin": 0, "zmax": 1,
             "colorscale": [[0, "#ffffff"], [0.01, "#fff3e0"], [0.5, "#ff8a65"], [1, "#b71c1c"]],
             "colorbar": {"title": {"text": "share of trials"}, "tickformat": ".0%"}, "xgap": 1, "ygap": 1}
    height = max(300, 140 + 20 * len(labels))
    return {"data": [trace], "layout": _layout(
        "Behaviour prevalence: share of each model's trials with the label (inferred; k/n, 95% Wilson CI on hover)",
        height, yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
        xaxis={"automargin": True, "type": "category", "tickangle": -30 if len(models) > 4 else 0},
        margin={"l": 10, "r": 10, "t": 40, "b": 10})}


def strategy_sankey(flows: dict[str, Any], colour_of=None) -> dict[str, Any]:
    """Obstacles -> strategies -> episode status, counted in episodes."""
    links = flows["links"]
    if not links:
        return {"data": [], "layout": _layout("Obstacles and strategies: no episodes", 120)}
    names: list[str] = []
    for link in links:
        for key in ("source", "target"):
            name = link[key]
            if name not in names:
                names.append(name)
    index = {n: i for i, n in enumerate(names)}
    status = {"resolved": "#2e7d32", "unresolved": "#c62828", "open": "#9e9e9e"}
    colours = [status.get(n, (colour_of(n) if colour_of else "#607d8b")) for n in names]
    trace = {
        "type": "sankey", "arrangement": "snap",
        "node": {"label": [label_text(n) for n in names], "color": colours, "pad": 14, "thickness": 14,
                 "hovertemplate": "%{label}: %{value} episodes<extra></extra>"},
        "link": {"source": [index[l["source"]] for l in links], "target": [index[l["target"]] for l in links],
                 "value": [l["episodes"] for l in links], "color": "rgba(120,144,156,0.35)",
                 "hovertemplate": "%{source.label} → %{target.label}: %{value} episodes<extra></extra>"},
    }
    return {"data": [trace], "layout": _layout(
        f"Obstacles → strategies → outcome, in episodes ({flows['episodes']} episodes, inferred; an episode "
        "with two strategies flows to both)", max(320, 24 * len(names)))}


def category_bars(shares: dict[str, Any]) -> dict[str, Any]:
    """Command category shares per model (of the four study categories) beside the study's."""
    cats = shares["categories"]
    data = []
    for i, m in enumerate(shares["models"]):
        y = [100 * m["shares"][c] for c in cats]
        data.append({
            "type": "bar", "name": f"{label_text(m['model'])} ({m['commands']} commands)", "x": cats, "y": y,
            "marker": {"color": MODEL_COLOURS[i % len(MODEL_COLOURS)]},
            "error_y": {"type": "data", "symmetric": False,
                        "array": [100 * (m["high"][c] - m["shares"][c]) for c in cats],
                        "arrayminus": [100 * (m["shares"][c] - m["low"][c]) for c in cats]},
            "customdata": [f"{100 * m['low'][c]:.1f}–{100 * m['high'][c]:.1f}%" for c in cats],
            "hovertemplate": "%{x}: %{y:.1f}% (95% CI %{customdata}, resampling trials)<extra>%{fullData.name}</extra>",
        })
    for j, (name, pub) in enumerate(shares["study"].items()):
        data.append({"type": "bar", "name": name, "x": cats, "y": [pub[c] for c in cats],
                     "marker": {"color": ["#bdbdbd", "#757575"][j % 2], "pattern": {"shape": "/"}},
                     "hovertemplate": "%{x}: %{y:.1f}% (published)<extra>%{fullData.name}</extra>"})
    return {"data": data, "layout": _layout(
        "Command categories: share of each model's simple commands in the study's four categories (recorded "
        "commands; 'other' left out as the study does; 95% CI)", 380, barmode="group",
        yaxis={"title": {"text": "% of commands"}, "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.18})}


def trial_timeline(trial_id: str, steps: list[dict[str, Any]], episodes: list[dict[str, Any]],
                   phases: list[tuple[int, int, str]]) -> dict[str, Any]:
    """One trial: steps on x; a row per label with a mark at each step carrying it (coloured by
    severity); a row per episode spanning its steps, named with its strategies; phases shaded.

    ``steps``: ``{"step", "label", "severity", "text"}`` per labelled step; ``episodes``:
    ``{"name", "start", "end", "status"}``; ``phases``: (first step, last step, phase) runs.
    """
    data: list[dict[str, Any]] = []
    rows: list[str] = []
    for ep in episodes:
        rows.append(ep["name"])
        colour = {"resolved": "#2e7d32", "unresolved": "#c62828"}.get(ep["status"], "#9e9e9e")
        xs = list(range(ep["start"], ep["end"] + 1))
        data.append({"type": "scatter", "mode": "lines+markers", "x": xs, "y": [ep["name"]] * len(xs),
                     "line": {"color": colour, "width": 6}, "marker": {"size": 4, "color": colour},
                     "customdata": xs, "showlegend": False,
                     "hovertemplate": f"{ep['status']}: step %{{x}}<extra></extra>"})
    for sev in ("high", "medium", "low"):
        mine = [s for s in steps if s["severity"] == sev]
        if not mine:
            continue
        data.append({"type": "scatter", "mode": "markers", "name": f"{sev} severity",
                     "x": [s["step"] for s in mine], "y": [s["label"] for s in mine],
                     "customdata": [s["step"] for s in mine], "text": [s["text"] for s in mine],
                     "marker": {"color": SEVERITY_COLOURS[sev], "size": 11, "symbol": "square",
                                "line": {"width": 1, "color": "#fff"}},
                     "hovertemplate": "step %{x}: %{y}<br>%{text}<extra></extra>"})
    rows += sorted({s["label"] for s in steps}, key=lambda lid: (
        {"high": 0, "medium": 1}.get(next(s["severity"] for s in steps if s["label"] == lid), 2), lid))
    last = max([s["step"] for s in steps] + [e["end"] for e in episodes] + [p[1] for p in phases] + [1])
    shapes = [{"type": "rect", "xref": "x", "yref": "paper", "x0": a - 0.5, "x1": b + 0.5, "y0": 0, "y1": 1,
               "fillcolor": PHASE_COLOURS.get(phase, "rgba(0,0,0,0)"), "line": {"width": 0}, "layer": "below"}
              for a, b, phase in phases]
    height = max(180, 80 + 22 * len(rows))
    return {"data": data, "layout": _layout(
        "Timeline: labelled steps (by severity), episodes and phases — click a mark to open its step", height,
        xaxis={"title": {"text": "step"}, "range": [0.5, last + 0.5], "dtick": max(1, last // 20), "zeroline": False},
        yaxis={"type": "category", "categoryorder": "array", "categoryarray": rows[::-1], "automargin": True},
        shapes=shapes, hovermode="closest", legend={"orientation": "h", "y": 1.02, "x": 1, "xanchor": "right",
                                                    "yanchor": "bottom"},
        margin={"l": 10, "r": 10, "t": 60, "b": 40})}
