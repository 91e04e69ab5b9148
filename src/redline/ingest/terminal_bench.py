"""Terminal-Bench trials: an asciinema recording of the agent's terminal plus the trial folder.

A Terminal-Bench trial is a folder::

    <run_id>/run_metadata.json               model, agent name, dataset (one or two levels up)
    <run_id>/<task>/<trial>/results.json      task_id, is_resolved, failure_mode, timestamps
    <run_id>/<task>/<trial>/sessions/agent.cast   asciinema v2 recording of the agent's pane

The unit of ingestion is the ``.cast`` file; the JSON files beside it are read as metadata.
``sessions/tests.cast`` records the harness's test run, not the agent: it is skipped.

Recovering steps from a terminal stream
---------------------------------------
The cast is read by :mod:`.asciicast` and its ``"o"`` records are replayed through the
line-oriented terminal model of :mod:`.terminal`, so every rendered row is what a reader finally
saw and remembers the cast line and time of the record that wrote it.

The agent in these recordings is mini-swe-agent (1.x, and 2.x with tool calls or text-based
actions); its messages, commands and observations are recovered from the rendered rows by
:mod:`.mini_swe_agent_console`. Everything printed before
the agent starts (asciinema, ``clear``, the harness installing the agent, the launch command)
is harness set-up; its keystrokes are kept in ``metadata["harness_commands"]``.

An agent the harness installed (``source /installed-agent/install-agent.sh``) runs its commands
itself: every line typed into its pane is the harness's, the launch line (``mini -m MODEL -t
'TASK' ...``) included, so when its output holds no steps this reader knows (mini-swe-agent
crashed before its first step, or another installed agent) the trial has no steps and says so.
Recordings of agents that drive the pane themselves (no installed agent, no mini-swe-agent
markers) fall back to the keystrokes sent into the pane (``"i"`` records): each line typed after the harness set-up is an action and the
output up to the next one its observation. Keys typed into an editor the agent started
(``vim``, ``nano``, ``emacs``) are not commands: they belong to the editor's action, which is
an ``edit_file`` action when they saved the file (:mod:`.editor_keys`). A full-screen program
(``tmux attach``, an editor) draws on a page of its own in the terminal model, so what it shows
never overwrites the earlier steps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..events import Event, Trial, from_epoch, normalise_outcome, parse_iso
from ..text import truncate
from . import editor_keys
from . import mini_swe_agent_console as mini
from .asciicast import Cast, looks_like_cast, pointer, read_cast
from .base import Adapter, FormatError, NotATranscript, load_json
from .rich_output import trim
from .limits import MAX_HARNESS_CHARS, MAX_ROW_CHARS, MAX_TERMINAL_CELLS, MAX_TERMINAL_ROWS
from .terminal import SHELL_PROMPT_RE, Row, Terminal, Typed, rows_text, typed_lines

NAME = "terminal-bench"
DESCRIPTION = ("Terminal-Bench trial recordings (asciinema v2 sessions/agent.cast beside results.json; "
               "the mini-swe-agent 1.x and 2.x consoles, or the keystrokes)")
#: files of a Terminal-Bench trial folder that are not transcripts (read as metadata or
#: duplicates of the cast: agent.log is the same stream as raw text)
SIDECARS = (
    "results.json", "run_metadata.json", "commands.txt", "pre-agent.txt", "post-agent.txt",
    "post-test.txt", "agent.log", "tests.log", "run.log", "tb.lock",
)

#: the harness's recording of its own test run
TESTS_CAST = "tests.cast"
#: keystrokes the Terminal-Bench harness itself sends before the agent's own
_HARNESS_INPUT_RE = re.compile(
    r"^(?:clear|asciinema rec\b.*|source /installed-agent/.*|bash\s+/tests/run-tests\.sh.*|exit)$"
)
#: the harness installing an agent that then runs by itself (mini-swe-agent, Claude Code, Codex...)
_INSTALLED_AGENT_RE = re.compile(r"^source /installed-agent/install-agent\.sh\b")
#: what the harness appends to each command it types, to wait for it
_WAIT_SUFFIX_RE = re.compile(r";\s*tmux wait -S done\s*$")



def sniff(path: Path, head: bytes) -> bool:
    """An asciinema v2 (or v3) header line followed by event arrays."""
    return looks_like_cast(head)


# --------------------------------------------------------------------------- read


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    if path.name == TESTS_CAST:
        raise NotATranscript("the harness's recording of its test run (tests.cast), not agent steps")
    cast = read_cast(path)
    header = cast.header
    width = int(header["width"])
    rows = _render(cast)

    results, run_meta, meta_warnings = _load_meta(path)
    base_ts = header.get("timestamp")
    base = float(base_ts) if isinstance(base_ts, (int, float)) and not isinstance(base_ts, bool) else None

    def when(offset: float | None):
        if base is None or offset is None:
            return None
        return from_epoch(base + offset)

    trial = Trial(format=NAME, source_path=str(path))
    warnings = list(cast.warnings) + meta_warnings
    metadata: dict[str, Any] = {}
    harness = [truncate(_WAIT_SUFFIX_RE.sub("", x.text).strip(), MAX_HARNESS_CHARS, "")
               for x in typed_lines(cast.inputs)]

    found = mini.find_sections(rows)
    if found is not None:
        _mini_swe_agent_steps(trial, rows, found, width, when, metadata)
        if harness:
            metadata["harness_commands"] = harness
    elif any(_INSTALLED_AGENT_RE.match(h) for h in harness):
        # an agent the harness installed and launched: it runs its commands itself, so every line
        # typed into the pane is the harness's (the launch line included), never an agent step
        warnings.append("no agent steps recognised in the terminal stream (the installed agent's own "
                        "output holds none that this reader knows)")
        metadata["harness_commands"] = harness
    else:
        n = _keystroke_events(trial, cast, rows, when)
        if n == 0:
            warnings.append("no agent steps recognised in the terminal stream")
        harness = [h for h in harness if _HARNESS_INPUT_RE.match(h)]
        if harness:
            metadata["harness_commands"] = harness

    _apply_trial_folder(trial, path, cast, results, run_meta, metadata, warnings)
    if trial.started_at is None and base is not None:
        trial.started_at = from_epoch(base)
    if trial.ended_at is None and base is not None and (cast.outputs or cast.inputs or cast.exit_time is not None):
        times = [t for _, t, _ in cast.outputs + cast.inputs] + [t for t in (cast.exit_time,) if t is not None]
        trial.ended_at = from_epoch(base + max(times))
    metadata["cast"] = {"version": header["version"], "width": width, "height": int(header["height"]),
                        "records": cast.n_lines - 1}
    if cast.exit_status is not None:
        metadata["cast"]["exit_status"] = cast.exit_status
    if warnings:
        metadata["warnings"] = warnings
    trial.metadata = metadata
    yield trial


def _render(cast: Cast) -> list[Row]:
    """The cast's output replayed through the terminal model (over-long rows are warned of)."""
    term = Terminal(int(cast.header["height"]), int(cast.header["width"]))
    for line, t, data in cast.outputs:
        term.feed(data, line, t)
        if term.full:
            cast.warnings.append(f"terminal output from cast line {line} on was not rendered: the recording "
                                 f"passes {MAX_TERMINAL_CELLS} characters or {MAX_TERMINAL_ROWS} lines")
            break
    rows = term.finish()
    if term.cut_rows:
        cast.warnings.append(f"{len(term.cut_rows)} terminal lines longer than {MAX_ROW_CHARS} characters were cut")
    return rows


def _mini_swe_agent_steps(trial: Trial, rows: list[Row], found: tuple[int, list[mini.Section], int],
                          width: int, when, metadata: dict[str, Any]) -> None:
    """The events of mini-swe-agent's run and what the trial metadata says about it."""
    start, sections, end = found
    facts = mini.add_events(trial, sections, width, when)
    trial.agent = "mini-swe-agent"
    banner = mini.agent_version(rows, start)
    if banner:
        metadata["agent_version"] = banner
    metadata["steps"] = facts["steps"]
    if facts.get("cost") is not None:
        metadata["cost"] = float(facts["cost"])
    if facts["format_errors"]:
        metadata["format_errors"] = facts["format_errors"]
    if facts.get("submitted"):
        metadata["exit_status"] = "Submitted"
    elif facts.get("exit_status"):
        metadata["exit_status"] = facts["exit_status"]  # 2.x says why it stopped
    elif end == len(rows):
        metadata["exit_status"] = "still running when the recording ended"
    else:
        metadata["exit_status"] = "exited without submitting"
    metadata["setup_rows"] = start
    if facts.get("task"):
        trial.task = _short(re.sub(r"^Please solve this issue:\s*", "", facts["task"]))


def _short(text: Any, limit: int = 200) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    first = text.strip().splitlines()[0].strip()
    return first if len(first) <= limit else first[: limit - 3] + "..."


# --------------------------------------------------------------------------- keystroke fallback


def _keystroke_events(trial: Trial, cast: Cast, rows: list[Row], when) -> int:
    """Actions from the lines typed into the pane (agents that drive tmux directly). Keys typed
    into an editor belong to the editor's action (:mod:`.editor_keys`), whose tool is
    ``edit_file`` when they saved the file."""
    found = [x for x in editor_keys.steps(typed_lines(cast.inputs), _command, _waited_on)
             if not _HARNESS_INPUT_RE.match(_step_command(x))]
    for k, step in enumerate(found):
        start = _step_start(step)
        tool, attrs = "keystrokes", {}
        if isinstance(step, editor_keys.Session):
            tool, attrs = ("edit_file" if step.saved else "keystrokes"), step.attrs()
        action = trial.add(Event(
            kind="action", role="assistant", text=_step_command(step), tool=tool, timestamp=when(start.time),
            source_line=start.line, source_pointer=pointer(start.line, start.time), attrs=attrs,
        ))
        out = _output_rows(rows, start, _step_start(found[k + 1]).line if k + 1 < len(found) else None)
        if out:
            trial.add(Event(
                kind="observation", role="tool", text=rows_text(out), action_seq=action.seq,
                timestamp=when(out[0].time), source_line=out[0].line,
                source_pointer=pointer(out[0].line, out[0].time),
            ))
    return len(found)


def _command(entry: Typed) -> str:
    """The command a typed line runs (without the harness's wait suffix)."""
    return _WAIT_SUFFIX_RE.sub("", entry.text).strip()


def _waited_on(entry: Typed) -> bool:
    """The harness waits on the line: it went to the shell, whatever was open before."""
    return bool(_WAIT_SUFFIX_RE.search(entry.text))


def _step_start(step: Typed | editor_keys.Session) -> Typed:
    return step.start if isinstance(step, editor_keys.Session) else step


def _step_command(step: Typed | editor_keys.Session) -> str:
    return step.command if isinstance(step, editor_keys.Session) else _command(step)


def _output_rows(rows: list[Row], start: Typed, until: int | None) -> list[Row]:
    """The rows a typed step printed: written after it and before the next step, without shell
    prompts and the shell's echo of what was typed."""
    out = [r for r in rows if r.line is not None and r.line > start.line and (until is None or r.line < until)]
    out = [r for r in trim(out) if not SHELL_PROMPT_RE.match(r.text)]
    if out and "\n" not in start.text and out[0].text.rstrip().endswith(start.text.strip()):
        out = trim(out[1:])
    return out


# --------------------------------------------------------------------------- trial folder


def _load_meta(path: Path) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """results.json of the trial and run_metadata.json of its run (one or two levels up)."""
    warnings: list[str] = []
    trial_dir = _trial_dir(path)
    results: dict[str, Any] = {}
    run_meta: dict[str, Any] = {}
    res_path = trial_dir / "results.json"
    if res_path.is_file():
        results = _json_object(res_path, warnings)
    for folder in (trial_dir, trial_dir.parent, trial_dir.parent.parent):
        cand = folder / "run_metadata.json"
        if cand.is_file():
            run_meta = _json_object(cand, warnings)
            break
    return results, run_meta, warnings


def _trial_dir(path: Path) -> Path:
    return path.parent.parent if path.parent.name == "sessions" else path.parent


def _json_object(path: Path, warnings: list[str]) -> dict[str, Any]:
    try:
        value = load_json(path, path.name)
    except (FormatError, OSError) as exc:
        warnings.append(f"{path.name} beside the cast not read: {exc}")
        return {}
    if not isinstance(value, dict):
        warnings.append(f"{path.name} beside the cast is not a JSON object")
        return {}
    return value


def _apply_trial_folder(trial: Trial, path: Path, cast: Cast, results: dict[str, Any], run_meta: dict[str, Any],
                        metadata: dict[str, Any], warnings: list[str]) -> None:
    """Model, agent, task, outcome and timestamps from results.json and run_metadata.json."""
    trial.model = run_meta.get("model_name") or _launch_info(cast.inputs).get("model")
    trial.agent = run_meta.get("agent_name") or trial.agent
    trial.task = results.get("task_id") or trial.task or _task_from_folder(path)
    if run_meta.get("dataset_name"):
        version = run_meta.get("dataset_version")
        trial.scenario = f"{run_meta['dataset_name']}@{version}" if version else run_meta["dataset_name"]
    if results:
        trial.source_verdict = {"is_resolved": results.get("is_resolved"), "failure_mode": results.get("failure_mode")}
        trial.outcome = normalise_outcome(results.get("is_resolved"))
        trial.started_at = parse_iso(results.get("trial_started_at"))
        trial.ended_at = parse_iso(results.get("trial_ended_at"))
        for key in ("trial_name", "agent_started_at", "agent_ended_at", "test_started_at", "test_ended_at"):
            if results.get(key):
                metadata[key] = results[key]
        if isinstance(results.get("parser_results"), dict) and len(results["parser_results"]) <= 200:
            metadata["parser_results"] = results["parser_results"]
        for key in ("total_input_tokens", "total_output_tokens"):
            if isinstance(results.get(key), int):
                metadata[key] = results[key]
    else:
        warnings.append("no results.json in the trial folder: outcome unknown")
    if run_meta.get("run_id"):
        metadata["run_id"] = run_meta["run_id"]


def _launch_info(inputs: list[tuple[int, float, str]]) -> dict[str, str]:
    typed = "".join(d for _, _, d in inputs)
    info: dict[str, str] = {}
    m = re.search(r"(?:^|[\r\n;&|]\s*)mini\s+(?:[^\r\n]*?\s)?-m\s+(\S+)", typed)
    if m:
        info["model"] = m.group(1).strip("'\"")
    return info


def _task_from_folder(path: Path) -> str | None:
    """``<task>.<n>-of-<m>.<run_id>`` trial folders name their task."""
    name = _trial_dir(path).name
    m = re.match(r"^(.+?)\.\d+-of-\d+\.", name)
    return m.group(1) if m else None

FORMAT = Adapter(NAME, DESCRIPTION, 30, sniff, read, SIDECARS)
