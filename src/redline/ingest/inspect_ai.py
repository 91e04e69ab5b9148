"""Inspect AI evaluation logs: ``EvalLog`` JSON (``.json``) and the zipped ``.eval`` format.

A log holds one evaluation (``eval``: task, model, solver...; ``plan``; ``results``) and its
``samples``. Each sample *and epoch* is one trial (``local_key = "<sample id>:<epoch>"``). In a
``.eval`` file (a zip: ``header.json``, ``_journal/start.json``,
``samples/<id>_epoch_<n>.json``, ``summaries.json``...; entries deflated or, as current Inspect
writes them, zstd-compressed) samples are read one entry at a time through :mod:`.safezip`,
which refuses oversized entries, zip bombs (alone or many small entries together) and entries
that inflate past their declared size.

Events come from the sample's ``messages`` (read by :mod:`.inspect_ai_messages`): system/user
messages, assistant text (reasoning parts as a separate assistant message), each tool call an
action, each tool message the observation of the call it answers (``tool_call_id``). Tool calls are rendered as command
lines: ``bash`` → ``arguments.cmd``, ``python`` → ``arguments.code``, ``bash_session`` → the
typed input; any other tool → ``name <command> <path> --key value...`` with the raw arguments
in ``attrs``. A ``think`` tool call is the agent's text: an assistant message. A tool error
is added to the observation text (``[<type> error] <message>``). Exit codes are not in the
messages; for a shell-like call (``cmd``/``command``/``code``) whose tool span in ``events``
ran exactly one sandbox ``exec``, that exec's ``result`` is the exit code.

Sandbox ``exec`` events are added as actions (``tool="sandbox-exec"``) only for samples with
no tool calls at all (an agent that runs commands without tools), and only those inside a
solver/agent span: execs under a tool span implement a tool call that is already an action,
and those in the init/scorer spans were run by the harness, not the agent.

Trial fields: model ``eval.model``; agent ``eval.solver``, else the plan's solver names joined
with ``+``; task ``<eval.task>/<sample id>``; outcome from the first scorer (in
``eval.scorers`` order): ``C``→success, ``I``/``N``→failure, ``P``→unknown, other values via
:func:`normalise_outcome`; all scores in ``source_verdict``. A log with no samples (samples
not logged, or the run failed before any) is skipped with the reason, and so is the
``logs.json`` manifest ``inspect eval-set`` writes beside its logs (their headers, keyed by file
name).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..events import Event, Trial, normalise_outcome, parse_iso
from ..text import truncate
from .base import Adapter, FormatError, NotATranscript, first_json_value, first_line, head_text, load_json, parse_json
from .inspect_ai_messages import SampleMessages
from .safezip import MAGIC as ZIP_MAGIC
from .safezip import SafeZip, entry_names

NAME = "inspect-ai"
DESCRIPTION = "Inspect AI evaluation logs (EvalLog .json and zipped .eval; one trial per sample and epoch)"

_ZIP_MARKERS = (b"header.json", b"_journal/start.json", b"samples/")
_EVAL_OBJ = re.compile(r'"eval"\s*:\s*\{')
_VERSION = re.compile(r'"version"\s*:\s*\d')
#: spans whose sandbox execs may be the agent's own commands / are the harness's or a tool's
_AGENT_SPANS = ("solver", "agent")
_HARNESS_SPANS = ("tool", "init", "scorer", "scorers")


def sniff(path: Path, head: bytes) -> bool:
    if head.startswith(ZIP_MAGIC):
        names = entry_names(path)
        if names is not None:
            return "header.json" in names or "_journal/start.json" in names
        # a damaged zip: claim it when its first local entries are an eval log's, so the
        # user gets a clear error instead of "unknown format"
        return path.suffix.lower() == ".eval" or any(m in head[:4096] for m in _ZIP_MARKERS[:2])
    if first_json_value(head) != b"{":
        return False
    text = head_text(head)
    return bool(_EVAL_OBJ.search(text) and _VERSION.search(text)) and any(
        f'"{key}"' in text for key in ("samples", "results", "plan", "status"))


def read(path: Path) -> Iterator[Trial]:
    path = Path(path)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic == ZIP_MAGIC:
        yield from _read_zip(path)
    else:
        yield from _read_json(path)


# --------------------------------------------------------------------------- containers


def _read_json(path: Path) -> Iterator[Trial]:
    data = load_json(path)
    if _is_manifest(data):
        raise NotATranscript(f"an Inspect log directory manifest: the headers of {len(data)} eval logs "
                             "(no samples): each log is read from its own file")
    if not isinstance(data, dict) or not isinstance(data.get("eval"), dict):
        raise FormatError("not an Inspect eval log: expected a JSON object with an 'eval' object")
    samples = data.get("samples")
    if samples is not None and not isinstance(samples, list):
        raise FormatError(f"'samples' is a {type(samples).__name__}, not a list")
    if not samples:
        raise NotATranscript(_no_samples_reason(data))
    for i, sample in enumerate(samples):
        if not isinstance(sample, dict):
            raise FormatError(f"sample {i} is not a JSON object")
        yield _sample_trial(path, data, sample, lambda sub, i=i: f"/samples/{i}{sub}")


def _is_manifest(data: Any) -> bool:
    """A log directory's ``logs.json`` (``inspect eval-set`` writes one): eval log headers keyed
    by log file name."""
    return (isinstance(data, dict) and bool(data) and "eval" not in data
            and all(isinstance(v, dict) and isinstance(v.get("eval"), dict) for v in data.values()))


def _read_zip(path: Path) -> Iterator[Trial]:
    with SafeZip(path) as zf:
        names = zf.names()
        head_name = "header.json" if "header.json" in names else "_journal/start.json"
        if head_name not in names:
            listed = ", ".join(sorted(names)[:5]) or "no entries"
            raise FormatError("zip archive is not an Inspect eval log: no header.json or "
                              f"_journal/start.json (holds {listed})")
        header = _entry_json(zf, head_name)
        if not isinstance(header, dict) or not isinstance(header.get("eval"), dict):
            raise FormatError(f"zip entry {head_name} has no 'eval' object: not an Inspect eval log")
        entries = [name for name in names if name.startswith("samples/") and name.endswith(".json")]
        if not entries:
            raise NotATranscript(_no_samples_reason(header))
        for name in entries:
            sample = _entry_json(zf, name)
            if not isinstance(sample, dict):
                raise FormatError(f"zip entry {name} is not a JSON object")
            yield _sample_trial(path, header, sample, lambda sub, name=name: f"entry:{name}#{sub}")


def _entry_json(zf: SafeZip, name: str) -> Any:
    """One zip entry's JSON (read within :mod:`.safezip`'s limits)."""
    data = zf.read(name)
    if not data.strip():
        raise FormatError(f"zip entry {name} is empty")
    try:
        return parse_json(data, what=f"JSON in zip entry {name}")
    except FormatError:
        # orjson checks the UTF-8 as it parses: decode only to name the offending byte
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormatError(f"zip entry {name} is not valid UTF-8 (offset {exc.start})") from None
        raise


def _no_samples_reason(header: dict) -> str:
    status = header.get("status") or "unknown"
    reason = f"Inspect eval log with no samples (status: {status}"
    error = header.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str) and error["message"].strip():
        reason += f"; error: {first_line(error['message'])}"
    config = header["eval"].get("config") if isinstance(header.get("eval"), dict) else None
    if isinstance(config, dict) and config.get("log_samples") is False:
        reason += "; samples were not logged"
    return reason + ")"


# --------------------------------------------------------------------------- one sample


def _sample_trial(path: Path, header: dict, sample: dict, where: Callable[[str], str]) -> Trial:
    ev = header["eval"]
    sid = sample.get("id")
    epoch = sample.get("epoch", 1)
    task_name = ev.get("task") if isinstance(ev.get("task"), str) else None
    trial = Trial(
        format=NAME, source_path=str(path), local_key=f"{sid}:{epoch}",
        model=ev.get("model") if isinstance(ev.get("model"), str) else None,
        agent=_agent(ev, header.get("plan")),
        task=f"{task_name}/{sid}" if task_name else str(sid),
    )
    events = sample.get("events") if isinstance(sample.get("events"), list) else []
    messages = sample.get("messages") if isinstance(sample.get("messages"), list) else []
    reader = SampleMessages(trial, sample, events)
    reader.read(messages, where("/messages/"))
    if reader.n_calls == 0 and events:
        _add_sandbox_execs(trial, events, where)

    times = [parse_iso(e.get("timestamp")) for e in (events[:1] + events[-1:]) if isinstance(e, dict)]
    trial.started_at = parse_iso(sample.get("started_at")) or (times[0] if times else None)
    trial.ended_at = parse_iso(sample.get("completed_at")) or (times[-1] if times else None)
    _set_outcome(trial, sample, ev)
    trial.metadata = _metadata(header, ev, sample, sid, epoch, trial.metadata)
    return trial


def _agent(ev: dict, plan: Any) -> str | None:
    if isinstance(ev.get("solver"), str) and ev["solver"]:
        return ev["solver"]
    if isinstance(plan, dict) and isinstance(plan.get("steps"), list):
        names = [s.get("solver") for s in plan["steps"] if isinstance(s, dict) and isinstance(s.get("solver"), str)]
        if names:
            return "+".join(names)
    return None


def _add_sandbox_execs(trial: Trial, events: list, where: Callable[[str], str]) -> None:
    """Commands run in the sandbox by a solver or agent without tool calls (see module doc)."""
    spans: dict[str, dict] = {}
    steps: list[str | None] = []  # older logs: step begin/end events instead of spans
    for n, e in enumerate(events):
        if not isinstance(e, dict):
            continue
        kind = e.get("event")
        if kind == "span_begin" and isinstance(e.get("id"), str):
            spans[e["id"]] = e
            continue
        if kind == "step":
            if e.get("action") == "begin":
                steps.append(e.get("type"))
            elif steps:
                steps.pop()
            continue
        if kind != "sandbox" or e.get("action") != "exec" or not isinstance(e.get("cmd"), str):
            continue
        kinds = _span_types(spans, e.get("span_id")) if e.get("span_id") else [t for t in steps if t]
        if not any(k in _AGENT_SPANS for k in kinds) or any(k in _HARNESS_SPANS for k in kinds):
            continue
        ts = parse_iso(e.get("timestamp"))
        stdin = e.get("input")
        act = trial.add(Event(
            kind="action", role="assistant", text=e["cmd"], tool="sandbox-exec", timestamp=ts,
            source_pointer=where(f"/events/{n}"),
            attrs={"input": truncate(stdin, 2000, "")} if isinstance(stdin, str) and stdin.strip() else {},
        ))
        result = e.get("result")
        output = e.get("output")
        trial.add(Event(
            kind="observation", role="tool", text=output if isinstance(output, str) else "",
            exit_code=result if isinstance(result, int) and not isinstance(result, bool) else None,
            action_seq=act.seq, timestamp=parse_iso(e.get("completed")) or ts,
            source_pointer=where(f"/events/{n}/output"),
        ))


def _span_types(spans: dict[str, dict], span_id: Any) -> list[str]:
    out = []
    seen = 0
    while isinstance(span_id, str) and span_id in spans and seen < 1000:
        out.append(str(spans[span_id].get("type")))
        span_id = spans[span_id].get("parent_id")
        seen += 1
    return out


def _set_outcome(trial: Trial, sample: dict, ev: dict) -> None:
    scores = sample.get("scores")
    if not isinstance(scores, dict) and isinstance(sample.get("score"), dict):
        scores = {"score": sample["score"]}  # older logs: one score
    if not isinstance(scores, dict) or not scores:
        return
    verdict = {}
    for name, score in scores.items():
        if isinstance(score, dict):
            kept = {"value": score.get("value")}
            for key, limit in (("answer", 500), ("explanation", 1000)):
                if isinstance(score.get(key), str):
                    kept[key] = truncate(score[key], limit, "...")
            verdict[name] = kept
        else:
            verdict[name] = {"value": score}
    trial.source_verdict = verdict
    order = [s.get("name") for s in ev.get("scorers") or [] if isinstance(s, dict)]
    first = next((n for n in order if n in verdict), next(iter(verdict)))
    trial.outcome = _score_outcome(verdict[first].get("value"))
    trial.metadata["scorer"] = first


def _score_outcome(value: Any):
    if isinstance(value, str):
        letter = value.strip().upper()
        if letter == "C":
            return "success"
        if letter in ("I", "N"):  # incorrect, no answer
            return "failure"
        if letter == "P":  # partially correct
            return "unknown"
    if isinstance(value, dict):
        return "unknown"
    return normalise_outcome(value)


def _metadata(header: dict, ev: dict, sample: dict, sid: Any, epoch: Any, meta: dict) -> dict:
    out = dict(meta)
    out["sample_id"] = sid
    out["epoch"] = epoch
    for key in ("eval_id", "run_id", "task", "created"):
        if isinstance(ev.get(key), str):
            out[key] = ev[key]
    if isinstance(header.get("status"), str):
        out["status"] = header["status"]
    packages = ev.get("packages")
    if isinstance(packages, dict) and isinstance(packages.get("inspect_ai"), str):
        out["inspect_version"] = packages["inspect_ai"]
    target = sample.get("target")
    if isinstance(target, list):
        target = " | ".join(str(t) for t in target)
    if isinstance(target, str) and target:
        out["target"] = truncate(target, 300, "...")
    error = sample.get("error")
    if isinstance(error, dict) and isinstance(error.get("message"), str):
        out["error"] = truncate(error["message"], 500, "")
    limit = sample.get("limit")
    if isinstance(limit, dict):
        out["limit"] = {k: v for k, v in limit.items() if isinstance(v, (str, int, float))}
    for key in ("total_time", "working_time"):
        if isinstance(sample.get(key), (int, float)):
            out[key] = sample[key]
    return out


FORMAT = Adapter(NAME, DESCRIPTION, 40, sniff, read)
