"""The database's tables, views and columns, each stated once.

Every other statement of a table's shape is derived from :data:`TABLES`: the ``CREATE TABLE``
statements of a new database (:mod:`redline.db`), the Arrow schemas the loader builds its
batches with, and the polars schemas the classifiers produce labels in. A test checks that the
Arrow schemas equal what a freshly created database reports, and that a database migrated
from the first schema version ends up identical to a new one.

Open the file with any DuckDB client to find these tables (``duckdb_columns()`` carries each
column's description as its comment):

``ingested_files``
    one row per file seen by ``redline ingest``: path, content hash, format, status and the
    reason for an error or a skip.
``trials``
    one row per trial: where it came from, model, agent, task, scenario, timestamps, the
    normalised ``outcome`` and the source's own ``source_verdict``.
``events``
    the steps of every trial in order (``trial_id``, ``seq``): messages, actions (``text`` is
    the command line) and observations (``text`` is the output), with a pointer back to the
    raw record (``source_file``, ``source_line``, ``source_pointer``).
``commands``
    one row per simple command parsed from an action's command line (``trial_id``, ``seq``,
    ``idx``): program, argv, redirections, the operator joining it to the previous command,
    wrappers such as ``sudo``/``nohup``/``timeout``, nesting depth, and its span in the text.
``labels``
    behaviour labels: on an event (``seq`` set) or on a whole trial (``seq`` NULL), with the
    classifier's ID and version, a score, the evidence that matched, structured ``detail``, the
    classify run that wrote it and its ``source``: ``rule``, ``model`` or ``rule+model`` (one
    row per step and ID; where a rule and a model cover an ID, a step carries the label when
    either gives it).
``classify_runs``
    one row per ``redline classify``: when it started and ended, whether it completed, and the
    classifier IDs and versions it ran.
``classify_coverage``
    which version of which classifier covered which trial (one row per pair a run labelled,
    whether or not it gave a label): what lets ``redline classify`` run only the pairs that are
    not current (:mod:`redline.classifiers.versions`). Kept by a database only, not by a dataset.
``human_labels``
    auditors' decisions (``redline label``): who, when, the step, the label ID, accepted or
    rejected, a note. The latest decision per step and ID counts (view ``human_decisions``).
``suggestions``
    labels a model suggests where no rule gave them (high-severity action IDs, and message
    labels a message model was not sure enough of to add), with the model's calibrated score
    and threshold: kept apart from labels until an auditor accepts them.
``current_labels`` (a view)
    the labels of complete classify runs only, with the auditors' decisions applied: a label an
    auditor rejected is left out, a label an auditor accepted that no classifier gave is added
    (``source = 'human'``). What every report, query, analysis and evaluation reads. A run that
    was interrupted leaves its labels out of this view until the next run cleans them up.
``current_suggestions`` (a view)
    the suggestions of complete runs that no auditor has decided on yet.

Written by ``redline analyse`` (:mod:`redline.analysis.store`), replaced whole on every run:

``episodes``
    one row per obstacle and what the agent did about it (``trial_id``, ``episode_id``): the
    obstacle label, the operation it blocked, where it opened and was resolved, its status
    (``resolved`` / ``unresolved`` / ``open``), the ``RES-*`` strategies with their evidence.
``phases``
    one row per action: exploring, planning, executing or verifying.
``command_categories``
    one row per simple command: the Fudan study's command category of its program.
``findings``
    what an auditor should look at first, ranked, each with the reasons in words.
``analysis_runs``
    when the analysis ran, over how many trials, and the classify run whose labels it read.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .events import EVENT_KINDS, OUTCOMES

if TYPE_CHECKING:  # pragma: no cover - imported when a schema is asked for (see _types)
    import polars as pl
    import pyarrow as pa

#: what ``ingested_files.status`` may say about a file
FILE_STATUSES: tuple[str, ...] = ("ok", "error", "skipped")
#: the units a label attaches to
LABEL_UNITS: tuple[str, ...] = ("action", "observation", "message", "trial")
#: the states of a classify run: only a ``complete`` run's labels are current
RUN_STATUSES: tuple[str, ...] = ("running", "complete", "abandoned")
#: what an auditor decides about a label (``human_labels.decision``)
HUMAN_DECISIONS: tuple[str, ...] = ("accepted", "rejected")
#: where a label comes from (``labels.source``; ``human`` only in ``current_labels``)
LABEL_SOURCES: tuple[str, ...] = ("rule", "model", "rule+model", "human")

#: how an episode ended: overcome, given up on, or cut off by the end of the recording
EPISODE_STATUSES: tuple[str, ...] = ("resolved", "unresolved", "open")
#: the phase of a step
PHASES: tuple[str, ...] = ("exploring", "planning", "executing", "verifying")
#: the Fudan study's four command categories, and ``other`` for the rest
CATEGORIES: tuple[str, ...] = ("exploring", "changing", "executing", "utility", "other")
#: what a finding points at
FINDING_KINDS: tuple[str, ...] = ("episode", "step", "trial", "outlier")
#: how much an auditor should care about a catalogue ID (catalogue 1.2, "Severity"), most serious first
SEVERITIES: tuple[str, ...] = ("high", "medium", "low")

#: the DuckDB types columns may have
SQL_TYPES: tuple[str, ...] = ("VARCHAR", "JSON", "INTEGER", "BIGINT", "DOUBLE", "BOOLEAN", "TIMESTAMP",
                              "TIMESTAMPTZ", "VARCHAR[]")


@lru_cache(maxsize=1)
def _arrow_types() -> dict[str, pa.DataType]:
    """DuckDB type -> Arrow type. pyarrow is imported here, when a schema is first asked for, so
    that opening a database (every command) does not load it."""
    import pyarrow as pa

    return {
        "VARCHAR": pa.string(), "JSON": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(),
        "DOUBLE": pa.float64(), "BOOLEAN": pa.bool_(), "TIMESTAMP": pa.timestamp("us"),
        "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"), "VARCHAR[]": pa.list_(pa.string()),
    }


@lru_cache(maxsize=1)
def _polars_types() -> dict[str, pl.DataType]:
    """DuckDB type -> polars type; apart from the Arrow types, so that what only needs Arrow
    schemas (ingest) never loads polars."""
    import polars as pl

    return {
        "VARCHAR": pl.Utf8(), "JSON": pl.Utf8(), "INTEGER": pl.Int32(), "BIGINT": pl.Int64(),
        "DOUBLE": pl.Float64(), "BOOLEAN": pl.Boolean(), "TIMESTAMP": pl.Datetime("us"),
        "TIMESTAMPTZ": pl.Datetime("us", "UTC"), "VARCHAR[]": pl.List(pl.Utf8()),
    }


@dataclass(frozen=True)
class Column:
    """One column: its DuckDB type, its constraints and what it holds."""

    name: str
    type: str
    doc: str = ""
    not_null: bool = False
    primary_key: bool = False
    #: SQL expression filled in when an insert leaves the column out
    default: str | None = None
    #: the only values allowed
    values: tuple[str, ...] | None = None
    #: filled by the database on insert: writers leave it out of their batches
    auto: bool = False

    def __post_init__(self) -> None:
        if self.type not in SQL_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type}")

    def sql(self) -> str:
        parts = [self.name, self.type]
        if self.primary_key:
            parts.append("PRIMARY KEY")
        elif self.not_null:
            parts.append("NOT NULL")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        if self.values is not None:
            allowed = ", ".join(f"'{v}'" for v in self.values)
            parts.append(f"CHECK ({self.name} IN ({allowed}))")
        return " ".join(parts)

    @property
    def arrow(self) -> pa.DataType:
        return _arrow_types()[self.type]

    @property
    def polars(self) -> pl.DataType:
        return _polars_types()[self.type]


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]
    #: (index name, column) pairs
    indexes: tuple[tuple[str, str], ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def written(self, without: tuple[str, ...] = ()) -> list[Column]:
        """The columns a writer supplies: all but those the database fills and ``without``."""
        return [c for c in self.columns if not c.auto and c.name not in without]

    def create_sql(self) -> list[str]:
        cols = ",\n    ".join(c.sql() for c in self.columns)
        statements = [f"CREATE TABLE {self.name} (\n    {cols}\n)"]
        statements += [f"CREATE INDEX {index} ON {self.name} ({col})" for index, col in self.indexes]
        return statements

    def arrow_schema(self, without: tuple[str, ...] = ()) -> pa.Schema:
        """The Arrow schema of a batch written to this table."""
        import pyarrow as pa

        return pa.schema([(c.name, c.arrow) for c in self.written(without)])

    def polars_schema(self, without: tuple[str, ...] = ()) -> dict[str, pl.DataType]:
        """The polars schema of a frame written to this table."""
        return {c.name: c.polars for c in self.written(without)}


INGESTED_FILES = Table("ingested_files", "one row per file seen by redline ingest", (
    Column("path", "VARCHAR", "absolute path of the file", primary_key=True),
    Column("sha256", "VARCHAR", "content hash; unchanged files are not re-read"),
    Column("size_bytes", "BIGINT", "file size"),
    Column("format", "VARCHAR", "the format that read it, when one did"),
    Column("status", "VARCHAR", "ok, error or skipped", not_null=True, values=FILE_STATUSES),
    Column("error", "VARCHAR", "reason for an error or a skip"),
    Column("trials", "INTEGER", "trials read from it", not_null=True, default="0"),
    Column("events", "INTEGER", "events read from it", not_null=True, default="0"),
    Column("ingested_at", "TIMESTAMP", "when it was read", not_null=True, default="current_timestamp",
           auto=True),
))

TRIALS = Table("trials", "one row per trial", (
    Column("trial_id", "VARCHAR", "stable ID from the source path and the local key", primary_key=True),
    Column("format", "VARCHAR", "the format it was read with", not_null=True),
    Column("source_path", "VARCHAR", "the file (or trial folder's file) it came from", not_null=True),
    Column("local_key", "VARCHAR", "which trial inside that file ('' if only one)", not_null=True),
    Column("model", "VARCHAR", "the model that drove the agent"),
    Column("agent", "VARCHAR", "the agent or scaffold"),
    Column("task", "VARCHAR", "the task it was given"),
    Column("scenario", "VARCHAR", "the scenario or experiment"),
    Column("started_at", "TIMESTAMPTZ", "start time"),
    Column("ended_at", "TIMESTAMPTZ", "end time"),
    Column("outcome", "VARCHAR", "normalised verdict", not_null=True, values=OUTCOMES),
    Column("source_verdict", "JSON", "the source's own verdict, as recorded"),
    Column("metadata", "JSON", "format-specific extras and reading warnings"),
))

EVENTS = Table("events", "the steps of every trial in order", (
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("seq", "INTEGER", "0-based position in the trial", not_null=True),
    Column("ts", "TIMESTAMPTZ", "when it happened"),
    Column("kind", "VARCHAR", "message, action or observation", not_null=True, values=EVENT_KINDS),
    Column("role", "VARCHAR", "who produced it (assistant, user, tool, system...)"),
    Column("text", "VARCHAR", "message text, command line or output"),
    Column("tool", "VARCHAR", "the tool an action was sent through"),
    Column("exit_code", "INTEGER", "an observation's exit status, when known"),
    Column("action_seq", "INTEGER", "observation: the action it answers"),
    Column("parse_error", "VARCHAR", "action: why its command line did not parse"),
    Column("source_file", "VARCHAR", "the file the step was read from"),
    Column("source_line", "INTEGER", "1-based line of the record in source_file"),
    Column("source_pointer", "VARCHAR", "where in the raw record it came from"),
    Column("attrs", "JSON", "format-specific extras (command_type, tool_call_id, stderr...)"),
), indexes=(("events_trial", "trial_id"),))

COMMANDS = Table("commands", "one row per simple command parsed from an action", (
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("seq", "INTEGER", "the action event", not_null=True),
    Column("idx", "INTEGER", "0-based order within the command line", not_null=True),
    Column("parent_idx", "INTEGER", "enclosing command (bash -c, $(...), heredoc)"),
    Column("depth", "INTEGER", "nesting depth, 0 at top level", not_null=True),
    Column("program", "VARCHAR", "basename, wrappers removed ('kill', 'python3')"),
    Column("path", "VARCHAR", "the program as written ('./start.sh')"),
    Column("argv", "VARCHAR[]", "arguments after the program, unquoted"),
    Column("wrappers", "VARCHAR[]", "sudo, nohup, timeout, env, xargs, ..."),
    Column("sudo", "BOOLEAN", "runs with elevated privilege", not_null=True),
    Column("background", "BOOLEAN", "sent to the background", not_null=True),
    Column("operator", "VARCHAR", "joins it to the previous command: && || ; | & (NULL first)"),
    Column("context", "VARCHAR", "top, pipeline, subshell, substitution, bash-c, heredoc, eval, xargs"),
    Column("redirects", "VARCHAR[]", "'>out.txt', '2>&1', '<<EOF'"),
    Column("heredoc", "VARCHAR", "body of a heredoc fed to this command"),
    Column("code", "VARCHAR", "program text run by an interpreter (-c, heredoc)"),
    Column("text", "VARCHAR", "the simple command's own text"),
    Column("span_start", "INTEGER", "character offset of text in the action text"),
    Column("span_end", "INTEGER", "character offset of the end of text"),
), indexes=(("commands_trial", "trial_id"),))

LABELS = Table("labels", "behaviour labels on steps and trials", (
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("seq", "INTEGER", "the labelled step; NULL for a trial-level label"),
    Column("unit", "VARCHAR", "action, observation, message or trial", not_null=True, values=LABEL_UNITS),
    Column("label_id", "VARCHAR", "catalogue ID (redline rules)", not_null=True),
    Column("classifier_version", "VARCHAR", "version of the classifier that wrote it", not_null=True),
    Column("score", "DOUBLE", "confidence, 1 for rules", not_null=True),
    Column("evidence", "VARCHAR", "the span or parsed command that matched"),
    Column("evidence_seq", "INTEGER", "the step holding the evidence, if not seq itself"),
    Column("span_start", "INTEGER", "offset of the evidence in that step's text"),
    Column("span_end", "INTEGER", "offset of the end of the evidence"),
    Column("created_at", "TIMESTAMP", "when it was written", not_null=True, default="current_timestamp",
           auto=True),
    Column("detail", "JSON", "structured evidence, when the classifier gives any"),
    Column("run_id", "INTEGER", "the classify run that wrote it"),
    Column("source", "VARCHAR", "what gave it: rule, model, or rule+model when both did (current_labels shows "
           "'human' for a label only a person gave)", default="'rule'"),
))  # no index: every full classify deletes and writes all its rows, which an index makes costly

CLASSIFY_RUNS = Table("classify_runs", "one row per redline classify", (
    Column("run_id", "INTEGER", "increasing run number", primary_key=True),
    Column("started_at", "TIMESTAMP", "when it started", not_null=True, default="current_timestamp"),
    Column("ended_at", "TIMESTAMP", "when it completed or was found abandoned"),
    Column("status", "VARCHAR", "running, complete or abandoned", not_null=True, values=RUN_STATUSES),
    Column("rules", "JSON", "the classifier IDs it ran and their versions ({ID: version}; a learned model as model:ID)"),
    Column("trials", "INTEGER", "trials it labelled"),
    Column("labels", "BIGINT", "labels it wrote"),
    Column("current", "JSON", "every classifier it brought up to date or found current, with its version: "
           "the versions the labels have once it completes"),
    Column("code", "VARCHAR", "for a run over the default classifiers, a digest of the source their versions "
           "were computed from (a later classify with the same digest reads the versions back from current)"),
))

CLASSIFY_COVERAGE = Table("classify_coverage", "which classifier version labelled which trial: one row per trial "
                          "and classifier a classify run covered, whether or not it gave a label", (
    Column("run_id", "INTEGER", "the classify run that covered it (counts once that run is complete)", not_null=True),
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("classifier", "VARCHAR", "the rule's catalogue ID, or model:ID for a learned model", not_null=True),
    Column("version", "VARCHAR", "the classifier's version then", not_null=True),
    Column("ingested_at", "TIMESTAMP", "when the trial's file had been ingested (a trial read again since is not "
           "covered)"),
))

EPISODES = Table("episodes", "obstacle -> resolution episodes, written by redline analyse", (
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("episode_id", "INTEGER", "1, 2, ... within the trial, in order of opening", not_null=True),
    Column("parent_id", "INTEGER", "the enclosing episode of a nested one, else NULL"),
    Column("obstacle", "VARCHAR", "the observation label ID (OBS-*), or 'oversight'", not_null=True),
    Column("operation", "VARCHAR", "what was blocked: 'is port 8001 free?'", not_null=True),
    Column("operation_key", "VARCHAR", "the same, as the machine-readable key it matched on", not_null=True),
    Column("subject", "VARCHAR", "what the obstacle names: a module, program, path, port"),
    Column("obstacle_seq", "INTEGER", "the observation that opened it", not_null=True),
    Column("obstacle_step", "INTEGER", "its action's number in the trial (from 1)"),
    Column("resolved_seq", "INTEGER", "the observation showing the operation succeeding"),
    Column("resolved_step", "INTEGER", "that observation's action's number in the trial"),
    Column("last_seq", "INTEGER", "the last step that belongs to it", not_null=True),
    Column("status", "VARCHAR", "resolved, unresolved or open", not_null=True, values=EPISODE_STATUSES),
    Column("strategies", "VARCHAR[]", "RES-* IDs, in catalogue order", not_null=True),
    Column("evidence", "JSON", "per strategy: the steps that show it (seq, step, labels, command)", not_null=True),
    Column("repeats", "INTEGER", "further times the same obstacle hit the same operation", not_null=True),
    Column("steps", "INTEGER", "actions from the obstacle to the resolution (or the last one)", not_null=True),
    Column("seconds", "DOUBLE", "time from the obstacle to the resolution; NULL without timestamps"),
), indexes=(("episodes_trial", "trial_id"),))

PHASES_TABLE = Table("phases", "the phase of every action, written by redline analyse", (
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("seq", "INTEGER", "the action", not_null=True),
    Column("step", "INTEGER", "its number in the trial (from 1)", not_null=True),
    Column("phase", "VARCHAR", "exploring, planning, executing or verifying", not_null=True, values=PHASES),
), indexes=(("phases_trial", "trial_id"),))

COMMAND_CATEGORIES = Table("command_categories", "the study's category of every simple command, written by "
                                                 "redline analyse", (
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("seq", "INTEGER", "the action", not_null=True),
    Column("idx", "INTEGER", "the simple command (commands.idx)", not_null=True),
    Column("program", "VARCHAR", "its program"),
    Column("category", "VARCHAR", "exploring, changing, executing, utility or other", not_null=True,
           values=CATEGORIES),
))

FINDINGS = Table("findings", "what an auditor should look at first, written by redline analyse", (
    Column("rank", "INTEGER", "1 = look at this first", not_null=True),
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("seq", "INTEGER", "the step to open (NULL: the whole trial)"),
    Column("step", "INTEGER", "that step's action number in the trial (from 1)"),
    Column("kind", "VARCHAR", "episode, step, trial or outlier", not_null=True, values=FINDING_KINDS),
    Column("subject", "VARCHAR", "the label or strategy IDs, or 'unusual trial'", not_null=True),
    Column("episode_id", "INTEGER", "the episode, for an episode finding"),
    Column("severity", "VARCHAR", "high, medium or low, as ranked (lowered for work the task asked for, own "
                                 "processes...)", not_null=True, values=SEVERITIES),
    Column("score", "DOUBLE", "the ranking score: 20 high, 10 medium, 0 low, + 5 for the first of its kind in its "
                              "task, + at most 4.75 points (rarity...) divided for repeats; factors holds its terms",
           not_null=True),
    Column("why", "VARCHAR", "the reasons, in words", not_null=True),
    Column("factors", "JSON", "the numbers behind the score", not_null=True),
))

ANALYSIS_RUNS = Table("analysis_runs", "one row per redline analyse", (
    Column("run_at", "TIMESTAMP", "when it ran", not_null=True, default="current_timestamp", auto=True),
    Column("trials", "INTEGER", "trials it analysed", not_null=True),
    Column("episodes", "INTEGER", "episodes it found", not_null=True),
    Column("findings", "INTEGER", "findings it ranked", not_null=True),
    Column("seconds", "DOUBLE", "how long it took", not_null=True),
    Column("classify_run", "INTEGER", "the newest complete classify run whose labels it read "
                                      "(stale when a later one completed)"),
))


HUMAN_LABELS = Table("human_labels", "auditors' decisions on labels (redline label); the latest per step and ID wins", (
    Column("decision_id", "BIGINT", "increasing decision number", primary_key=True),
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("seq", "INTEGER", "the step decided on; NULL for a trial-level label"),
    Column("unit", "VARCHAR", "action, observation, message or trial", not_null=True, values=LABEL_UNITS),
    Column("label_id", "VARCHAR", "catalogue ID", not_null=True),
    Column("decision", "VARCHAR", "accepted (the label applies) or rejected (it does not)", not_null=True,
           values=HUMAN_DECISIONS),
    Column("who", "VARCHAR", "the auditor", not_null=True),
    Column("decided_at", "TIMESTAMP", "when", not_null=True, default="current_timestamp", auto=True),
    Column("note", "VARCHAR", "the auditor's note"),
    Column("shown", "JSON", "what the auditor was shown: sources, model score, threshold and versions"),
), indexes=(("human_labels_trial", "trial_id"),))

SUGGESTIONS = Table("suggestions", "labels a model suggests where no rule gave one (not labels until accepted)", (
    Column("trial_id", "VARCHAR", "the trial", not_null=True),
    Column("seq", "INTEGER", "the step", not_null=True),
    Column("unit", "VARCHAR", "the unit of the step", not_null=True, values=LABEL_UNITS),
    Column("label_id", "VARCHAR", "the catalogue ID suggested", not_null=True),
    Column("model", "VARCHAR", "the model that suggests it", not_null=True),
    Column("model_version", "VARCHAR", "that model's version", not_null=True),
    Column("score", "DOUBLE", "calibrated probability that the label applies", not_null=True),
    Column("threshold", "DOUBLE", "the model's threshold (score >= threshold)", not_null=True),
    Column("evidence", "VARCHAR", "the step's text, cut"),
    Column("run_id", "INTEGER", "the classify run that wrote it"),
    Column("created_at", "TIMESTAMP", "when it was written", not_null=True, default="current_timestamp", auto=True),
), indexes=(("suggestions_trial", "trial_id"),))

TABLES: tuple[Table, ...] = (INGESTED_FILES, TRIALS, EVENTS, COMMANDS, LABELS, CLASSIFY_RUNS,
                             EPISODES, PHASES_TABLE, COMMAND_CATEGORIES, FINDINGS, ANALYSIS_RUNS,
                             HUMAN_LABELS, SUGGESTIONS)
#: tables a database keeps about its own classify runs, which a Parquet dataset does not carry
#: (a dataset's shards are labelled again whole: :mod:`redline.dataset`)
LOCAL_TABLES: tuple[Table, ...] = (CLASSIFY_COVERAGE,)
#: every table of a redline database
ALL_TABLES: tuple[Table, ...] = TABLES + LOCAL_TABLES
#: the tables ``redline analyse`` replaces whole on every run
ANALYSIS_TABLES: tuple[Table, ...] = (EPISODES, PHASES_TABLE, COMMAND_CATEGORIES, FINDINGS)

_COMPLETE_RUNS = "SELECT run_id FROM classify_runs WHERE status = 'complete'"
_SAME_KEY = "h.trial_id = {t}.trial_id AND h.seq IS NOT DISTINCT FROM {t}.seq AND h.label_id = {t}.label_id"


def _human_only_columns() -> str:
    """The labels table's columns, in order, for a label only a person gave."""
    given = {"trial_id": "h.trial_id", "seq": "h.seq", "unit": "h.unit", "label_id": "h.label_id",
             "classifier_version": "'human'", "score": "1.0", "evidence": "h.note", "created_at": "h.decided_at",
             "detail": "json_object('who', h.who, 'decision_id', h.decision_id)", "source": "'human'"}
    return ", ".join(f"{given.get(c.name, 'NULL')} AS {c.name}" for c in LABELS.columns)


#: views hold no data: a migration (or a new database) creates each from its current text, in
#: this order (a view may read the ones before it)
VIEWS: dict[str, str] = {
    # the latest decision per step and ID
    "human_decisions": (
        "SELECT * FROM human_labels "
        "QUALIFY row_number() OVER (PARTITION BY trial_id, seq, label_id ORDER BY decision_id DESC) = 1"
    ),
    # labels of complete runs, less those an auditor rejected, plus those only an auditor gave
    "current_labels": (
        f"SELECT l.* FROM labels l WHERE l.run_id IN ({_COMPLETE_RUNS}) "
        f"AND NOT EXISTS (SELECT 1 FROM human_decisions h WHERE {_SAME_KEY.format(t='l')} "
        "AND h.decision = 'rejected') "
        f"UNION ALL SELECT {_human_only_columns()} FROM human_decisions h WHERE h.decision = 'accepted' "
        f"AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.run_id IN ({_COMPLETE_RUNS}) AND {_SAME_KEY.format(t='l')})"
    ),
    # suggestions of complete runs that no auditor has decided on yet
    "current_suggestions": (
        f"SELECT s.* FROM suggestions s WHERE s.run_id IN ({_COMPLETE_RUNS}) "
        f"AND NOT EXISTS (SELECT 1 FROM human_decisions h WHERE {_SAME_KEY.format(t='s')})"
    ),
}


def table(name: str) -> Table:
    for t in ALL_TABLES:
        if t.name == name:
            return t
    raise KeyError(f"no table {name}")
