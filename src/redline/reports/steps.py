"""A trial's steps as HTML, written directly rather than through a template: a thousand-trial
audit has hundreds of thousands of steps, and a Jinja loop over them costs more than the rest
of the report together. Every transcript text here is already safe :class:`Markup` (built by
:mod:`redline.reports.transcript`); every other string goes through :func:`_e`."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from markupsafe import Markup

from ..text import for_terminal
from .transcript import Chip, Step, html_escape


@lru_cache(maxsize=65_536)
def _e(value: object) -> str:
    """A short, often repeated string (an ID, a tool, a file name) escaped for HTML."""
    return html_escape(for_terminal(str(value)))


#: the label sources a chip names (a rule's label, alone or confirmed by a model, names none)
SHOWN_SOURCES = ("model", "human")


def _chip(c: Chip, rule_link: Callable[[str], str], summary: Callable[[str], str]) -> str:
    """A label's chip: its ID, the target its detail names, and who gave it when not a rule."""
    notes = [f"on the {c.unit}", *([f"target: {c.target}"] if c.target else []),
             *([f"source: {c.source}"] if c.source != "rule" else [])]
    target = f" · {_e(c.target)}" if c.target else ""
    source = f' · <span class="source">{_e(c.source)}</span>' if c.source in SHOWN_SOURCES else ""
    return (f'<a class="chip sev-{c.severity}" href="{_e(rule_link(c.id))}" title="{_e(summary(c.id))} '
            f'({_e("; ".join(notes))})">{_e(c.id)}{target}{source}</a>')


def step_html(step: Step, trial_slug: str, link: Callable[[str, str], str], rule_link: Callable[[str], str],
              summary: Callable[[str], str]) -> str:
    """One ``<article class="step">``, its ID ``<slug>/<anchor>`` (the deep link's target)."""
    cls = "step" + (f" phase-{step.phase}" if step.phase else "") + (" labelled" if step.chips else "")
    out = [f'<article class="{cls}" id="{trial_slug}/{step.anchor}">']
    out += [f'<div class="episode-open">\u25b6 {_e(o)}</div>' for o in step.opens]
    name = f"step {step.number}" if step.number else step.anchor
    head = [f'<a class="anchor" href="{html_escape(link(trial_slug, step.anchor))}">{name}</a>']
    if step.phase:
        head.append(f'<span class="ph ph-{step.phase}">{step.phase}</span>')
    if step.tool:
        head.append(f'<span class="tool">{_e(step.tool)}</span>')
    if step.exit_code is not None:
        head.append(f'<span class="exit{" bad" if step.exit_code else ""}">exit {int(step.exit_code)}</span>')
    head += [_chip(c, rule_link, summary) for c in step.chips]
    head += [f'<span class="chip strategy">{_e(s)}</span>' for s in step.strategies]
    if step.where:
        head.append(f'<span class="where">{_e(step.where)}</span>')
    out.append('<div class="step-head">' + "".join(head) + "</div>")
    for role, html in step.messages:
        label = "reasoning" if role == "assistant" else _e(role)
        out.append(f'<div class="lbl-small">{label}</div><pre class="msg role-{_e(role)}">{html}</pre>')
    if step.command:
        out.append(f'<pre class="cmd">{step.command}</pre>')
    if step.parse_error:
        out.append(f'<div class="note">the command line did not fully parse: {_e(step.parse_error)}</div>')
    if step.output:
        out.append(f'<pre class="out">{step.output}</pre>')
    out += [f'<div class="episode-close status-{_e(status)}">\u25c0 {_e(words)}</div>' for status, words in step.closes]
    out.append("</article>")
    return "".join(out)


def steps_html(steps: list[Step], trial_slug: str, link, rule_link, summary) -> Markup:
    return Markup("\n".join(step_html(s, trial_slug, link, rule_link, summary) for s in steps))
