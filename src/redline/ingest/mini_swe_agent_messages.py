"""One mini-swe-agent message read: what a command's reply says and which commands a turn ran.

Used by :mod:`.mini_swe_agent`, which walks a trajectory's messages in order:

* :func:`parse_observation`: a reply's text as the agent saw it (the ``<exception>`` line, the
  ``<output>``, or ``<output_head>``, the elided note and ``<output_tail>``), its exit code
  (``extra.returncode``, else the ``<returncode>`` tag) and its attributes (timeout, elision);
* :func:`actions`: the commands an assistant turn ran: v2's ``extra.actions``, else its
  ``tool_calls``, else (v1) its ```` ```bash ```` blocks when a reply answers them;
* :func:`is_reply`, :func:`timestamp`, :func:`tool_call_command`: the small questions in between;
* :func:`as_chat`: an OpenAI Responses API item (mini-swe-agent's ``*_response`` models store the
  model's ``response`` object and ``function_call_output`` items instead of chat messages) as the
  chat message it stands for.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

import orjson

from ..events import from_epoch, parse_iso
from .base import content_text

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


#: message content as text: text parts only, anything but a string or a list as ``str``
message_text = partial(content_text, images=(), fallback=str)


def _tag(name: str, text: str) -> str | None:
    m = _TAG[name].search(text)
    return m.group(1).rstrip("\n") if m else None


def _int(value: Any) -> int | None:
    if value.__class__ is int:  # the common case, in one test
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def timestamp(msg: dict, extra: dict):
    """The message's time: ``extra.timestamp`` else its own ``timestamp`` (epoch or ISO 8601)."""
    ts = extra.get("timestamp", msg.get("timestamp"))
    if ts is None:
        return None
    if isinstance(ts, bool):
        return None
    if isinstance(ts, (int, float)):
        return from_epoch(ts)
    return parse_iso(ts) or (from_epoch(ts) if isinstance(ts, str) else None)


def parse_observation(content: str, extra: dict) -> tuple[str, int | None, dict[str, Any]]:
    """``(text, exit_code, attrs)`` of a command's reply as the agent saw it."""
    attrs: dict[str, Any] = {}
    present = set(_OPENING.findall(content))
    exception = _tag("exception", content) if "exception" in present else None
    output = _tag("output", content) if "output" in present else None
    if "returncode" not in present and exception is None:
        body = content  # v1 timeout notice, or a reply without tags: keep it whole
    elif output is not None:
        body = output
    else:
        head = _tag("output_head", content) if "output_head" in present else None
        tail = _tag("output_tail", content) if "output_tail" in present else None
        if head is not None or tail is not None:
            elided = ((_tag("elided_chars", content) if "elided_chars" in present else None) or "").strip()
            note = f"[{elided}]" if elided else "[output elided]"
            body = "\n".join(p for p in (head, note, tail) if p is not None)
            m = re.match(r"\d+", elided)
            attrs["elided_chars"] = int(m.group(0)) if m else True
            raw = extra.get("raw_output")
            if isinstance(raw, str):
                attrs["raw_output_chars"] = len(raw)
        else:
            body = ""
    if "warning" in present and _tag("warning", content) is not None:
        attrs["output_warning"] = True
    exception_info = extra.get("exception_info") or exception
    if exception is None:
        text = body
    else:
        text = "\n".join(p for p in (exception.strip(), body) if p)
    exception_type = extra.get("exception_type")
    if exception_type:
        attrs["exception_type"] = str(exception_type)
    if (exception_type == "TimeoutExpired"
            or (exception_info and "timed out" in str(exception_info))
            or _V1_TIMEOUT.search(content[:500])):
        attrs["timeout"] = True
    code = _int(extra.get("returncode"))
    if code is None and "returncode" in present:
        code = _int(_tag("returncode", content))
    return text, code, attrs


def is_reply(content: str, extra: dict) -> bool:
    """Whether a ``user`` message is the output of a command (v1 and text-based v2)."""
    return ("returncode" in extra or "<returncode>" in content
            or bool(_V1_TIMEOUT.search(content[:500])))


def as_chat(msg: Any) -> Any:
    """A Responses API item as a chat message; a chat message (it has a ``role``) as it is.

    ``{"object": "response", "output": [...]}`` is the assistant's turn: its ``message`` items'
    text is the content, its ``reasoning`` summaries ``reasoning_content``, its ``function_call``
    items the ``tool_calls``. ``{"type": "function_call_output", "call_id", "output"}`` is the
    ``tool`` reply to that call. ``extra`` (the commands run, exit codes, times) is kept.
    """
    if not isinstance(msg, dict) or "role" in msg:
        return msg
    if msg.get("type") == "function_call_output":
        return {"role": "tool", "tool_call_id": _str_or_none(msg.get("call_id")), "content": msg.get("output"),
                "extra": msg.get("extra")}
    output = msg.get("output")
    if msg.get("object") != "response" or not isinstance(output, list):
        return msg
    text: list[str] = []
    reasoning: list[str] = []
    calls: list[dict] = []
    for item in output:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "message":
            text.append(content_text(item.get("content"), images=(), fallback=str))
        elif kind == "reasoning":
            reasoning.append(content_text(item.get("summary"), images=(), fallback=str))
        elif kind == "function_call":
            calls.append({"id": _str_or_none(item.get("call_id") or item.get("id")),
                          "function": {"name": item.get("name"), "arguments": item.get("arguments")}})
    chat: dict[str, Any] = {"role": "assistant", "content": "\n".join(t for t in text if t),
                            "tool_calls": calls, "extra": msg.get("extra")}
    if any(reasoning):
        chat["reasoning_content"] = "\n".join(r for r in reasoning if r)
    if isinstance(msg.get("model"), str):
        chat["extra"] = {**(msg["extra"] if isinstance(msg.get("extra"), dict) else {}),
                         "response": {"model": msg["model"]}}
    return chat


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _function(call: dict) -> dict:
    fn = call.get("function")
    return fn if isinstance(fn, dict) else {}


def tool_name(call: dict) -> str:
    """The tool an OpenAI tool call names (``bash`` when it names none)."""
    return str(_function(call).get("name") or call.get("name") or "bash")


def tool_call_command(call: dict) -> tuple[str | None, str, Any]:
    """``(command, tool name, raw arguments)`` of an OpenAI tool call."""
    fn = _function(call)
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


def actions(msg: dict, extra: dict, content: str, i: int, messages: list, last_assistant: int):
    """``(command, tool, tool_call_id, pointer, raw args or None)`` for each command the turn ran."""
    calls = msg.get("tool_calls") if isinstance(msg.get("tool_calls"), list) else []
    names = {}
    for call in calls:
        if isinstance(call, dict) and call.get("id"):
            names[call["id"]] = tool_name(call)
    ran = extra.get("actions")
    if isinstance(ran, list):  # v2 records what it ran, even when that is nothing
        for j, act in enumerate(ran):
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
            cmd, name, raw = tool_call_command(call)
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
        answered = nxt.get("role") == "tool" or is_reply(message_text(nxt.get("content")), nxt_extra)
    if answered or (i == last_assistant and len(blocks) == 1):
        for j, block in enumerate(blocks):
            yield block.strip("\n"), "bash", None, f"/messages/{i}/content", None
