"""What the agent saw or wrote in a batch: prompts, outputs and its own messages, the text the
context rules read for what it was told (:func:`.evade.oversight_context`,
:func:`.repl.self_context`), and which of them a pattern finds, read once per distinct text
(prompts and outputs repeat across a batch's trials)."""

from __future__ import annotations

import polars as pl

from ..distinct import filter_rows
from ..frames import Frames, per_batch


@per_batch
def seen_events(frames: Frames) -> pl.DataFrame:
    """(trial_id, seq, kind, role, text) of the batch's outputs and of its messages from the
    system, the user, the developer and the agent, where they have text."""
    seen = (pl.col("kind") == "observation") | (pl.col("kind") == "message") & pl.col("role").is_in(
        ["system", "user", "assistant", "developer"])
    return frames.events.filter(seen & pl.col("text").is_not_null()).select("trial_id", "seq", "kind", "role", "text")


def seen_matching(frames: Frames, pattern: str) -> pl.DataFrame:
    """The rows of :func:`seen_events` (in order) whose text ``pattern`` finds something in."""
    return filter_rows(frames, seen_events(frames), pl.col("text").str.contains(pattern))
