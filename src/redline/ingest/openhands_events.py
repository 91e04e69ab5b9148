"""One OpenHands event in redline's terms: the command line an agent action ran (editor and tool
calls rendered as ``name <command> <path> --key value``), the agent's own words, what an
observation showed the agent, and the model response behind an action.

:mod:`redline.ingest.openhands` reads the streams and builds the trials (its docstring has the
mapping); these functions look at one event at a time.
"""

from __future__ import annotations

import shlex
from typing import Any

import orjson

from .base import tool_call_line


def agent_words(kind: str, args: dict, ev: dict) -> str:
    """The text of an agent action that is its own words (``message``, ``think``, ``finish``...)."""
    if kind == "message":
        return text_of(args.get("content")) or text_of(ev.get("message"))
    if kind == "finish":
        return (text_of(args.get("final_thought")) or text_of(args.get("thought")) or text_of(ev.get("message"))).strip()
    if kind == "think":
        return text_of(args.get("thought")) or text_of(ev.get("message"))
    if kind == "task_tracking":
        return text_of(args.get("thought")) or text_of(ev.get("message"))
    return text_of(args.get("thought")) or text_of(ev.get("message"))


def render_action(kind: str, args: dict, ev: dict) -> tuple[str, str, dict] | None:
    """``(text, tool, attrs)`` for something the agent ran, or None if there is nothing to run."""
    call_name, call_args = _tool_call(ev)
    attrs: dict[str, Any] = {}
    if call_name:
        attrs["function_name"] = call_name
    if kind == "run":
        command = text_of(args.get("command"))
        if args.get("is_input") in (True, "true"):
            attrs["is_input"] = True
        return command, "bash", attrs
    if kind == "run_ipython":
        return text_of(args.get("code")), "ipython", attrs
    if kind in ("read", "write", "edit"):
        if call_args is not None and call_name:
            attrs["arguments"] = call_args
            return tool_call_line(call_name, call_args), call_name, attrs
        editor_args = _editor_args(kind, args)
        attrs["arguments"] = editor_args
        name = "edit_file" if kind == "edit" and "command" not in args and args.get("content") else "str_replace_editor"
        return tool_call_line(name, editor_args), name, attrs
    if kind == "browse":
        return f"browse {shlex.quote(text_of(args.get('url')))}", "browser", attrs
    if kind == "browse_interactive":
        return text_of(args.get("browser_actions")), "browser", attrs
    if kind == "call_tool_mcp":
        arguments = args.get("arguments") if isinstance(args.get("arguments"), dict) else {}
        attrs["arguments"] = arguments
        return tool_call_line(text_of(args.get("name")) or "mcp", arguments), "mcp", attrs
    if call_name and call_args is not None:
        attrs["arguments"] = call_args
        return tool_call_line(call_name, call_args), call_name, attrs
    return None


def _editor_args(kind: str, args: dict) -> dict:
    """Editor arguments from the event's own args (when the tool call is not recorded)."""
    if "command" in args:  # newer FileEditAction: the str_replace_editor arguments themselves
        keys = ("command", "path", "file_text", "old_str", "new_str", "insert_line", "view_range")
        return {k: args[k] for k in keys if args.get(k) not in (None, "")}
    if kind == "read":
        out = {"command": "view", "path": args.get("path")}
        if isinstance(args.get("view_range"), list):
            out["view_range"] = args["view_range"]
        else:
            start, end = args.get("start"), args.get("end")
            if isinstance(start, int) and isinstance(end, int) and (start, end) not in ((0, -1), (1, -1)):
                out["view_range"] = [start, end]
        return out
    if kind == "write":
        return {"command": "create", "path": args.get("path"), "file_text": args.get("content")}
    out = {"path": args.get("path"), "content": args.get("content")}  # LLM-based edit
    for key in ("start", "end"):
        if isinstance(args.get(key), int):
            out[key] = args[key]
    return out


def observation_text(kind: str, ev: dict) -> tuple[str, int | None, dict]:
    """``(text, exit code, attrs)`` of an observation: what the agent saw (a command's output with
    its prefix and suffix, an editor's formatted output); an exit code of -1 is unknown."""
    extras = ev.get("extras") if isinstance(ev.get("extras"), dict) else {}
    content = text_of(ev.get("content"))
    attrs: dict[str, Any] = {"observation": kind}
    exit_code = None
    if kind in ("run", "run_ipython"):
        meta = extras.get("metadata") if isinstance(extras.get("metadata"), dict) else {}
        raw = meta.get("exit_code", extras.get("exit_code"))
        if isinstance(raw, int) and not isinstance(raw, bool):
            if raw == -1:
                attrs["raw_exit_code"] = -1
            else:
                exit_code = raw
        text = "".join(text_of(meta.get(k)) if k != "content" else content for k in ("prefix", "content", "suffix"))
        return text, exit_code, attrs
    shown = extras.get("formatted_output_and_error")  # what an oh_aci editor call showed the agent
    if kind == "edit" and extras.get("impl_source") == "oh_aci" and isinstance(shown, str):
        return shown, None, attrs
    if kind == "error" and extras.get("error_id"):
        attrs["error_id"] = extras["error_id"]
    return content or text_of(ev.get("message")), None, attrs


def _tool_call(ev: dict) -> tuple[str | None, dict | None]:
    """The function name and parsed arguments of the model's tool call behind this action."""
    tcm = ev.get("tool_call_metadata")
    if not isinstance(tcm, dict):
        return None, None
    name = tcm.get("function_name") if isinstance(tcm.get("function_name"), str) else None
    call_id = tcm.get("tool_call_id")
    for message in _response_messages(ev):
        for call in message.get("tool_calls") or []:
            if not isinstance(call, dict) or call.get("id") != call_id:
                continue
            fn = call.get("function") if isinstance(call.get("function"), dict) else {}
            raw = fn.get("arguments")
            if isinstance(raw, str):
                try:
                    raw = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    return name or fn.get("name"), None
            if isinstance(raw, dict):
                return name or fn.get("name"), raw
    return name, None


def _response_messages(ev: dict) -> list[dict]:
    tcm = ev.get("tool_call_metadata")
    response = tcm.get("model_response") if isinstance(tcm, dict) else None
    if not isinstance(response, dict):
        return []
    out = []
    for choice in response.get("choices") or []:
        if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
            out.append(choice["message"])
    return out


def response_id(ev: dict) -> str | None:
    """The ID of the model response behind an action (one response can make several)."""
    tcm = ev.get("tool_call_metadata")
    response = tcm.get("model_response") if isinstance(tcm, dict) else None
    if isinstance(response, dict) and isinstance(response.get("id"), str):
        return response["id"]
    return None


def response_text(ev: dict) -> str:
    """The text the model response behind an action holds."""
    return "\n".join(text_of(m.get("content")) for m in _response_messages(ev) if m.get("content"))


def event_model(ev: dict) -> str | None:
    """The model an event names (its model response, else its ``llm_metrics``)."""
    tcm = ev.get("tool_call_metadata")
    response = tcm.get("model_response") if isinstance(tcm, dict) else None
    if isinstance(response, dict) and isinstance(response.get("model"), str) and response["model"]:
        return response["model"]
    metrics = ev.get("llm_metrics")
    if isinstance(metrics, dict):
        usage = metrics.get("accumulated_token_usage")
        if isinstance(usage, dict) and isinstance(usage.get("model"), str) and usage["model"]:
            return usage["model"]
        for key in ("token_usages", "costs", "response_latencies"):
            for item in metrics.get(key) or []:
                if isinstance(item, dict) and isinstance(item.get("model"), str) and item["model"]:
                    return item["model"]
    return None


def text_of(value: Any) -> str:
    """A field as text: a string as it is, content parts joined, anything else as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts
        return "\n".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in value)
    return orjson.dumps(value, default=str).decode()
