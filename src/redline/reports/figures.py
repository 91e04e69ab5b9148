"""One function per plotly figure. Frames in, figures out; no I/O."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

OUTCOME_COLOURS = {"success": "#2e7d32", "failure": "#c62828", "unknown": "#9e9e9e"}
FAMILY_COLOURS = {
    "PROC": "#d32f2f", "SYS": "#6a1b9a", "EVADE": "#000000", "REPL": "#ad1457", "PERSIST": "#4e342e",
    "PRIV": "#ef6c00", "NET": "#1565c0", "PKG": "#00838f", "EXPL": "#558b2f", "FS": "#f9a825",
    "CODE": "#5d4037", "UTIL": "#78909c", "OBS": "#e53935", "MSG": "#3949ab",
}


def _layout(fig: go.Figure, title: str, height: int = 380) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=60, r=20, t=50, b=60),
                      template="plotly_white", legend=dict(orientation="h", y=-0.2))
    return fig


def behaviours_by_model(labels: pl.DataFrame) -> go.Figure:
    """Grouped bars: how many steps carry each behaviour label, per model.

    ``labels`` has columns model, label_id, steps (see :func:`redline.analysis.behaviour_rates`).
    """
    fig = go.Figure()
    if labels.is_empty():
        return _layout(fig, "Behaviours per model (no labels)")
    order = (labels.group_by("label_id").agg(pl.col("steps").sum()).sort("steps", descending=True)["label_id"].to_list())
    for model in sorted(labels["model"].unique().to_list()):
        sub = labels.filter(pl.col("model") == model)
        counts = dict(zip(sub["label_id"].to_list(), sub["steps"].to_list()))
        fig.add_bar(name=model, x=order, y=[counts.get(k, 0) for k in order])
    fig.update_layout(barmode="group", xaxis_title="label", yaxis_title="labelled steps")
    return _layout(fig, "Behaviours per model")


def outcomes_by_model(trials: pl.DataFrame) -> go.Figure:
    """Stacked bars of trial outcomes per model (``trials`` has model, outcome)."""
    fig = go.Figure()
    if trials.is_empty():
        return _layout(fig, "Trial outcomes per model (no trials)")
    counts = trials.group_by(["model", "outcome"]).len()
    models = sorted(counts["model"].unique().to_list())
    for outcome, colour in OUTCOME_COLOURS.items():
        sub = counts.filter(pl.col("outcome") == outcome)
        per = dict(zip(sub["model"].to_list(), sub["len"].to_list()))
        fig.add_bar(name=outcome, x=models, y=[per.get(m, 0) for m in models], marker_color=colour)
    fig.update_layout(barmode="stack", yaxis_title="trials")
    return _layout(fig, "Trial outcomes per model")


def step_map(steps: pl.DataFrame) -> go.Figure:
    """Every labelled step of every trial: x = step number, y = trial, colour = label family.

    ``steps`` has trial (display name), seq, label_id.
    """
    fig = go.Figure()
    if steps.is_empty():
        return _layout(fig, "Where behaviours happen (no labels)")
    steps = steps.with_columns(pl.col("label_id").str.split("-").list.first().alias("family"))
    for family in sorted(steps["family"].unique().to_list()):
        sub = steps.filter(pl.col("family") == family)
        fig.add_scatter(
            name=family, x=sub["seq"].to_list(), y=sub["trial"].to_list(), mode="markers",
            marker=dict(color=FAMILY_COLOURS.get(family, "#607d8b"), size=9, symbol="square"),
            text=sub["label_id"].to_list(), hovertemplate="%{y}<br>step %{x}: %{text}<extra></extra>",
        )
    n_trials = steps["trial"].n_unique()
    fig.update_layout(xaxis_title="step", yaxis=dict(type="category", automargin=True))
    return _layout(fig, "Where behaviours happen", height=max(320, 60 + 22 * n_trials))
