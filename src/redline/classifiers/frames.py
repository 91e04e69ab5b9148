"""A batch of stored rows shaped for rules (:class:`Frames`), and how it is built.

:func:`build_frames` turns the ``trials``, ``events`` and ``commands`` rows of a batch of
trials into the frames rules read, in four named stages, always in this order:

1. :func:`shape_steps`: events split by kind: ``actions`` (with ``tool``, ``parse_error`` and
   the scaffold's ``command_type``), ``observations`` (with ``command``, the text of the action
   they answer) and ``messages``; ``commands`` rows joined with their action's ``tool`` and
   ``command_type``.
2. :func:`window_outputs`: an output longer than twice :data:`OUTPUT_WINDOW` is read by its
   head and tail only, so the cost per row stays bounded; the offset of the tail is kept, so
   spans found there are mapped back to offsets in the stored text. Reading from the database
   (:func:`redline.classifiers.reading.read_frames`) makes the same cut in the query, so a long
   output never reaches Python whole.
3. :func:`expand_scripts`: a script written earlier in the trial (``cat > fix.sh <<EOF``...)
   and run at a later step (``bash fix.sh``) adds the script's own commands to ``commands``,
   on the step that runs it, with ``context = 'script'`` and ``evidence_seq`` = the step that
   wrote it (:mod:`redline.classifiers.scripts`; shell scripts are parsed with
   :func:`redline.shell.parse`).
4. :func:`expand_embedded`: shell commands that code or a session manager runs
   (``python3 -c "import os; os.system('pkill -f server')"``, ``subprocess.run([...])``,
   ``tmux new-session -d 'python start.py'``), in a step's own line or in a script it runs,
   add their commands to ``commands`` like the same commands typed directly, with ``context =
   'code-shell'`` or ``'session'`` (:mod:`redline.classifiers.embedded`).

Script and embedded-command expansion belong here, not in ingest: the ``commands`` table records what each step's
own command line runs, a fact about the transcript; which earlier write a later run executes is
an inference over the whole trial (latest writer, appends, base names) that improves with the
classifiers, and doing it at classify time means improving it never needs a re-ingest; likewise
reading the commands out of code is an interpretation that improves with the rules. The cost is
one parse per distinct script body per batch, and one per row whose code calls a shell.

A :class:`Frames` is plain data: the same rules run over a DuckDB database
(:mod:`redline.classifiers.reading`), in-memory examples or Parquet shards elsewhere.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from .. import schema
from ..limits import DISTINCT_COPY_BYTES, OUTPUT_WINDOW
from .code_tools import code_tool_rows
from .embedded import embedded_commands
from .scripts import script_commands

if TYPE_CHECKING:
    import pyarrow as pa

#: what stands for the unread middle of a long output
WINDOW_GAP = "\n[... output elided for classification ...]\n"

#: the columns of :attr:`Frames.events` that rules and models read (a step's place, kind, who
#: wrote it, its text and an output's exit code and action); a batch read from the database
#: (:func:`redline.classifiers.reading.read_frames`) keeps only these
EVENT_CONTEXT_COLUMNS = ("trial_id", "seq", "kind", "role", "text", "exit_code", "action_seq")


@dataclass
class Frames:
    """The rows of a batch of trials, shaped for rules (build one with :func:`build_frames`).

    ``trials`` — the trials rows; ``events`` — every event (for context rules and models: a
    rule reads only :data:`EVENT_CONTEXT_COLUMNS` of it, all a batch read from the database
    keeps; a long output comes cut as in ``observations``); ``commands`` — commands rows with the action's ``tool`` and
    ``command_type``, the rows of scripts run at a step and of commands run by code or a
    session manager, and ``evidence_seq``; ``actions`` —
    action events (``text``, ``tool``, ``parse_error``, ``command_type``); ``observations`` —
    observation events with ``command`` (the action's text), long outputs windowed;
    ``messages`` — message events (all roles; message rules see only the assistant's);
    ``output_shift`` — (trial_id, seq, _shift) of windowed outputs: add ``_shift`` to a span
    found in the tail to get its offset in the stored text.

    What rules work out once per batch is kept with the frames (:meth:`memo`); a copy made with
    :func:`dataclasses.replace` starts with nothing kept.
    """

    trials: pl.DataFrame
    events: pl.DataFrame
    commands: pl.DataFrame
    actions: pl.DataFrame
    observations: pl.DataFrame
    messages: pl.DataFrame
    output_shift: pl.DataFrame
    _memo: dict = field(default_factory=dict, init=False, repr=False)

    def memo(self, key, compute: Callable[[], Any]):
        """``compute()`` once per batch for ``key``: rules that build on the same context or on
        another rule's hits share one computation."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def memoized(self, key) -> Any:
        """What :meth:`memo` keeps for ``key``, computing nothing (None: nothing is kept)."""
        return self._memo.get(key)

    def forget(self, key) -> Any:
        """Let go of what :meth:`memo` keeps for ``key`` (a later call computes it again);
        returns it (None: nothing was kept)."""
        return self._memo.pop(key, None)

    @staticmethod
    def from_arrow(trials: pa.Table, events: pa.Table, commands: pa.Table) -> Frames:
        """Frames of Arrow tables shaped like the database's (see :func:`redline.convert.trials_to_arrow`)."""
        return build_frames(pl.from_arrow(trials), pl.from_arrow(events), pl.from_arrow(commands))  # type: ignore[arg-type]


def per_batch(fn: Callable[[Frames], Any]) -> Callable[[Frames], Any]:
    """Decorate a function of a batch's Frames so it runs once per batch, however many rules
    call it (its result is let go once the last rule that can call it has run:
    :func:`~redline.classifiers.engine.label_frames`)."""
    @functools.wraps(fn)
    def wrapper(frames: Frames):
        return frames.memo(fn, lambda: fn(frames))
    wrapper.per_batch_key = fn  # type: ignore[attr-defined]  # its memo key
    return wrapper


@dataclass
class Steps:
    """The result of :func:`shape_steps`: a batch's events split by kind."""

    events: pl.DataFrame
    commands: pl.DataFrame
    actions: pl.DataFrame
    observations: pl.DataFrame
    messages: pl.DataFrame


def shape_steps(events: pl.DataFrame, commands: pl.DataFrame) -> Steps:
    """Stage 1: split events by kind and give commands their action's tool and command type; the
    rows of an action sent through a code tool are what that tool runs: its code, and an IPython
    cell's shell escapes (:func:`~redline.classifiers.code_tools.code_tool_rows`)."""
    if "command_type" not in events.columns:
        events = events.with_columns(
            pl.col("attrs").str.json_path_match("$.command_type").alias("command_type")
            if "attrs" in events.columns else pl.lit(None, pl.Utf8).alias("command_type")
        )
    actions = events.filter(pl.col("kind") == "action").select(
        "trial_id", "seq", "text", "tool", "parse_error", "command_type")
    answered = actions.select("trial_id", pl.col("seq").alias("action_seq"), pl.col("text").alias("command"))
    chars = ["text_chars"] if "text_chars" in events.columns else []
    observations = events.filter(pl.col("kind") == "observation").select(
        "trial_id", "seq", "text", *chars, "exit_code", "action_seq").join(answered, on=["trial_id", "action_seq"], how="left")
    messages = events.filter(pl.col("kind") == "message").select("trial_id", "seq", "role", "text")
    commands = code_tool_rows(commands.join(
        actions.select("trial_id", "seq", "tool", "command_type"), on=["trial_id", "seq"], how="left"), actions)
    return Steps(events, commands, actions, observations, messages)


def window_outputs(observations: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stage 2: long outputs cut to head and tail; returns (observations, output_shift).

    Rows read from the database come cut already, with the stored length in ``text_chars``
    (:func:`redline.classifiers.reading.read_frames`); cutting them again changes nothing."""
    length = pl.col("text").str.len_chars()
    if "text_chars" in observations.columns:
        length = pl.coalesce(pl.col("text_chars").cast(pl.Int64), length)
        observations = observations.with_columns(length.alias("_chars")).drop("text_chars")
        length = pl.col("_chars")
    long = length > 2 * OUTPUT_WINDOW + len(WINDOW_GAP)
    cut = pl.col("text").str.len_chars() > 2 * OUTPUT_WINDOW + len(WINDOW_GAP)
    windowed = observations.with_columns(
        pl.when(cut).then(pl.concat_str([pl.col("text").str.slice(0, OUTPUT_WINDOW), pl.lit(WINDOW_GAP),
                                         pl.col("text").str.slice(-OUTPUT_WINDOW)]))
        .otherwise(pl.col("text")).alias("text"),
    )
    shift = observations.filter(long).select(
        "trial_id", "seq", (length - 2 * OUTPUT_WINDOW - len(WINDOW_GAP)).cast(pl.Int32).alias("_shift"))
    return windowed.drop("_chars", strict=False), shift


def expand_scripts(commands: pl.DataFrame, actions: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """Stage 3: ``commands`` plus the rows of scripts run at a step; adds ``evidence_seq``
    (the step that wrote the script; null for the step's own commands)."""
    scripts = script_commands(commands, actions, events)
    commands = commands.with_columns(pl.lit(None, pl.Int32).alias("evidence_seq"))
    if scripts.is_empty():
        return commands
    return pl.concat([commands, scripts], how="diagonal_relaxed")


def expand_embedded(commands: pl.DataFrame) -> pl.DataFrame:
    """Stage 4: ``commands`` (with ``evidence_seq``) plus the rows of the shell commands that
    code or a session manager runs in them; an embedded row keeps its parent's ``evidence_seq``."""
    embedded = embedded_commands(commands)
    if embedded.is_empty():
        return commands
    return pl.concat([commands, embedded], how="diagonal_relaxed")


#: a string of at most this many bytes is kept inside its view (a 16-byte slot of polars' string
#: columns); a longer one points into a buffer the column shares
INLINE_BYTES = 12


def copied(name: str) -> pl.Expr:
    """Column ``name``'s strings copied into a buffer of their own (:func:`_copy`)."""
    return _copy(pl.col(name)).alias(name)


def _copy(strings: pl.Expr) -> pl.Expr:
    """``strings`` written anew. polars' ``str.slice(0)``, casts and ``rechunk`` keep pointing into
    the buffers the strings came from (so a frame made of a few rows of another keeps all of the
    other's strings); a concatenation writes new ones."""
    return pl.concat_str([strings, pl.lit("")])


def _shares_buffers(column: pl.Series) -> bool:
    """Whether some string of ``column`` is longer than its view holds (:data:`INLINE_BYTES`), so
    points into a buffer the column shares with where it came from."""
    return (column.str.len_bytes().max() or 0) > INLINE_BYTES


def detached(labels: pl.DataFrame) -> pl.DataFrame:
    """``labels`` with their trial IDs and evidence in strings of their own. A string taken from
    a frame (a gather, a slice) points into the frame's buffers and keeps them whole: a batch's
    labels, kept after its frames are let go (for the insert), would hold those buffers until
    they are written (measured: 31 MB of the frames of 1,000 Inspect trials before the events'
    strings were copied on reading, :func:`~redline.classifiers.frames.own_strings`; with that
    copy, classify's peak on a generated corpus is still about 5 MB lower with this one)."""
    return labels.with_columns(copied(name) for name in ("trial_id", "evidence") if name in labels.columns)


def own_strings(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` with the string columns the frames keep that hold longer strings than fit in
    their views (:data:`INLINE_BYTES`; such as the text) copied into buffers of their own. Rows
    read from the database point into the buffers polars made of the query's result, and keep
    all of that result while any of them is kept (the frames' events and every frame split from
    them, and the labels whose evidence comes from them); copied here, before the other frames
    are split from them, the result goes once the batch is read (measured on 1,000 Inspect
    trials: classify's peak about 8-11 MB lower, and as much on a generated corpus). Not
    ``trial_id``, which :func:`~redline.classifiers.reading.read_frames` gives as views of one copy
    per trial (copying it cost 3 MB more), nor ``attrs``, read while building only."""
    long = [name for name, dtype in events.schema.items() if dtype == pl.String and name not in ("attrs", "trial_id")
            and _shares_buffers(events[name])]
    return events.with_columns(copied(name) for name in long)


def owned(frame: pl.DataFrame, moved: bool = False) -> pl.DataFrame:
    """``frame`` in buffers of its own, but ``trial_id`` (which
    :func:`~redline.classifiers.reading.read_frames` gives as views of one copy per trial). A frame
    read from DuckDB is DuckDB's Arrow result itself: polars takes its number columns as they are
    and points its strings into it, and the result, allocated by DuckDB (glibc's malloc, not
    polars' allocator), goes only with the last column that holds any of it (measured on 1,000
    Inspect trials: the commands frame, 6.9 MB, held 10 MB of it through the rules and the
    insert). Strings longer than their views hold are copied each distinct string once
    (:func:`distinct_copy`), the others into views of their own, lists of strings element by
    element, the other columns unless ``moved`` (the rows were put in order, which copied them);
    a column of fewer than :data:`~redline.limits.DISTINCT_COPY_BYTES` bytes of strings is copied
    row by row (the search for the distinct strings, three polars operations, cost more than the
    copy: a third of a 10-trial batch's copying);
    a column with no value becomes a constant of its type, which takes no memory (a string
    column of nulls costs 16 bytes a row)."""
    def empty(name: str) -> bool:
        return 0 < frame.height == frame[name].null_count()

    def own(name: str, dtype: pl.DataType) -> pl.Expr:
        if name == "trial_id" or dtype == pl.String:
            return pl.col(name)
        if empty(name):
            return pl.lit(None, dtype).alias(name)
        if dtype == pl.List(pl.String):
            return pl.col(name).list.eval(_copy(pl.element())).alias(name)
        return pl.col(name) if moved else pl.col(name).gather(pl.int_range(pl.len())).alias(name)

    def own_string(name: str) -> pl.Expr | pl.Series:
        if empty(name):
            return pl.lit(None, pl.String).alias(name)
        lengths = frame[name].str.len_bytes()
        # in their views (no buffer to share), or too few bytes for the search to pay
        if (lengths.max() or 0) <= INLINE_BYTES or (lengths.sum() or 0) < DISTINCT_COPY_BYTES:
            return copied(name)
        return distinct_copy(frame[name])
    strings = [name for name, dtype in frame.schema.items() if dtype == pl.String and name != "trial_id"]
    return frame.select(own(name, dtype) for name, dtype in frame.schema.items()).with_columns(
        own_string(name) for name in strings)


def distinct_copy(column: pl.Series) -> pl.Series:
    """``column``'s strings in a buffer of their own, each distinct string once: the rows that
    repeat a string point at its one copy. Outputs, prompts and commands repeat across steps
    and trials: on 1,000 Inspect trials the events' text is 1,080 distinct strings in 104,466
    rows longer than a view holds (8.0 MB copied row by row, 2.0 MB so; the generated
    million-action corpus's events text 824 MB, 217 MB so); finding the distinct strings (hashing them) costs
    about twice a copy of every row (0.07 against 0.03 CPU s on a batch of 173,000 events)."""
    distinct = column.to_frame().select(pl.col(column.name).unique().drop_nulls().alias("_k"))
    distinct = distinct.with_columns(copied("_k").alias("_v"))
    return column.to_frame().join(distinct, left_on=column.name, right_on="_k", how="left",
                                  maintain_order="left")["_v"].alias(column.name)


def build_frames(trials: pl.DataFrame, events: pl.DataFrame, commands: pl.DataFrame, *,
                 own_buffers: bool = False) -> Frames:
    """A batch's :class:`Frames` from its stored rows: the four stages in order (the events'
    long strings first copied into buffers of their own: :func:`own_strings`, unless
    ``own_buffers`` says the rows are in buffers of their own already: :func:`owned`)."""
    if not own_buffers:
        events = own_strings(events)
    steps = shape_steps(events, commands)
    observations, shift = window_outputs(steps.observations)
    expanded = expand_embedded(expand_scripts(steps.commands, steps.actions, steps.events))
    return Frames(trials=trials, events=steps.events, commands=expanded, actions=steps.actions,
                  observations=observations, messages=steps.messages, output_shift=shift)


def empty_frames() -> Frames:
    """The frames of a batch with no trials: every frame with its columns and no rows."""
    return build_frames(pl.DataFrame(schema=schema.TRIALS.polars_schema()),
                        pl.DataFrame(schema=schema.EVENTS.polars_schema()),
                        pl.DataFrame(schema=schema.COMMANDS.polars_schema()))


@functools.lru_cache(maxsize=1)
def unit_columns() -> dict[str, tuple[str, ...]]:
    """The columns a rule of each unit reads (``command``, ``action``, ``observation``, ``message``)."""
    frames = empty_frames()
    return {"command": tuple(frames.commands.columns), "action": tuple(frames.actions.columns),
            "observation": tuple(frames.observations.columns), "message": tuple(frames.messages.columns)}
