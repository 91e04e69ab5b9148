"""The frames the analysis reads, and the per-action view every analysis step shares.

:class:`Inputs` holds four polars frames shaped like redline's tables (``trials``, ``events``,
``commands`` and the *current* ``labels``); :mod:`redline.analysis.store` reads them from a database,
and a notebook or a test can build them from anything else (``Inputs.from_frames``). Nothing
here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import polars as pl

from .. import schema

#: characters of an event text's head and of its tail read from the database for the analysis
TEXT_EDGE = 8000
#: characters of an output's head and of its tail the episode analysis reads (errors sit at either end)
OUTPUT_EDGE = 4000
#: characters of a thought the analysis reads
THOUGHT_CHARS = 4000

def _columns(table: schema.Table, *names: str) -> dict[str, pl.DataType]:
    """These columns of a table, with the polars types the schema gives them."""
    types = table.polars_schema()
    return {name: types[name] for name in names}


#: the columns of each input the analysis reads (others are passed through)
TRIAL_COLUMNS = _columns(schema.TRIALS, "trial_id", "format", "model", "agent", "task", "scenario", "outcome",
                         "source_verdict", "started_at", "ended_at", "metadata")
EVENT_COLUMNS = _columns(schema.EVENTS, "trial_id", "seq", "ts", "kind", "role", "text", "tool", "exit_code",
                         "action_seq", "attrs")
LABEL_COLUMNS = _columns(schema.LABELS, "trial_id", "seq", "unit", "label_id", "evidence", "evidence_seq")


def _conform(df: pl.DataFrame, schema: dict[str, pl.DataType], optional: tuple[str, ...] = ()) -> pl.DataFrame:
    """``df`` with ``schema``'s columns in that order (missing optional ones as nulls)."""
    cols = []
    for name, dtype in schema.items():
        if name in df.columns:
            col = pl.col(name)
            if dtype == pl.Utf8 and df.schema[name] not in (pl.Utf8, pl.String):
                col = col.cast(pl.Utf8)  # JSON columns arrive as text or as structs
            elif isinstance(dtype, pl.Datetime) and isinstance(df.schema[name], pl.Datetime):
                col = col.dt.convert_time_zone("UTC") if df.schema[name].time_zone else col.dt.replace_time_zone("UTC")
                col = col.dt.cast_time_unit("us")
            cols.append(col.cast(dtype, strict=False).alias(name))
        elif name in optional:
            cols.append(pl.lit(None, dtype).alias(name))
        else:
            raise ValueError(f"analysis input lacks the column {name!r}")
    extra = [c for c in df.columns if c not in schema]
    return df.select(cols + extra)


@dataclass
class Inputs:
    """What the analysis reads: ``trials``, ``events``, ``commands`` and current ``labels``.

    ``labels`` may carry a ``detail`` column (structured evidence, e.g. a kill's target); it
    is used when present.
    """

    trials: pl.DataFrame
    events: pl.DataFrame
    commands: pl.DataFrame
    labels: pl.DataFrame

    def __post_init__(self) -> None:
        self.trials = _conform(self.trials, TRIAL_COLUMNS,
                               optional=("format", "agent", "task", "scenario", "source_verdict", "started_at",
                                         "ended_at", "metadata", "model"))
        self.events = _conform(self.events, EVENT_COLUMNS, optional=("ts", "role", "tool", "exit_code", "attrs"))
        self.labels = _conform(self.labels, LABEL_COLUMNS, optional=("evidence", "evidence_seq", "unit"))

    @classmethod
    def from_frames(cls, frames, labels: pl.DataFrame) -> "Inputs":
        """From a batch's :class:`~redline.classifiers.frames.Frames` and the labels the
        classifiers gave it."""
        commands = frames.commands
        if "evidence_seq" in commands.columns:  # rows added for scripts run later (expand_scripts)
            commands = commands.filter(pl.col("evidence_seq").is_null())
        return cls(frames.trials, frames.events, commands, labels)

    # ------------------------------------------------------------ shared views

    @cached_property
    def step_labels(self) -> pl.DataFrame:
        """Labels on steps (not on whole trials), with a positive score where scores exist."""
        return self.labels.filter(pl.col("seq").is_not_null())

    @cached_property
    def actions(self) -> pl.DataFrame:
        """One row per action, in order: ``step`` (its number in the trial, from 1), the
        agent's ``thought`` before it, its action ``labels``, and its observation (``obs_seq``,
        ``obs_text`` cut to its head and tail, ``obs_exit``, ``obs_ts``, ``obs_labels``)."""
        ev = self.events.sort("trial_id", "seq")
        acts = ev.filter(pl.col("kind") == "action").select(
            "trial_id", "seq", "ts", "text", "tool", "attrs",
            (pl.col("seq").rank("ordinal").over("trial_id")).cast(pl.Int32).alias("step"))
        msgs = ev.filter((pl.col("kind") == "message") & (pl.col("role") == "assistant")).select(
            "trial_id", pl.col("seq").alias("_mseq"), pl.col("text").str.slice(0, THOUGHT_CHARS).alias("_t"))
        if msgs.height:
            nxt = msgs.sort("_mseq").join_asof(
                acts.select("trial_id", pl.col("seq").alias("_aseq")).sort("_aseq"),
                left_on="_mseq", right_on="_aseq", by="trial_id", strategy="forward", check_sortedness=False)
            thoughts = nxt.filter(pl.col("_aseq").is_not_null()).group_by("trial_id", "_aseq").agg(
                pl.col("_t").str.join("\n")).rename({"_aseq": "seq", "_t": "thought"})
        else:
            thoughts = pl.DataFrame(schema={"trial_id": pl.Utf8, "seq": pl.Int32, "thought": pl.Utf8})
        length = pl.col("text").str.len_chars()
        obs = ev.filter((pl.col("kind") == "observation") & pl.col("action_seq").is_not_null()).select(
            "trial_id", pl.col("action_seq").alias("seq"), pl.col("seq").alias("obs_seq"),
            pl.when(length > 2 * OUTPUT_EDGE).then(pl.concat_str([
                pl.col("text").str.slice(0, OUTPUT_EDGE), pl.lit("\n…\n"), pl.col("text").str.slice(-OUTPUT_EDGE)]))
            .otherwise(pl.col("text")).alias("obs_text"),
            pl.col("exit_code").alias("obs_exit"), pl.col("ts").alias("obs_ts"),
        ).unique(subset=["trial_id", "seq"], keep="first", maintain_order=True)
        labels = self.step_labels
        act_labels = labels.filter(pl.col("unit") == "action").group_by("trial_id", "seq").agg(
            pl.col("label_id").unique().sort().alias("labels"))
        obs_labels = labels.filter(pl.col("unit") == "observation").group_by("trial_id", "seq").agg(
            pl.col("label_id").unique().sort().alias("obs_labels")).rename({"seq": "obs_seq"})
        out = (acts.join(thoughts, on=["trial_id", "seq"], how="left")
               .join(obs, on=["trial_id", "seq"], how="left")
               .join(act_labels, on=["trial_id", "seq"], how="left")
               .join(obs_labels, on=["trial_id", "obs_seq"], how="left")
               .with_columns(pl.col("labels").fill_null([]), pl.col("obs_labels").fill_null([]),
                             pl.col("thought").fill_null(""))
               .sort("trial_id", "seq"))
        return out

    @cached_property
    def command_rows(self) -> pl.DataFrame:
        """The commands table's columns the analysis reads, in order."""
        cols = ["trial_id", "seq", "idx", "parent_idx", "depth", "program", "path", "argv", "wrappers", "sudo",
                "background", "operator", "context", "redirects", "heredoc", "code", "text"]
        present = [c for c in cols if c in self.commands.columns]
        return self.commands.select(present).sort("trial_id", "seq", "idx")
