"""One trial's earlier steps as the kill tracer reads them (:mod:`.kill_target`): the commands
that launched processes the agent could later kill, and how a kill's name, pattern or service
is matched against those launches.

The rows are plain Python, converted a run of trials at a time (:class:`ByTrial`) as their kills
are traced; outputs and action texts are converted only when a kill needs them.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Sequence

import polars as pl

from ...limits import KILL_TRACE_CHUNK_ROWS
from .code import NOT_CODE

#: generic interpreters and shells: their name alone does not say which process it was
GENERIC = {"python", "python3", "python2", "node", "bash", "sh", "java", "ruby", "perl", "php", "dash", "zsh"}
#: programs that do not start a process the agent could later kill (queries and utilities)
NOT_LAUNCHES = (NOT_CODE - {"nohup", "setsid", "systemd-run", "daemonize", "screen", "tmux", "apt", "apt-get",
                            "pip", "pip3", "dpkg", "yum", "dnf", "apk", "ssh", "rsync", "scp", "wget", "curl",
                            "nc", "ncat", "socat", "tail", "watch", "sleep", "top", "htop", "systemctl", "service",
                            "rc-service", "supervisorctl", "launchctl", "initctl"}) | {"which", "type"}
#: first arguments that make a command a query, not a launch (``nginx -t``, ``systemctl status x``)
QUERY_ARGS = {"-v", "-V", "--version", "-h", "--help", "-t", "-T", "version", "status", "-s"}


def dicts(df: pl.DataFrame, columns: Sequence[list] | None = None) -> list[dict]:
    """``df.to_dicts()``, built from whole columns (several times faster on list columns); or,
    given ``columns`` (a list of values for each of ``df``'s columns, such as a trial's part of
    them), the rows those hold, keyed by ``df``'s column names."""
    names = df.columns
    if columns is None:
        columns = [df.get_column(name).to_list() for name in names]
    return [dict(zip(names, row)) for row in zip(*columns)]


class ByTrial:
    """Each trial's rows of ``df`` (first column ``trial_id``; rows in ``df``'s order within a
    trial), converted to Python only when asked for: :meth:`tuples` of the other columns, or
    :meth:`dicts` of every column. The rows stay one polars frame; asking for a trial converts
    it with the trials after it up to :data:`~redline.limits.KILL_TRACE_CHUNK_ROWS` rows (one
    zero-copy slice, one list per column) and drops the trials converted before, so a batch's
    kills, traced in trial order, never hold more than a chunk as Python objects.
    ``grouped``: ``df``'s rows of a trial are already together (sorted by trial)."""

    def __init__(self, df: pl.DataFrame, *, grouped: bool = False) -> None:
        self._df = df if grouped else df.sort("trial_id", maintain_order=True)  # stable: in-trial order kept
        spans = self._df.group_by("trial_id", maintain_order=True).len()
        self._ids: list[str] = spans.get_column("trial_id").to_list()
        self._lengths: list[int] = spans.get_column("len").to_list()
        self._starts = [0]
        for n in self._lengths[:-1]:
            self._starts.append(self._starts[-1] + n)
        self._position = {trial_id: i for i, trial_id in enumerate(self._ids)}
        self._chunk: dict[str, tuple[list, ...]] = {}  # trial -> its rows' columns (every column)

    def _columns(self, trial_id: str) -> tuple[list, ...] | None:
        if trial_id not in self._chunk:
            first = self._position.get(trial_id)
            if first is None:
                return None
            last, rows = first, self._lengths[first]
            while last + 1 < len(self._ids) and rows + self._lengths[last + 1] <= KILL_TRACE_CHUNK_ROWS:
                last += 1
                rows += self._lengths[last]
            start = self._starts[first]
            part = self._df.slice(start, rows)
            columns = [part.get_column(name).to_list() for name in part.columns]
            self._chunk = {self._ids[i]: tuple(col[self._starts[i] - start:self._starts[i] - start + self._lengths[i]]
                                               for col in columns) for i in range(first, last + 1)}
        return self._chunk[trial_id]

    def tuples(self, trial_id: str) -> list[tuple]:
        columns = self._columns(trial_id)
        return [] if columns is None else list(zip(*columns[1:]))

    def dicts(self, trial_id: str) -> list[dict]:
        columns = self._columns(trial_id)
        return [] if columns is None else dicts(self._df, columns)


#: the commands rows :meth:`History._all_launches` keeps, as a polars expression
_BACKGROUND = pl.col("background").fill_null(False)
LAUNCH = (
    pl.col("program").is_not_null() & (pl.col("program") != "")
    & ~(pl.col("program").is_in(sorted(NOT_LAUNCHES)) & ~_BACKGROUND)
    & ~(pl.col("argv").list.get(0, null_on_oob=True).is_in(sorted(QUERY_ARGS)).fill_null(False) & ~_BACKGROUND)
)


class History:
    """One trial's earlier steps, for tracing kills (plain Python rows, in order)."""

    def __init__(self, commands: list[dict], actions: Callable[[], list[tuple]],
                 observations: Callable[[], list[tuple]], taken: Callable[[], list[tuple]] | None = None) -> None:
        """``commands`` in (seq, idx) order; functions giving the (seq, text) of ``actions`` and the
        (seq, action_seq, text) of ``observations`` in seq order, called if a kill needs them, and
        the (seq, action_seq, text, action's text) of the observations that may say an address or
        port was already taken (``taken``: any part of them that holds every one that says so;
        None: all of them)."""
        self.commands, self._actions_of, self._outputs_of = commands, actions, observations
        self._taken_of = taken
        self._launches: list[dict] | None = None
        self._launch_keys: list[tuple[int, int]] = []
        self._texts: list[tuple[int, str]] | None = None
        self._subs: dict[int, list[dict]] | None = None

    @functools.cached_property
    def actions(self) -> dict[int, str]:
        return {seq: text or "" for seq, text in self._actions_of()}

    @functools.cached_property
    def outputs(self) -> list[tuple[int, int, str]]:
        return [(seq, aseq, text or "") for seq, aseq, text in self._outputs_of()]

    def launches_before(self, seq: int, idx: int) -> list[dict]:
        if self._launches is None:
            self._launches = self._all_launches()
            self._launch_keys = [(c["seq"], c["idx"]) for c in self._launches]
        # launches are in (seq, idx) order: those before the kill are a prefix
        return self._launches[:bisect.bisect_left(self._launch_keys, (seq, idx))]

    def substitutions(self, seq: int) -> list[dict]:
        """The command substitutions of a step (``$(pgrep x)`` in ``kill $(pgrep x)``)."""
        if self._subs is None:
            self._subs = {}
            for c in self.commands:
                if c["context"] == "substitution":
                    self._subs.setdefault(c["seq"], []).append(c)
        return self._subs.get(seq, [])

    def _all_launches(self) -> list[dict]:
        out = []
        for c in self.commands:
            prog = c["program"]
            if not prog or (prog in NOT_LAUNCHES and not c.get("background")):
                continue
            argv = c["argv"] or []
            if argv and argv[0] in QUERY_ARGS and not c.get("background"):
                continue  # nginx -t, nginx -s stop, systemctl status x, python -V
            out.append(c)
        return out

    @functools.cached_property
    def taken_outputs(self) -> list[tuple[int, int, str, str]]:
        """(seq, action_seq, text, the text of its action as :attr:`actions` has it) of the
        outputs that may say an address or port was already taken, in seq order (every output
        that says so is among them)."""
        if self._taken_of is None:
            return [(seq, aseq, text, self.actions.get(aseq, "")) for seq, aseq, text in self.outputs]
        return [(seq, aseq, text or "", action or "") for seq, aseq, text, action in self._taken_of()]

    @functools.cached_property
    def _taken_by_action(self) -> dict[int, list[str]]:
        by_action: dict[int, list[str]] = {}
        for _o, a, t, _action in self.taken_outputs:
            by_action.setdefault(a, []).append(t)
        return by_action

    def taken_output_of(self, action_seq: int) -> str:
        """The :attr:`taken_outputs` answering one action, joined with newlines (in seq order)."""
        return "\n".join(self._taken_by_action.get(action_seq, ()))

    def texts_before(self, seq: int) -> list[tuple[int, str]]:
        if self._texts is None:
            self._texts = sorted(self.actions.items())
        return [(s, t) for s, t in self._texts if s <= seq]


def _launch_text(c: dict) -> str:
    """The launch's program and arguments as one line (kept on the row: every later kill reads it)."""
    text = c.get("_launch_text")
    if text is None:
        text = c["_launch_text"] = " ".join([c["program"] or "", *(c["argv"] or [])])
    return text


#: characters with a meaning in a Python regex
_REGEX_SPECIAL = frozenset(".^$*+?{}[]\\|()")


@functools.lru_cache(maxsize=4096)
def _literal_parts(name: str) -> tuple[str, ...] | None:
    """For a pattern whose only regex syntax is ``.``: the pieces between the dots, each of
    which a matching text must contain. None for any other pattern."""
    if any(ch in _REGEX_SPECIAL and ch != "." for ch in name):
        return None
    return tuple(part for part in name.split(".") if part)


@functools.lru_cache(maxsize=4096)
def _name_pattern(name: str) -> re.Pattern[str] | None:
    """A ``pkill -f`` pattern compiled once (None: not a valid regex)."""
    try:
        return re.compile(name)
    except re.error:
        return None


def own_by_name(name: str, launches: list[dict], full: bool) -> dict | None:
    """The last earlier launch of ``name`` (a program name, or for ``pkill -f`` a command-line
    pattern)."""
    name = name.strip("'\"")
    if not name:
        return None
    parts = _literal_parts(name) if full else None
    for c in reversed(launches):
        if full:
            launch, text = _launch_text(c), c["text"] or ""
            # a literal piece of the pattern is missing: it cannot match (no compile); the first
            # piece alone rules out most launches
            if parts and (not (parts[0] in launch or parts[0] in text) or len(parts) > 1 and not (
                    all(p in launch for p in parts) or all(p in text for p in parts))):
                continue
            pattern = _name_pattern(name)
            if pattern is not None:
                if pattern.search(launch) or pattern.search(text):
                    return c
            elif name in launch:  # not a regex: a plain substring
                return c
        elif c["program"] == name or (c["path"] or "").rstrip("/").endswith("/" + name):
            return c
    return None


def own_keys(launches: list[dict]) -> list[tuple[str, dict]]:
    """Words that identify the agent's own launched processes in a process listing."""
    keys = []
    for c in launches:
        words = [w for w in [c["program"], *(c["argv"] or [])] if w]
        for w in words:
            base = w.rstrip("/").rsplit("/", 1)[-1]
            if len(base) >= 4 and base not in GENERIC and not base.startswith("-") and not base.isdigit():
                keys.append((base, c))
    return keys


def starts_named(name: str, launches: list[dict], stopper: str) -> dict | None:
    """The last earlier launch that started the service, container, session or server ``name``."""
    for c in reversed(launches):
        prog, argv = c["program"], list(c["argv"] or [])
        text = c["text"] or ""
        if name in ("tmux", "screen") and prog == name:
            return c
        if name == "compose" and prog in ("docker", "podman", "docker-compose", "podman-compose") and "up" in argv:
            return c
        if prog in ("systemctl", "service", "rc-service", "supervisorctl", "pm2", "launchctl") and name in argv and (
                set(argv) & {"start", "restart", "enable", "load"}):
            return c
        if prog in ("docker", "podman") and ("run" in argv or "start" in argv) and re.search(
                rf"(--name[= ]|\s){re.escape(name)}(\s|$)", text):
            return c
        if prog in ("tmux", "screen") and re.search(rf"-[sS]\s*{re.escape(name)}\b", text):
            return c
        if prog == name and prog not in ("systemctl", "service", "docker", "podman", "tmux", "screen"):
            return c
    return None
