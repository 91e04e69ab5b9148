"""SWE-agent trajectories (``.traj``): one JSON object per run.

Shape (SWE-agent 0.x and 1.x)::

    {"environment": "swe_main", "trajectory": [{"action", "observation", "thought",
     "response", "state", "execution_time"?}, ...], "history": [{"role", "content", ...}],
     "info": {"exit_status", "submission", "model_stats", ...}, "replay_config": {...}?}

Events, per trajectory step: the step's ``thought`` (else its ``response``) becomes an assistant
message, the ``action`` string (verbatim, multi-line ``edit ... end_of_edit`` bodies included)
an action, and the ``observation`` an observation linked to it. Scaffold commands (``open``,
``edit``, ``find_file``, ``submit``, ``str_replace_editor``, ``decompile``...) are actions like
shell commands; ``tool`` names the scaffold command, or ``bash`` for anything else. Steps whose
action is one of SWE-agent's own forced exits (``exit_cost``, ``exit_context``...) were written
by the harness, not the agent: they become a system message.

The system prompt, demonstrations (``is_demo``) and the task prompt are the ``history``
entries before the first assistant turn; they become system/user messages. The rest of
``history`` repeats the trajectory (and can differ from it: requeried or edited turns), so
the trajectory is the authority. Files with no (or an empty) ``trajectory`` but a ``history``
(demonstration files such as ``function_calling_simple.traj``) are read from ``history``.

Model: ``replay_config.agent.model.name`` (or ``args.model.model_name`` in old runs) when
present, else the leading part of the parent folder name, which SWE-agent writes as
``<model>__<dataset>__<config>__t-...`` (``gpt4__swe-bench-dev__default__t-0.00...`` gives
``gpt4``; ``replay__...`` and ``human_thought__...`` are SWE-agent's replay / human models).
SWE-agent 1.x writes ``<run>/<instance_id>/<instance_id>.traj`` with the run folder named
``<config>__<model>__t-...__p-...__c-...___<instances>``: there the model is read from the run
folder, never from the instance folder. ``metadata["model_source"]`` says which rule applied.
Exit codes are not recorded by SWE-agent (only kept if a step carries one). Outcome is the
evaluation verdict (``resolved``) that ``info`` carries, else the SWE-bench harness's
``report.json`` of this run (:mod:`.swebench_report`, as for mini-swe-agent), else
``unknown``; ``info.exit_status`` is kept in metadata.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from ..events import Event, Trial, normalise_outcome
from ..text import truncate
from .base import Adapter, FormatError, content_text, first_int, first_json_value, head_text, load_json
from .swebench_report import find_report

NAME = "swe-agent"
DESCRIPTION = "SWE-agent trajectories (.traj JSON: trajectory of action/observation/thought steps)"

#: SWE-agent's own commands (tools bundles, CTF tools); anything else runs as a shell command
SCAFFOLD_COMMANDS = frozenset({
    "open", "goto", "scroll_up", "scroll_down", "create", "edit", "insert", "append",
    "find_file", "search_dir", "search_file", "submit", "str_replace_editor", "filemap",
    "set_cursors", "view_image", "review_on_submit", "review_on_submit_m",
    "decompile", "disassemble", "debug_start", "debug_add_breakpoint", "debug_continue",
    "debug_step", "debug_exec", "debug_stop", "connect_start", "connect_sendline",
    "connect_exec", "connect_stop", "exit_forfeit",
})
#: forced exits SWE-agent records as the step's action; the agent did not type these
HARNESS_EXITS = frozenset({
    "exit_cost", "exit_context", "exit_api", "exit_format", "exit_error", "exit_command_timeout",
    "exit_total_execution_time", "exit_environment_error",
})

_TRAJ_KEY = re.compile(r'"trajectory"\s*:\s*\[')
_HISTORY_KEY = re.compile(r'"history"\s*:\s*\[')
_OPENHANDS_SOURCE = re.compile(r'"source"\s*:\s*"(?:agent|user|environment)"')
_FOLDER_MODEL = re.compile(r"^([A-Za-z0-9](?:[A-Za-z0-9.:+@-]|_(?!_))*)__[^_].*")
#: a 1.x run folder: ``<config>__<model>__t-<temperature>__p-<top_p>__c-<cost limit>___<instances>``
_RUN_FOLDER_V1 = re.compile(r"^[^_][^/]*?__(.+?)__t-[\d.]+__p-[\d.]+__c-[\d.]+___.")


def sniff(path: Path, head: bytes) -> bool:
    if first_json_value(head) != b"{":
        return False
    text = head_text(head)
    if _OPENHANDS_SOURCE.search(text):
        return False  # OpenHands event records, not SWE-agent steps
    if _TRAJ_KEY.search(text):
        if '"action"' in text and ('"observation"' in text or '"thought"' in text):
            return True
        return '"environment"' in text and '"info"' in text
    if _HISTORY_KEY.search(text):
        # history-only files (demonstrations): SWE-agent's message records carry these keys
        return '"message_type"' in text or bool(re.search(r'"agent"\s*:\s*"(?:primary|main)"', text))
    return False


def read(path: Path) -> Iterator[Trial]:
    data = load_json(path)
    if not isinstance(data, dict):
        raise FormatError(f"expected a JSON object with a 'trajectory' list, got a JSON {_kind(data)}")
    traj = data.get("trajectory")
    history = data.get("history")
    if traj is not None and not isinstance(traj, list):
        raise FormatError(f"'trajectory' must be a list, not a JSON {_kind(traj)}")
    if history is not None and not isinstance(history, list):
        history = None
    use_history = not traj and history and any(
        isinstance(m, dict) and m.get("role") == "assistant" for m in history
    )
    if not traj and not use_history:
        if traj is None:
            raise FormatError("missing 'trajectory' list (and no 'history' with assistant turns)")
        raise FormatError("empty 'trajectory' (and no 'history' with assistant turns)")

    info = data.get("info") if isinstance(data.get("info"), dict) else {}
    replay = _replay_config(data.get("replay_config"))
    model, model_source = _model(data, replay, info, Path(path))
    trial = Trial(
        format=NAME, source_path=str(path), model=model, agent="swe-agent",
        task=_task(data, replay, info, Path(path)),
    )
    trial.metadata = _metadata(data, info, model_source, use_history)
    verdict = _verdict(info)
    if verdict is None:
        found = find_report(Path(path), trial.task, model)
        if found is not None:
            verdict = {"resolved": found[1].get("resolved")}
            trial.metadata["report"] = str(found[0])
    if verdict is not None:
        trial.source_verdict = verdict
        trial.outcome = normalise_outcome(verdict.get("resolved"))

    prompts_end = _add_prompts(trial, history or [])
    if use_history:
        _add_history_turns(trial, history, prompts_end)
    else:
        for i, step in enumerate(traj):
            if not isinstance(step, dict):
                raise FormatError(f"trajectory step {i} must be an object, not a JSON {_kind(step)}")
            _add_step(trial, i, step)
    yield trial


# --------------------------------------------------------------------------- events


def _add_prompts(trial: Trial, history: list) -> int:
    """System prompt, demonstrations and task prompt: history entries before the first answer."""
    for i, msg in enumerate(history):
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        if role == "assistant":
            return i
        if role not in ("system", "user"):
            continue
        text = _content_text(msg.get("content"))
        if not text:
            continue
        attrs = {}
        if msg.get("is_demo"):
            attrs["is_demo"] = True
        if msg.get("message_type"):
            attrs["message_type"] = msg["message_type"]
        trial.add(Event(kind="message", role=role, text=text, source_pointer=f"/history/{i}", attrs=attrs))
    return len(history)


def _add_step(trial: Trial, i: int, step: dict) -> None:
    base = f"/trajectory/{i}"
    action = step.get("action")
    action = action.rstrip() if isinstance(action, str) else ""
    thought = step.get("thought")
    thought_key = "thought"
    if not isinstance(thought, str) or not thought.strip():
        thought, thought_key = step.get("response"), "response"
    thought = thought.strip() if isinstance(thought, str) else ""
    observation = step.get("observation")
    if observation is not None and not isinstance(observation, str):
        observation = orjson.dumps(observation, default=str).decode()

    if action in HARNESS_EXITS:
        text = "\n\n".join(p for p in (f"[{action}]", thought, observation or "") if p)
        trial.add(Event(kind="message", role="system", text=text, source_pointer=base,
                        attrs={"harness_exit": action}))
        return
    if thought:
        trial.add(Event(kind="message", role="assistant", text=thought, source_pointer=f"{base}/{thought_key}"))
    act = None
    if action:
        attrs: dict[str, Any] = {}
        if isinstance(step.get("execution_time"), (int, float)):
            attrs["execution_time"] = step["execution_time"]
        act = trial.add(Event(kind="action", role="assistant", text=action, tool=_tool_for(action),
                              source_pointer=f"{base}/action", attrs=attrs))
    if observation is not None:
        state = _state(step.get("state"))
        trial.add(Event(
            kind="observation", role="tool", text=observation, exit_code=_exit_code(step, state),
            action_seq=act.seq if act else None, source_pointer=f"{base}/observation",
            attrs={"state": state} if state else {},
        ))


def _add_history_turns(trial: Trial, history: list, start: int) -> None:
    """Older/demonstration files: assistant turns and the observations that follow them."""
    last_action: Event | None = None
    for i in range(start, len(history)):
        msg = history[i]
        if not isinstance(msg, dict):
            continue
        role = msg.get("role")
        base = f"/history/{i}"
        if role == "assistant":
            thought, key = msg.get("thought"), "thought"
            if not isinstance(thought, str) or not thought.strip():
                thought, key = _content_text(msg.get("content")), "content"
            action = msg.get("action")
            action = action.rstrip() if isinstance(action, str) else ""
            if action in HARNESS_EXITS:
                trial.add(Event(kind="message", role="system", text=f"[{action}] {thought or ''}".strip(),
                                source_pointer=base, attrs={"harness_exit": action}))
                last_action = None
                continue
            if thought and thought.strip():
                trial.add(Event(kind="message", role="assistant", text=thought.strip(),
                                source_pointer=f"{base}/{key}"))
            last_action = None
            if action:
                attrs = {}
                calls = msg.get("tool_calls")
                if isinstance(calls, list) and calls:
                    attrs["tool_calls"] = calls
                last_action = trial.add(Event(kind="action", role="assistant", text=action,
                                              tool=_tool_for(action), source_pointer=f"{base}/action",
                                              attrs=attrs))
        elif role in ("tool", "user") and not msg.get("is_demo"):
            text = _content_text(msg.get("content"))
            if last_action is None and role == "user":
                trial.add(Event(kind="message", role="user", text=text, source_pointer=base))
                continue
            trial.add(Event(kind="observation", role="tool", text=text,
                            action_seq=last_action.seq if last_action else None, source_pointer=base))
            last_action = None
        elif role == "system":
            trial.add(Event(kind="message", role="system", text=_content_text(msg.get("content")), source_pointer=base))


def _tool_for(action: str) -> str:
    first = action.split(None, 1)[0] if action.split() else ""
    return first if first in SCAFFOLD_COMMANDS else "bash"


#: message content as text: every part that is not text shown as ``[its type]``
_content_text = partial(content_text, images=(), tag_types=True)


def _state(value: Any) -> dict | None:
    """The step's state (open file, working dir), parsed when stored as a JSON string."""
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
    if not isinstance(value, dict):
        return None
    # keep the small fields only (1.x states can hold the whole git diff)
    return {k: v for k, v in value.items() if isinstance(v, (str, int, float, bool)) and len(str(v)) < 1000} or None


def _exit_code(step: dict, state: dict | None) -> int | None:
    extra = step.get("extra_info") if isinstance(step.get("extra_info"), dict) else {}
    for src in (step, extra, state or {}):
        code = first_int(src, ("exit_code", "returncode", "return_code"))
        if code is not None:
            return code
    return None


# --------------------------------------------------------------------------- trial fields


def _replay_config(value: Any) -> dict:
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return {}
    return value if isinstance(value, dict) else {}


def _model(data: dict, replay: dict, info: dict, path: Path) -> tuple[str | None, str | None]:
    agent = replay.get("agent") if isinstance(replay.get("agent"), dict) else {}
    model_cfg = agent.get("model") if isinstance(agent.get("model"), dict) else {}
    for key in ("name", "model_name"):
        if isinstance(model_cfg.get(key), str) and model_cfg[key]:
            return model_cfg[key], "replay_config"
    args = data.get("args") if isinstance(data.get("args"), dict) else {}
    args_model = args.get("model") if isinstance(args.get("model"), dict) else {}
    if isinstance(args_model.get("model_name"), str) and args_model["model_name"]:
        return args_model["model_name"], "args"
    stats = info.get("model_stats") if isinstance(info.get("model_stats"), dict) else {}
    if isinstance(stats.get("model_name"), str) and stats["model_name"]:
        return stats["model_name"], "model_stats"
    run = path.parent
    if run.name == _stem(path):  # 1.x: <run>/<instance_id>/<instance_id>.traj
        match = _RUN_FOLDER_V1.match(run.parent.name)
        if match:
            return match.group(1), "folder"
        run = run.parent
    match = _FOLDER_MODEL.match(run.name)
    if match:
        return match.group(1), "folder"
    return None, None


def _stem(path: Path) -> str:
    return path.name[: -len(".traj")] if path.name.endswith(".traj") else path.stem


def _task(data: dict, replay: dict, info: dict, path: Path) -> str:
    problem = replay.get("problem_statement") if isinstance(replay.get("problem_statement"), dict) else {}
    for value in (problem.get("id"), info.get("instance_id"), data.get("instance_id")):
        if isinstance(value, str) and value:
            return value
    return _stem(path)


def _verdict(info: dict) -> dict | None:
    for holder in (info, info.get("report"), info.get("submission")):
        if isinstance(holder, dict) and isinstance(holder.get("resolved"), bool):
            return {"resolved": holder["resolved"]}
    return None


def _metadata(data: dict, info: dict, model_source: str | None, from_history: bool) -> dict:
    meta: dict[str, Any] = {}
    if isinstance(info.get("exit_status"), str):
        meta["exit_status"] = info["exit_status"]
    submission = info.get("submission")
    if isinstance(submission, str) and submission.strip():
        meta["submission"] = truncate(submission, 1000, "...")
    stats = info.get("model_stats")
    if isinstance(stats, dict):
        for key in ("instance_cost", "tokens_sent", "tokens_received", "api_calls"):
            if isinstance(stats.get(key), (int, float)):
                meta[key] = stats[key]
    if isinstance(data.get("environment"), str):
        meta["environment"] = data["environment"]
    if model_source:
        meta["model_source"] = model_source
    if from_history:
        meta["read_from"] = "history"
    return meta


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")

FORMAT = Adapter(NAME, DESCRIPTION, 50, sniff, read)
