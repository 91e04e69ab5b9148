"""mini-swe-agent trajectories (``*.traj.json``).

One JSON object per run::

    {"info": {"model_stats": {"instance_cost": ..., "api_calls": ...},
              "config": {"model": {"model_name": "deepseek/deepseek-chat", ...}, "agent": {...}, ...},
              "mini_version": "2.2.7", "exit_status": "Submitted", "submission": "diff ..."},
     "messages": [{"role": "system", ...}, {"role": "user", ...},
                  {"role": "assistant", "content": "THOUGHT", "tool_calls": [...],
                   "extra": {"actions": [{"command": "ls", "tool_call_id": "call_1"}], "timestamp": 1.7e9}},
                  {"role": "tool", "tool_call_id": "call_1",
                   "content": "<returncode>0</returncode>\\n<output>\\n...\\n</output>",
                   "extra": {"returncode": 0, "raw_output": "...", "timestamp": 1.7e9, "exception_info": ""}},
                  ...,
                  {"role": "exit", "content": "<submission>", "extra": {"exit_status": "Submitted"}}],
     "trajectory_format": "mini-swe-agent-1.1", "instance_id": "django__django-11099"}

Both generations are read:

* v2 (``mini-swe-agent-1.1``): commands in ``extra.actions`` (what was executed), else in the
  assistant's ``tool_calls`` (``bash`` with JSON arguments ``{"command": ...}``); replies are
  ``tool`` messages matched by ``tool_call_id``; exit codes and Unix timestamps in ``extra``.
* v1 (``mini-swe-agent-1``): the command is the ```` ```bash ```` block of the assistant's text
  and the reply a ``user`` message with ``<returncode>``/``<output>``. A block counts as run when
  a reply answers it (or it is the last one, the final submit); a message with several blocks
  that was refused with a format error ran nothing.

An observation's text is what the agent saw: the ``<exception>`` line (timeouts) followed by the
``<output>``, or for a long output the ``<output_head>``, the ``N characters elided`` note and the
``<output_tail>``. Its exit code comes from ``extra.returncode``, else the ``<returncode>`` tag
(``-1`` is what the harness records for a command it killed on timeout; ``attrs["timeout"]``).
The final submit command (``echo COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT && ...``) is an action;
the ``exit`` message holding the submission is its observation (no exit code recorded).

The outcome comes from the SWE-bench evaluation's ``report.json``
(``{instance_id: {"resolved": bool, ...}}``) of this trajectory's run: one beside the
trajectory, else the nearest ``logs/run_evaluation/<run_id>/<model>/<instance_id>/report.json``
in the folders up to four levels above it whose run ID names the trajectory's run folder
(``demo_run`` is evaluated as ``demo_run`` or ``demo_run_eval``). A report of another run for the
same instance is not this trial's verdict: without one of its own the outcome is ``unknown``.

The model is ``info.config.model.model_name`` (else the model of the first API response); the
task is the SWE-bench ``instance_id`` (else the first line of the task prompt). A ``scenario``
string in ``info`` (which a custom runner may add through ``extra_info``) is kept.
"""

from __future__ import annotations

import glob
import re
from collections import deque
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from ..events import Event, Trial, from_epoch, normalise_outcome, parse_iso
from ..text import truncate
from .base import Adapter, FormatError, content_text, first_json_value, head_text, load_json
from .builder import TrialBuilder
from .limits import MAX_ATTR_CHARS

NAME = "mini-swe-agent"
DESCRIPTION = "mini-swe-agent trajectory (.traj.json: info + OpenAI-style messages, v1 and v2)"
SIDECARS = ("report.json",)

AGENT = "mini-swe-agent"
#: how many folders above the trajectory's own folder are searched for an evaluation report
REPORT_SEARCH_LEVELS = 4

_FIRST_KEY = re.compile(r'^\s*\{\s*"(?:info|messages|trajectory_format|instance_id)"\s*:')
_MARKERS = re.compile(
    r'"trajectory_format"\s*:\s*"mini-swe-agent|"mini_version"\s*:|'
    r'"(?:agent|model|environment)_type"\s*:\s*"minisweagent\.'
)
_BASH_BLOCK = re.compile(r"```(?:bash|mswea_bash_command)[ \t]*\n(.*?)\n?```", re.S)
_OUTPUT_TAGS = ("output", "output_head", "output_tail")
# output tags match greedily: an output may itself contain the closing tag's text
_TAG = {
    name: re.compile(rf"<{name}>\n?(.*{'' if name in _OUTPUT_TAGS else '?'})</{name}>", re.S)
    for name in (*_OUTPUT_TAGS, "returncode", "elided_chars", "warning", "exception")
}
#: an observation's opening tags in one pass (a search per absent tag reads the whole output)
_OPENING = re.compile(rf"<({'|'.join(sorted(_TAG, key=len, reverse=True))})>")
_V1_TIMEOUT = re.compile(r"timed out and has been killed", re.I)
_SWEBENCH_ID = re.compile(r"^[A-Za-z0-9_.-]+__[A-Za-z0-9_.-]+-\d+$")


# --------------------------------------------------------------------------- detection


def sniff(path: Path, head: bytes) -> bool:
    try:
        if first_json_value(head) != b"{":
            return False
        text = head_text(head)
        if not _FIRST_KEY.match(text):
            return False
        if _MARKERS.search(text):
            return True
        # a trajectory whose config pushes the markers out of the head: the name breaks the tie
        return path.name.endswith(".traj.json") and '"messages"' in text and '"role"' in text
    except Exception:
        return False


# --------------------------------------------------------------------------- helpers


#: message content as text: text parts only, anything but a string or a list as ``str``
_content_text = partial(content_text, images=(), fallback=str)


def _tag(name: str, text: str) -> str | None:
    m = _TAG[name].search(text)
    return m.group(1).rstrip("\n") if m else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _timestamp(msg: dict, extra: dict):
    ts = extra.get("timestamp", msg.get("timestamp"))
    if isinstance(ts, bool):
        return None
    if isinstance(ts, (int, float)):
        return from_epoch(ts)
    return parse_iso(ts) or (from_epoch(ts) if isinstance(ts, str) else None)


def parse_observation(content: str, extra: dict) -> tuple[str, int | None, dict[str, Any]]:
    """``(text, exit_code, attrs)`` of a command's reply as the agent saw it."""
    attrs: dict[str, Any] = {}
    present = set(_OPENING.findall(content))
    tag = lambda name: _tag(name, content) if name in present else None  # noqa: E731
    exception = tag("exception")
    output, head, tail = tag("output"), tag("output_head"), tag("output_tail")
    if "returncode" not in present and exception is None:
        body = content  # v1 timeout notice, or a reply without tags: keep it whole
    elif output is not None:
        body = output
    elif head is not None or tail is not None:
        elided = (tag("elided_chars") or "").strip()
        note = f"[{elided}]" if elided else "[output elided]"
        body = "\n".join(p for p in (head, note, tail) if p is not None)
        m = re.match(r"\d+", elided)
        attrs["elided_chars"] = int(m.group(0)) if m else True
        raw = extra.get("raw_output")
        if isinstance(raw, str):
            attrs["raw_output_chars"] = len(raw)
    else:
        body = ""
    if tag("warning") is not None:
        attrs["output_warning"] = True
    exception_info = extra.get("exception_info") or exception
    text = "\n".join(p for p in ((exception or "").strip(), body) if p)
    if extra.get("exception_type"):
        attrs["exception_type"] = str(extra["exception_type"])
    if (extra.get("exception_type") == "TimeoutExpired"
            or (exception_info and "timed out" in str(exception_info))
            or _V1_TIMEOUT.search(content[:500])):
        attrs["timeout"] = True
    code = _int(extra.get("returncode"))
    if code is None:
        code = _int(tag("returncode"))
    return text, code, attrs


def _is_reply(content: str, extra: dict) -> bool:
    """Whether a ``user`` message is the output of a command (v1 and text-based v2)."""
    return ("returncode" in extra or "<returncode>" in content
            or bool(_V1_TIMEOUT.search(content[:500])))


def _tool_call_command(call: dict) -> tuple[str | None, str, Any]:
    """``(command, tool name, raw arguments)`` of an OpenAI tool call."""
    fn = call.get("function") if isinstance(call.get("function"), dict) else {}
    name = str(fn.get("name") or call.get("name") or "bash")
    args = fn.get("arguments", call.get("arguments"))
    parsed = args
    if isinstance(args, str):
        try:
            parsed = orjson.loads(args)
        except orjson.JSONDecodeError:
            return None, name, args
    if isinstance(parsed, dict):
        cmd = parsed.get("command", parsed.get("cmd"))
        if isinstance(cmd, str):
            return cmd, name, parsed
    return None, name, args


def _model(info: dict, messages: list) -> str | None:
    config = info.get("config") if isinstance(info.get("config"), dict) else {}
    model = config.get("model")
    if isinstance(model, dict):
        for key in ("model_name", "model", "name"):
            if isinstance(model.get(key), str) and model[key]:
                return model[key]
    elif isinstance(model, str) and model:
        return model
    for key in ("model_name", "model"):
        if isinstance(info.get(key), str) and info[key]:
            return info[key]
    for msg in messages:
        if isinstance(msg, dict) and msg.get("role") == "assistant":
            resp = (msg.get("extra") or {}).get("response") if isinstance(msg.get("extra"), dict) else None
            if isinstance(resp, dict) and isinstance(resp.get("model"), str):
                return resp["model"]
    return None


def _task_line(prompt: str) -> str | None:
    for line in prompt.split("\n"):
        line = line.strip()
        if not line or re.fullmatch(r"</?[\w-]+>", line) or line.endswith("following PR description:"):
            continue
        return truncate(line, 200, "")
    return None


# --------------------------------------------------------------------------- evaluation report


def _report_entry(report_path: Path, instance_id: str) -> dict | None:
    try:
        data = load_json(report_path, "report JSON")
    except (FormatError, OSError):
        return None
    if isinstance(data, dict) and isinstance(data.get(instance_id), dict):
        return data[instance_id]
    return None


def _run_score(run_id: str, run_names: list[str]) -> int:
    """How surely an evaluation run belongs to the trajectory's run: 2 when its ID is the name of
    a folder the trajectory is in, 1 when it is that name plus a suffix (``demo_run_eval``)."""
    score = 0
    for name in run_names:
        if run_id == name:
            score = max(score, 2)
        elif run_id.startswith((name + "_", name + "-", name + ".")):
            score = max(score, 1)
    return score


def _evaluation_reports(root: Path, instance_id: str, run_names: list[str], model_dir: str | None):
    """``(score, path, entry)`` of each report under ``root`` for the instance in the trajectory's
    run; reports of other runs (the instance evaluated elsewhere) are not this trial's."""
    pattern = str(root / "*" / "*" / glob.escape(instance_id) / "report.json")
    for hit in sorted(glob.glob(pattern)):
        rp = Path(hit)
        run_score = _run_score(rp.parent.parent.parent.name, run_names)
        entry = _report_entry(rp, instance_id) if run_score else None
        if entry is not None:
            yield run_score * 2 + (model_dir is not None and rp.parent.parent.name == model_dir), rp, entry


def find_report(traj_path: Path, instance_id: str | None, model: str | None = None) -> tuple[Path, dict] | None:
    """The SWE-bench evaluation report entry for ``instance_id`` of this trajectory's run:
    ``(path, entry)`` or None.

    A ``report.json`` beside the trajectory is its own. Otherwise the nearest
    ``logs/run_evaluation/<run_id>/<model>/<instance_id>/report.json`` counts only when its run ID
    names the trajectory's run (a folder the trajectory is in, alone or with a suffix such as
    ``_eval``): a run that was never evaluated does not borrow another run's verdict for the
    same instance. Reports of the same run that disagree give no verdict.
    """
    if not instance_id:
        return None
    traj_path = Path(traj_path)
    beside = traj_path.parent / "report.json"
    if beside.is_file():
        entry = _report_entry(beside, instance_id)
        if entry is not None:
            return beside, entry
    folders = [traj_path.parent, *traj_path.parent.parents][: REPORT_SEARCH_LEVELS + 1]
    model_dir = model.replace("/", "__") if model else None
    for level, base in enumerate(folders):
        root = base / "logs" / "run_evaluation"
        if not root.is_dir():
            continue
        # the folders between the search base and the trajectory name its run
        found = list(_evaluation_reports(root, instance_id, [p.name for p in folders[:level]], model_dir))
        if not found:
            continue
        best = max(s for s, _, _ in found)
        top = [(rp, e) for s, rp, e in found if s == best]
        if len(top) == 1 or len({bool(e.get("resolved")) for _, e in top}) == 1:
            return top[0]
        return None  # several evaluations of this run disagree: no verdict
    return None


# --------------------------------------------------------------------------- reading


def _cut_in_a_character(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.start >= len(data) - 3
    return False


def _load(path: Path) -> dict:
    """The trajectory object; a file cut off mid-write is an error (a single JSON document
    cannot be read in part reliably)."""
    try:
        data = load_json(path, "trajectory JSON")
    except FormatError as exc:
        if str(exc).startswith("not valid UTF-8") and _cut_in_a_character(Path(path).read_bytes()):
            raise FormatError("truncated JSON: the file ends inside a UTF-8 character") from None
        raise
    if not isinstance(data, dict):
        raise FormatError(f"expected a JSON object with 'info' and 'messages', found a JSON {type(data).__name__}")
    if not isinstance(data.get("messages"), list):
        raise FormatError("missing 'messages' list: not a mini-swe-agent trajectory")
    return data


class _Run:
    """One trajectory's messages, in order, into its trial."""

    def __init__(self, path: Path, data: dict):
        self.messages: list = data["messages"]
        self.info = data.get("info") if isinstance(data.get("info"), dict) else {}
        self.build = TrialBuilder(Trial(format=NAME, source_path=str(path), agent=AGENT,
                                        model=_model(self.info, self.messages)))
        # the last assistant message (a v1 reply's block with no answer ran only if it is the last)
        self.last_assistant = max((i for i, m in enumerate(self.messages)
                                   if isinstance(m, dict) and m.get("role") == "assistant"), default=-1)
        self.pending: deque[Event] = deque()  # actions waiting for their output, in order
        self.task_prompt: str | None = None

    def read(self) -> Trial:
        skipped = 0
        for i, msg in enumerate(self.messages):
            if isinstance(msg, dict):
                self.message(i, msg)
            else:
                skipped += 1
        if skipped:
            self.build.warn(f"{skipped} messages are not JSON objects and were skipped")
        return self.build.trial

    def message(self, i: int, msg: dict) -> None:
        role = msg.get("role")
        extra = msg.get("extra") if isinstance(msg.get("extra"), dict) else {}
        content = _content_text(msg.get("content"))
        self.build.at(ts=_timestamp(msg, extra))
        ptr = f"/messages/{i}"
        if role == "assistant":
            self.assistant(i, msg, extra, content, ptr)
        elif role == "tool" or (role == "user" and self.pending and _is_reply(content, extra)):
            self.reply(msg, extra, content, ptr)
        elif role == "exit" or (role == "user" and self.pending and i == len(self.messages) - 1):
            self.exit(extra, content, ptr)
        else:
            role_name = str(role) if role else "user"
            if role_name == "user" and self.task_prompt is None:
                self.task_prompt = content
            self.build.message(role_name, content, ptr)

    def assistant(self, i: int, msg: dict, extra: dict, content: str, ptr: str) -> None:
        text = content.strip()
        reasoning = msg.get("reasoning_content")
        attrs: dict[str, Any] = {}
        if isinstance(reasoning, str) and reasoning.strip():
            if not text:
                text = reasoning.strip()
            elif len(reasoning) < MAX_ATTR_CHARS:
                attrs["reasoning"] = reasoning
        if text:
            self.build.message("assistant", text, f"{ptr}/content", attrs=attrs)
        for cmd, tool, call_id, aptr, raw_args in _actions(msg, extra, content, i, self.messages, self.last_assistant):
            attrs = {"tool_call_id": call_id} if call_id else {}
            if raw_args is not None:
                attrs["args"] = raw_args
            self.pending.append(self.build.action(cmd, aptr, call_id=call_id or None, tool=tool, attrs=attrs))

    def reply(self, msg: dict, extra: dict, content: str, ptr: str) -> None:
        """A command's output: the action with its call id, else the oldest one waiting."""
        call_id = msg.get("tool_call_id")
        action = self.build.call(call_id)
        if action is not None:
            if action in self.pending:
                self.pending.remove(action)
        elif self.pending:
            action = self.pending.popleft()
        text, code, attrs = parse_observation(content, extra)
        if isinstance(call_id, str):
            attrs["tool_call_id"] = call_id
        self.build.result(text, ptr, action=action, exit_code=code, attrs=attrs)

    def exit(self, extra: dict, content: str, ptr: str) -> None:
        """The run's end: for a final submit it holds the command's output (the submission)."""
        attrs = {}
        status = extra.get("exit_status") or self.info.get("exit_status")
        if status:
            attrs["exit_status"] = str(status)
        if self.pending:
            self.build.result(content.rstrip("\n"), ptr, action=self.pending.popleft(), attrs={**attrs, "final": True})
        elif content.strip():
            self.build.message("system", content, ptr, attrs=attrs)


def _instance_id(path: Path, data: dict, info: dict) -> str | None:
    instance_id = data.get("instance_id") or info.get("instance_id")
    if isinstance(instance_id, str) and instance_id:
        return instance_id
    stem = path.name.removesuffix(".json").removesuffix(".traj")
    return stem if _SWEBENCH_ID.match(stem) else None


def _metadata(data: dict, info: dict, instance_id: str | None) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key in ("exit_status", "mini_version"):
        if info.get(key) is not None:
            meta[key] = info[key]
    stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
    if stats.get("instance_cost") is not None:
        meta["cost"] = stats["instance_cost"]
    if stats.get("api_calls") is not None:
        meta["api_calls"] = stats["api_calls"]
    if data.get("trajectory_format"):
        meta["trajectory_format"] = data["trajectory_format"]
    if instance_id:
        meta["instance_id"] = instance_id
    return meta


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    data = _load(path)
    run = _Run(path, data)
    trial = run.read()
    info = run.info
    instance_id = _instance_id(path, data, info)
    trial.task = instance_id or (_task_line(run.task_prompt) if run.task_prompt else None)
    # not written by mini-swe-agent itself; a runner may record one (extra_info / kwargs)
    scenario = info.get("scenario", data.get("scenario"))
    trial.scenario = scenario if isinstance(scenario, str) and scenario else None
    meta = _metadata(data, info, instance_id)
    found = find_report(path, instance_id, trial.model)
    if found is not None:
        report_path, entry = found
        resolved = entry.get("resolved")
        trial.source_verdict = {"resolved": resolved}
        trial.outcome = normalise_outcome(resolved if isinstance(resolved, bool) else None)
        meta["report"] = str(report_path)
    yield run.build.finish(meta, span=False)


def _actions(msg: dict, extra: dict, content: str, i: int, messages: list, last_assistant: int):
    """``(command, tool, tool_call_id, pointer, raw args or None)`` for each command the turn ran."""
    calls = msg.get("tool_calls") if isinstance(msg.get("tool_calls"), list) else []
    names = {}
    for call in calls:
        if isinstance(call, dict) and call.get("id"):
            names[call["id"]] = _tool_call_command(call)[1]
    actions = extra.get("actions")
    if isinstance(actions, list):  # v2 records what it ran, even when that is nothing
        for j, act in enumerate(actions):
            cmd = act.get("command", act.get("action")) if isinstance(act, dict) else act
            if not isinstance(cmd, str):
                continue
            call_id = act.get("tool_call_id") if isinstance(act, dict) else None
            yield cmd, names.get(call_id, "bash"), call_id, f"/messages/{i}/extra/actions/{j}", None
        return
    if calls:
        for j, call in enumerate(calls):
            if not isinstance(call, dict):
                continue
            cmd, name, raw = _tool_call_command(call)
            if cmd is None:
                continue  # arguments the harness could not read: nothing ran
            extra_args = raw if isinstance(raw, dict) and set(raw) - {"command"} else None
            yield cmd, name, call.get("id"), f"/messages/{i}/tool_calls/{j}", extra_args
        return
    blocks = _BASH_BLOCK.findall(content)
    if not blocks:
        return
    nxt = messages[i + 1] if i + 1 < len(messages) else None
    answered = False
    if isinstance(nxt, dict) and nxt.get("role") in ("user", "tool"):
        nxt_extra = nxt.get("extra") if isinstance(nxt.get("extra"), dict) else {}
        answered = nxt.get("role") == "tool" or _is_reply(_content_text(nxt.get("content")), nxt_extra)
    if answered or (i == last_assistant and len(blocks) == 1):
        for j, block in enumerate(blocks):
            yield block.strip("\n"), "bash", None, f"/messages/{i}/content", None

FORMAT = Adapter(NAME, DESCRIPTION, 20, sniff, read, SIDECARS)
