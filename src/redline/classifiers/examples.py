"""Run a rule's ``hits`` / ``misses`` examples through the real parser and engine.

An example becomes a tiny trial, goes through the same conversion as ingested data
(:func:`redline.convert.trials_to_arrow`, which parses command lines with the real shell
parser) and is labelled by :func:`redline.classifiers.engine.label_frames`. The rule "fires"
when the target step carries its label.

Example shapes, by the rule's unit:

- ``command`` / ``action``: a command line, or ``{"command": str, "command_type": str,
  "tool": str}``.
- ``observation``: the output text, or ``{"text": str, "exit_code": int, "command": str}``.
- ``message``: the agent's text.
- context and trial rules: ``{"steps": [{"kind", "text", "role"?, "exit_code"?, ...}],
  "target": index of the step to check (default: the last step of the rule's unit),
  "task"?, "scenario"?, "outcome"?, "source_verdict"?}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import polars as pl

from ..events import Event, Trial
from ..convert import trials_to_arrow
from .engine import label_frames
from .frames import Frames
from .rule import Example, Rule


def steps_trial(steps: Iterable[dict[str, Any]], *, format: str = "example", source_path: str = "<example>",
                **fields: Any) -> Trial:
    """A small trial of steps given as rule examples give them: dicts with ``kind``, ``text``
    and optionally ``role``, ``tool``, ``exit_code``, ``attrs``. An observation answers the action
    before it; the role defaults to the assistant's (the tool's for an observation) and an action's
    tool to ``bash``. ``fields`` set the trial's own fields (``task``, ``outcome``...)."""
    trial = Trial(format=format, source_path=source_path, **fields)
    last_action: int | None = None
    for step in steps:
        ev = Event(
            kind=step["kind"], text=step.get("text"), role=step.get("role", _default_role(step["kind"])),
            tool=step.get("tool", "bash" if step["kind"] == "action" else None),
            exit_code=step.get("exit_code"), attrs=dict(step.get("attrs", {})),
        )
        if step["kind"] == "observation":
            ev.action_seq = last_action
        trial.add(ev)
        if ev.kind == "action":
            last_action = ev.seq
    return trial


#: the trial fields an example's spec may set beside its ``steps``
TRIAL_FIELDS = ("task", "scenario", "model", "agent", "outcome", "source_verdict")


def spec_trial(spec: dict[str, Any], source_path: str) -> Trial:
    """The trial of an example spec: its ``steps`` (see :func:`steps_trial`) and the trial
    fields of :data:`TRIAL_FIELDS` it sets."""
    fields = {key: spec[key] for key in TRIAL_FIELDS if key in spec}
    return steps_trial(spec["steps"], source_path=source_path, **fields)


def example_trial(rule: Rule, example: Example) -> tuple[Trial, int | None]:
    """The trial an example stands for and the seq of the step to check (None: trial level)."""
    source_path = f"<example {rule.id}>"
    if isinstance(example, dict) and "steps" in example:
        trial = spec_trial(example, source_path)
        if rule.unit == "trial":
            return trial, None
        target = example.get("target")
        if target is None:
            kinds = [e.seq for e in trial.events if e.kind == rule.unit]
            target = kinds[-1] if kinds else len(trial.events) - 1
        return trial, target
    trial = Trial(format="example", source_path=source_path)
    spec: dict[str, Any]
    if rule.unit == "action":
        cmd = example if isinstance(example, str) else example["command"]
        attrs = {} if isinstance(example, str) else {k: v for k, v in example.items() if k == "command_type"}
        tool = "bash" if isinstance(example, str) else example.get("tool", "bash")
        ev = trial.add(Event(kind="action", text=cmd, role="assistant", tool=tool, attrs=attrs))
        return trial, ev.seq
    if rule.unit == "observation":
        spec = {"text": example} if isinstance(example, str) else dict(example)
        act = trial.add(Event(kind="action", text=spec.get("command", "run"), role="assistant", tool="bash"))
        ev = trial.add(Event(kind="observation", text=spec["text"], role="tool",
                             exit_code=spec.get("exit_code"), action_seq=act.seq))
        return trial, ev.seq
    if rule.unit == "message":
        text = example if isinstance(example, str) else example["text"]
        ev = trial.add(Event(kind="message", text=text, role="assistant"))
        return trial, ev.seq
    raise ValueError(f"{rule.id}: example {example!r} needs a 'steps' list")


def _default_role(kind: str) -> str:
    return {"action": "assistant", "observation": "tool", "message": "assistant"}[kind]


def example_labels(rule: Rule, example: Example) -> pl.DataFrame:
    trial, _ = example_trial(rule, example)
    frames = Frames.from_arrow(*trials_to_arrow([trial]))
    return label_frames(frames, [rule])


def fires(rule: Rule, example: Example) -> bool:
    """Whether ``rule`` labels the target step of ``example``."""
    trial, target = example_trial(rule, example)
    frames = Frames.from_arrow(*trials_to_arrow([trial]))
    labels = label_frames(frames, [rule]).filter(pl.col("label_id") == rule.id)
    if target is None:
        return labels.filter(pl.col("seq").is_null()).height > 0
    return labels.filter(pl.col("seq") == target).height > 0
