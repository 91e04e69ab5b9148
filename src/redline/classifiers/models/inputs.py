"""What a model reads: one row per step with the step's text and its context, from a batch's
:class:`~redline.classifiers.frames.Frames` (the same frames the rules read).

Messages (the agent's own text, ``role = 'assistant'``) come with ``prev``, the last
observation the agent saw before it in the trial, and ``task``, the trial's first user message
(or the trial's ``task`` when it has none). Actions come with ``command``, the command line, and
``thought``, the agent's last message before it. Every input is cut to
:data:`~redline.limits.MODEL_INPUT_CHARS` characters; context inputs start with
:data:`~redline.classifiers.models.spec.CONTEXT_MARK` so that an empty context is still a
document. These functions are pure (frames in, frames out), so training, classifying and the
labelling loop see exactly the same inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import polars as pl

from ...limits import MODEL_INPUT_CHARS
from ..frames import Frames
from .spec import CONTEXT_MARK, INPUTS

KEYS = ("trial_id", "seq")


def _cut(name: str, col: str | pl.Expr | None = None) -> pl.Expr:
    expr = pl.col(col or name) if not isinstance(col, pl.Expr) else col
    return expr.fill_null("").str.slice(0, MODEL_INPUT_CHARS[name])


def _context(name: str, col: str) -> pl.Expr:
    return pl.concat_str([pl.lit(CONTEXT_MARK + " "), _cut(name, col)]).alias(name)


def _sorted(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("seq").cast(pl.Int64)).sort(KEYS)


def message_inputs(frames: Frames, inputs: Sequence[str] = INPUTS["message"]) -> pl.DataFrame:
    """trial_id, seq and the ``inputs`` (default text, prev, task): one row per assistant
    message of the batch. A context input no model reads is not built (each is a new string
    per row), and only the events an input reads are sorted (a batch's events are many)."""
    events = frames.events.select("trial_id", "seq", "kind", "role", "text")
    out = _sorted(events.filter((pl.col("kind") == "message") & (pl.col("role") == "assistant")).select(*KEYS, "text"))
    if "prev" in inputs:
        obs = _sorted(events.filter(pl.col("kind") == "observation").select(*KEYS, pl.col("text").alias("_prev")))
        out = out.join_asof(obs, on="seq", by="trial_id", strategy="backward", allow_exact_matches=False,
                            check_sortedness=False)
    if "task" in inputs:
        users = (_sorted(events.filter((pl.col("kind") == "message") & (pl.col("role") == "user")).select(*KEYS, "text"))
                 .group_by("trial_id", maintain_order=True).agg(pl.col("text").first().alias("_task")))
        tasks = frames.trials.select("trial_id", pl.col("task").alias("_trial_task")) if "task" in frames.trials.columns \
            else pl.DataFrame(schema={"trial_id": pl.Utf8, "_trial_task": pl.Utf8})
        out = out.join(users, on="trial_id", how="left").join(tasks, on="trial_id", how="left")
    built = [_cut("text").alias("text")]
    if "prev" in inputs:
        built.append(_context("prev", "_prev"))
    if "task" in inputs:
        built.append(_context("task", pl.coalesce(pl.col("_task"), pl.col("_trial_task"))))
    return out.select("trial_id", pl.col("seq").cast(pl.Int32), *built)


def action_inputs(frames: Frames, inputs: Sequence[str] = INPUTS["action"]) -> pl.DataFrame:
    """trial_id, seq and the ``inputs`` (default command, thought): one row per action of the batch."""
    events = frames.events.select("trial_id", "seq", "kind", "role", "text")
    out = _sorted(events.filter(pl.col("kind") == "action").select(*KEYS, pl.col("text").alias("_command")))
    if "thought" in inputs:
        msgs = _sorted(events.filter((pl.col("kind") == "message") & (pl.col("role") == "assistant")).select(
            *KEYS, pl.col("text").alias("_thought")))
        out = out.join_asof(msgs, on="seq", by="trial_id", strategy="backward", allow_exact_matches=False,
                            check_sortedness=False)
    built = [_cut("command", "_command").alias("command")] + (
        [_context("thought", "_thought")] if "thought" in inputs else [])
    return out.select("trial_id", pl.col("seq").cast(pl.Int32), *built)


def model_frames(frames: Frames) -> Frames:
    """``frames`` with only what the models' inputs are built from (``events`` and ``trials``),
    the other frames empty and no memo: classifying lets the rest of a batch go (its commands,
    outputs and what the rules worked out: about a third of the batch's memory) before the
    models build their inputs."""
    return replace(frames, commands=frames.commands.clear(), actions=frames.actions.clear(),
                   observations=frames.observations.clear(), messages=frames.messages.clear(),
                   output_shift=frames.output_shift.clear())


def step_inputs(frames: Frames, unit: str, inputs: Sequence[str] | None = None) -> pl.DataFrame:
    """The inputs (default: all of the unit's) of every step of ``unit`` (``message`` or
    ``action``) in the batch; the step's own text always comes."""
    if unit not in INPUTS:
        raise ValueError(f"no model inputs for unit {unit!r} (one of {', '.join(INPUTS)})")
    inputs = INPUTS[unit] if inputs is None else inputs
    return message_inputs(frames, inputs) if unit == "message" else action_inputs(frames, inputs)


def example_inputs(records: list[dict], unit: str) -> pl.DataFrame:
    """Inputs of written examples (dicts with the input names as keys), shaped like
    :func:`step_inputs`' rows; missing context is empty."""
    names = INPUTS[unit]
    df = pl.DataFrame({n: [str(r.get(n) or "") for r in records] for n in names}, schema={n: pl.Utf8 for n in names})
    main = names[0]
    return df.select(_cut(main).alias(main), *[_context(n, n) for n in names[1:]])
