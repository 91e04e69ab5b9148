"""One OpenHands V1 event in redline's terms (the software-agent-sdk's persisted events, 2025 on).

Every event is a JSON object with ``id``, ``timestamp``, ``source`` (``agent``, ``user``,
``environment``) and ``kind``, the event's class:

- ``SystemPromptEvent``: ``system_prompt`` (``{"type": "text", "text": ...}``), ``tools``,
  ``dynamic_context``.
- ``MessageEvent``: ``llm_message`` (``role``, ``content``: a list of text parts,
  ``reasoning_content``, ``thinking_blocks``), ``llm_response_id``.
- ``ActionEvent``: ``thought`` (text parts), ``reasoning_content``, ``thinking_blocks``,
  ``tool_name``, ``tool_call_id``, ``tool_call`` (``id``, ``name``, ``arguments`` as a JSON
  string), ``llm_response_id`` (the actions of one model response share it; only the first
  carries the thought) and ``action``: the tool's arguments with their own ``kind``
  (``TerminalAction``/``ExecuteBashAction``: ``command``, ``is_input``, ``timeout``;
  ``FileEditorAction``: ``command``, ``path``, ``file_text``, ``old_str``, ``new_str``...;
  ``FinishAction``: ``message``; ``ThinkAction``: ``thought``). ``action`` is ``null`` when the
  call could not be turned into one (it was not executed).
- ``ObservationEvent``: ``tool_name``, ``tool_call_id``, ``action_id`` and ``observation``
  (``TerminalObservation``/``ExecuteBashObservation``: ``content`` text parts, or ``output`` in
  the first releases, ``exit_code``, ``timeout``, ``is_error``, ``metadata`` with ``exit_code``,
  ``prefix`` and ``suffix``); ``AgentErrorEvent``: ``error``; ``UserRejectObservation``:
  ``rejection_reason``.

:mod:`redline.ingest.openhands_v1` reads the conversation folders and builds the trials; these
functions look at one event at a time.
"""

from __future__ import annotations

from typing import Any

from .base import content_text, json_text, parse_arguments, tool_call_line

#: event classes of the SDK that hold steps of a trial or its bookkeeping (for sniffing)
EVENT_KINDS = frozenset({
    "SystemPromptEvent", "MessageEvent", "ActionEvent", "ObservationEvent", "AgentErrorEvent",
    "UserRejectObservation", "ConversationStateUpdateEvent", "PauseEvent", "CondensationEvent",
    "CondensationRequestEvent", "CondensationSummaryEvent", "ConversationErrorEvent", "TokenEvent",
    "LLMCompletionLogEvent", "HookExecutionEvent",
})
#: the terminal tool, under its names across releases (``execute_bash`` became ``terminal``)
TERMINAL_TOOLS = frozenset({"terminal", "execute_bash", "bash"})
TERMINAL_ACTIONS = frozenset({"TerminalAction", "ExecuteBashAction"})
#: the file editor, under its names across releases: rendered as the V0 editor call it is
#: (``str_replace_editor <command> <path> --key value``), the same arguments
EDITOR_TOOLS = frozenset({"file_editor", "str_replace_editor"})
#: tools whose calls are the agent's words, not something it ran
WORD_TOOLS = frozenset({"finish", "think", "task_tracker"})
SOURCES = ("agent", "user", "environment")


def looks_like_event(value: Any) -> bool:
    """Whether ``value`` (a whole event, or as much of one as a file's head holds) is an SDK event."""
    if not isinstance(value, dict):
        return False
    if isinstance(value.get("action"), str) or isinstance(value.get("observation"), str):
        return False  # the V0 event stream of :mod:`.openhands`
    kind = value.get("kind")
    if isinstance(kind, str):
        return kind in EVENT_KINDS and value.get("source") in SOURCES + (None,)
    return value.get("source") in SOURCES and "timestamp" in value and (
        isinstance(value.get("llm_message"), dict) or "system_prompt" in value
        or ("tool_call_id" in value and "tool_name" in value))


def event_kind(ev: dict) -> str:
    """The event's class; an event cut before its ``kind`` is told by its fields."""
    kind = ev.get("kind")
    if isinstance(kind, str):
        return kind
    if "system_prompt" in ev:
        return "SystemPromptEvent"
    if "llm_message" in ev:
        return "MessageEvent"
    if "observation" in ev:
        return "ObservationEvent"
    if "error" in ev and "tool_call_id" in ev:
        return "AgentErrorEvent"
    if "rejection_reason" in ev:
        return "UserRejectObservation"
    if "tool_call_id" in ev and "thought" in ev:
        return "ActionEvent"
    return "unknown"


def text_parts(value: Any) -> str:
    """Text of a list of ``TextContent`` parts, one part, or a string."""
    if isinstance(value, dict):
        return value["text"] if isinstance(value.get("text"), str) else ""
    return content_text(value, fallback=lambda _: "")


def reasoning_text(holder: dict) -> str:
    """The model's visible reasoning: ``reasoning_content`` and the text of Anthropic thinking
    blocks (redacted and encrypted blocks hold none)."""
    parts = []
    if isinstance(holder.get("reasoning_content"), str) and holder["reasoning_content"].strip():
        parts.append(holder["reasoning_content"].strip())
    blocks = holder.get("thinking_blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and isinstance(block.get("thinking"), str) and block["thinking"].strip():
            parts.append(block["thinking"].strip())
    return "\n\n".join(dict.fromkeys(parts))


def call_arguments(ev: dict) -> dict:
    """The tool call's arguments: the ``action`` (without its ``kind``), else the recorded call's
    JSON ``arguments``; what is not an object gives ``{}``."""
    action = ev.get("action")
    if isinstance(action, dict):
        return {k: v for k, v in action.items() if k != "kind" and v is not None}
    call = ev.get("tool_call") if isinstance(ev.get("tool_call"), dict) else {}
    args = parse_arguments(call.get("arguments"))
    return {k: v for k, v in args.items() if v is not None} if isinstance(args, dict) else {}


def tool_name(ev: dict) -> str:
    name = ev.get("tool_name")
    if not isinstance(name, str) or not name:
        call = ev.get("tool_call") if isinstance(ev.get("tool_call"), dict) else {}
        name = call.get("name") if isinstance(call.get("name"), str) else ""
    return name


def render_call(ev: dict) -> tuple[str, str, dict[str, Any]]:
    """``(text, tool, attrs)`` of an action the agent ran: a terminal command as its command line,
    an editor call as ``str_replace_editor <command> <path> --key value``, any other tool call as
    ``name --key value``."""
    name = tool_name(ev)
    args = call_arguments(ev)
    action = ev.get("action") if isinstance(ev.get("action"), dict) else {}
    attrs: dict[str, Any] = {"function_name": name} if name else {}
    if name in TERMINAL_TOOLS or action.get("kind") in TERMINAL_ACTIONS:
        if args.get("is_input") in (True, "true"):
            attrs["is_input"] = True
        if isinstance(args.get("timeout"), (int, float)) and not isinstance(args.get("timeout"), bool):
            attrs["timeout_seconds"] = args["timeout"]
        command = args.get("command")
        return (command if isinstance(command, str) else text_parts(command)), "bash", attrs
    attrs["arguments"] = args
    if name in EDITOR_TOOLS or action.get("kind") == "FileEditorAction":
        return tool_call_line("str_replace_editor", args), "str_replace_editor", attrs
    return tool_call_line(name or "tool", args), name or "tool", attrs


def words_of_call(ev: dict) -> str:
    """The text of a call that is the agent's words (``finish``, ``think``, ``task_tracker``)."""
    args = call_arguments(ev)
    for key in ("message", "thought", "content"):
        if isinstance(args.get(key), str) and args[key].strip():
            return args[key]
    return json_text(args) if args else ""


def observation_output(obs: Any) -> tuple[str, int | None, dict[str, Any]]:
    """``(text, exit_code, attrs)`` of an ``observation``: what the agent saw (a command's
    ``prefix + output + suffix``), its exit code (``-1``, a command that had not exited, is kept
    as ``attrs["raw_exit_code"]`` only), and flags (``timeout``, ``is_error``)."""
    if not isinstance(obs, dict):
        return (obs if isinstance(obs, str) else json_text(obs) if obs is not None else ""), None, {}
    attrs: dict[str, Any] = {}
    if isinstance(obs.get("kind"), str):
        attrs["observation"] = obs["kind"]
    if obs.get("content") is not None:
        text = text_parts(obs["content"])
    elif isinstance(obs.get("output"), str):
        text = obs["output"]
    else:
        text = json_text({k: v for k, v in obs.items() if k != "kind"})
    if isinstance(obs.get("error"), str) and obs["error"] and obs["error"] not in text:
        text = f"{text}\n{obs['error']}" if text else obs["error"]
    meta = obs.get("metadata") if isinstance(obs.get("metadata"), dict) else {}
    prefix = meta.get("prefix") if isinstance(meta.get("prefix"), str) else ""
    suffix = meta.get("suffix") if isinstance(meta.get("suffix"), str) else ""
    text = f"{prefix}{text}{suffix}"
    exit_code = _int(obs.get("exit_code"))
    if exit_code is None:
        exit_code = _int(meta.get("exit_code"))
    if exit_code == -1:
        attrs["raw_exit_code"] = -1
        exit_code = None
    if obs.get("timeout") is True:
        attrs["timeout"] = True
    if obs.get("is_error") is True or obs.get("error") is True:
        attrs["is_error"] = True
    return text, exit_code, attrs


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
