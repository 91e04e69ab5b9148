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
* v2 with a Responses API model (``litellm_response``, ``openrouter_response``...): the
  assistant's turn is the stored ``response`` object (``output`` items: ``message``,
  ``reasoning``, ``function_call``) and each reply a ``function_call_output`` item; both are read
  as the chat messages they stand for (:func:`~.mini_swe_agent_messages.as_chat`).
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

The outcome comes from the SWE-bench evaluation's ``report.json`` of this trajectory's run
(:mod:`.swebench_report`): one beside the trajectory, else the nearest
``logs/run_evaluation/<run_id>/<model>/<instance_id>/report.json`` in the folders up to four
levels above it whose run ID names the trajectory's run folder (``demo_run`` is evaluated as
``demo_run`` or ``demo_run_eval``). A report of another run for the same instance is not this
trial's verdict: without one of its own the outcome is ``unknown``.

The model is ``info.config.model.model_name`` (else the model of the first API response); the
task is the SWE-bench ``instance_id`` (else the first line of the task prompt). A ``scenario``
string in ``info`` (which a custom runner may add through ``extra_info``) is kept.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..events import Event, Trial, normalise_outcome
from ..text import truncate
from .base import Adapter, FormatError, first_json_value, head_text, load_json
from .builder import TrialBuilder
from .limits import MAX_ATTR_CHARS
from .mini_swe_agent_messages import actions, as_chat, is_reply, message_text, parse_observation, timestamp
from .swebench_report import find_report

NAME = "mini-swe-agent"
DESCRIPTION = "mini-swe-agent trajectory (.traj.json: info + OpenAI-style messages, v1 and v2)"
SIDECARS = ("report.json",)

AGENT = "mini-swe-agent"

_FIRST_KEY = re.compile(r'^\s*\{\s*"(?:info|messages|trajectory_format|instance_id)"\s*:')
_MARKERS = re.compile(
    r'"trajectory_format"\s*:\s*"mini-swe-agent|"mini_version"\s*:|'
    r'"(?:agent|model|environment)_type"\s*:\s*"minisweagent\.'
)
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
        self.messages: list = [as_chat(m) for m in data["messages"]]
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
        extra = msg.get("extra")
        if not isinstance(extra, dict):
            extra = {}
        content = msg.get("content")
        if content.__class__ is not str:
            content = message_text(content)
        self.build.at(ts=timestamp(msg, extra))
        ptr = f"/messages/{i}"
        if role == "assistant":
            self.assistant(i, msg, extra, content, ptr)
        elif role == "tool" or (role == "user" and self.pending and is_reply(content, extra)):
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
        for cmd, tool, call_id, aptr, raw_args in actions(msg, extra, content, i, self.messages, self.last_assistant):
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


FORMAT = Adapter(NAME, DESCRIPTION, 20, sniff, read, SIDECARS)
