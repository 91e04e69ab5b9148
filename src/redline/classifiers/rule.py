"""The Rule declaration and the match helpers rules are written with.

A rule reads one *unit* of the stored data and says which rows carry its label:

``command``
    rows of the ``commands`` table (one per simple command parsed from an action), plus the
    action's ``tool`` and ``command_type``, and the rows :func:`~redline.classifiers.frames.build_frames`
    adds: the commands of a script written earlier and run at the step (``context = 'script'``),
    and those that code or a session manager runs (``'code-shell'``, ``'session'``). The label
    lands on the action; the evidence is the simple command's text and span.
``action``
    whole actions (``text`` is the command line, ``parse_error`` says whether it parsed).
``observation``
    outputs (``text``, ``exit_code``, and ``command``: the text of the action they answer).
``message``
    the agent's own text (``role = 'assistant'`` messages only).

Matches are :class:`Match` objects wrapping polars expressions, combined with ``&``, ``|`` and
``~``, so every rule is evaluated over whole columns in one pass. Rules that need a trial's
context (what it read before, what it was told) give a ``custom`` function over the
:class:`~redline.classifiers.frames.Frames` instead, returning rows with evidence.

Regular expressions are Rust-regex syntax (no look-around, no back-references). Every regex of
a ``match`` rule, its evidence patterns and its fallback are compiled when the rule is declared,
so a bad pattern fails at import, naming the rule (the regexes a ``custom`` rule relies on are
checked when the registry loads it). The built-in families are declared under
:func:`deferred_checks`: the registry checks them once per source, as it computes their versions. A rule's version is a fingerprint of its logic
(:mod:`redline.classifiers.fingerprint`): it changes whenever the logic does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import polars as pl

from ..limits import MAX_BRANCHES
from .expressions import check_expression, check_regexes
from .fingerprint import rule_fingerprint
from .frames import Frames, unit_columns

Unit = Literal["command", "action", "observation", "message", "trial"]

#: the label unit each rule unit writes to
LABEL_UNIT = {"command": "action", "action": "action", "observation": "observation",
              "message": "message", "trial": "trial"}


#: the programs a branch of a match requires (None: any program, or none)
Screen = frozenset[str] | None
#: a match as an OR of branches, each the AND of its conjuncts, with the programs it requires
Branches = tuple[tuple[Screen, tuple[pl.Expr, ...]], ...]


@dataclass(frozen=True)
class Match:
    """A boolean polars expression plus the regexes whose matched text is the evidence.

    ``branches`` is the same expression as an OR of branches, each an AND of conjuncts paired
    with the programs a row must run for the branch to hold (``None``: no such requirement), so
    the engine evaluates a command rule branch by branch, on the rows of the programs it names
    only, and each conjunct where it is cheapest (see
    :func:`~redline.classifiers.matching.command_rows`). Nobody writes them: :func:`program`
    starts a screened branch, ``&`` distributes over ``|`` and intersects screens, ``|``
    collects branches and ``~`` makes one plain branch, so a screen is implied by the expression
    it was built with. A match made directly from an expression has one unscreened branch.
    """

    expr: pl.Expr
    patterns: tuple[str, ...] = ()
    branches: Branches = ()

    def or_branches(self) -> Branches:
        """The match as an OR of (programs required or None, conjuncts) branches."""
        return self.branches or ((None, (self.expr,)),)

    def __and__(self, other: "Match") -> "Match":
        return Match(self.expr & other.expr, self.patterns + other.patterns,
                     _and_branches(self.or_branches(), other.or_branches(), self.expr, other.expr))

    def __or__(self, other: "Match") -> "Match":
        return Match(self.expr | other.expr, self.patterns + other.patterns,
                     self.or_branches() + other.or_branches())

    def __invert__(self) -> "Match":
        return Match(~self.expr, ())


def _and_branches(left: Branches, right: Branches, left_expr: pl.Expr, right_expr: pl.Expr) -> Branches:
    """(OR of left) AND (OR of right) as an OR of branches: AND distributes over OR, and a
    branch holds only where both of its parts' programs are run (an empty meet never holds).
    A side that names no programs stays one conjunct."""
    if all(screen is None for screen, _ in left) and len(left) > 1:
        left = ((None, (left_expr,)),)
    if all(screen is None for screen, _ in right) and len(right) > 1:
        right = ((None, (right_expr,)),)
    if len(left) * len(right) > MAX_BRANCHES:
        left, right = ((None, (left_expr,)),), ((None, (right_expr,)),)
    out: list[tuple[Screen, tuple[pl.Expr, ...]]] = []
    for screen_a, a in left:
        for screen_b, b in right:
            screen = screen_a if screen_b is None else screen_b if screen_a is None else screen_a & screen_b
            if screen is not None and not screen:
                continue
            out.append((screen, a + b))
    if not out:  # no row can hold
        return ((None, (pl.lit(False),)),)
    return tuple(out)


def _values(items) -> list:
    """Distinct values in a fixed order: a rule's version must not depend on a set's order."""
    return sorted(set(items))


def concat_lists(*lists: pl.Expr) -> pl.Expr:
    """The lists of string one after the other, row by row; a null list adds nothing (a command
    with no redirections, code with no URLs).

    Every part is filled before it is joined: besides the meaning, this keeps polars 2.2's
    ``concat_list`` from failing on the output of ``list.eval`` over a column of nulls only."""
    return pl.concat_list([part.fill_null(pl.lit([], pl.List(pl.Utf8))) for part in lists])


# ----------------------------------------------------------------- command-unit helpers


def program(*names: str) -> Match:
    """The simple command runs one of these programs (basename, wrappers removed)."""
    expr = pl.col("program").is_in(_values(names)).fill_null(False)
    return Match(expr, (), ((frozenset(names), (expr,)),))


def program_re(pattern: str) -> Match:
    """The program name matches a regex (anchored: use ``^...$``)."""
    return Match(pl.col("program").str.contains(pattern).fill_null(False))


def arg(*values: str) -> Match:
    """Some argument equals one of these values exactly."""
    return Match(pl.col("argv").list.eval(pl.element().is_in(_values(values))).list.any().fill_null(False))


def arg_re(pattern: str) -> Match:
    """Some argument matches a regex."""
    return Match(pl.col("argv").list.eval(pl.element().str.contains(pattern)).list.any().fill_null(False))


def args_re(pattern: str) -> Match:
    """The arguments joined with single spaces match a regex."""
    return Match(pl.col("argv").list.join(" ").str.contains(pattern).fill_null(False))


#: options that take the next word as their value when given before a subcommand: git's ``-C DIR``
#: and ``-c KEY=VALUE``, npm/pnpm/yarn's ``--prefix``/``-C``/``--cwd``, pip's ``--proxy``,
#: docker's and systemctl's ``-H HOST``, supervisorctl's ``-c FILE``... (only options that take a
#: value wherever they appear: a flag here would hide the subcommand after it)
GLOBAL_VALUE_OPTIONS = (
    "-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
    "--prefix", "--dir", "--cwd", "--cache", "--registry", "--loglevel", "--workspace", "--filter", "--userconfig",
    "--proxy", "--timeout", "--retries", "--log", "--cache-dir", "--python", "--cert", "--client-cert",
    "--exists-action", "--trusted-host", "--index-url", "--extra-index-url",
    "-H", "--host", "--context", "--config", "--log-level", "-M", "--machine", "--property", "--root",
)


def subcommand(*values: str) -> Match:
    """The first argument that is neither an option nor the value of one of
    :data:`GLOBAL_VALUE_OPTIONS` is one of these (``git -C x clean``, ``npm --prefix web install``)."""
    el = pl.element()
    first_word = pl.col("argv").list.eval(el.filter(
        ~el.str.starts_with("-") & ~el.shift(1).is_in(list(GLOBAL_VALUE_OPTIONS)).fill_null(False))).list.get(
        0, null_on_oob=True)
    return Match(first_word.is_in(_values(values)).fill_null(False))


def code_re(pattern: str) -> Match:
    """Code run by an interpreter (``python -c``, ``python - <<EOF``) matches a regex."""
    return Match(pl.col("code").str.contains(pattern).fill_null(False), (pattern,))


#: what code holds but never runs: a comment (``#`` after a space or at a line's start, to the end
#: of the line) and a print of one literal string
_NOT_RUN_IN_CODE = r"(?m)(^|[ \t])#[^\n]*|print\s*\(\s*[rfbuRFBU]{0,2}(\"[^\"\n]*\"|'[^'\n]*')\s*\)"


def run_code() -> pl.Expr:
    """The ``code`` column without what it never runs: its comments and the literal strings it
    only prints (``# os.kill(pid, 9)``, ``print('run: pip install x')``)."""
    return pl.col("code").str.replace_all(_NOT_RUN_IN_CODE, " ")


def run_code_re(pattern: str) -> Match:
    """Like :func:`code_re`, over :func:`run_code`: code that only mentions a call in a comment or
    prints it does not make it."""
    return Match(run_code().str.contains(pattern).fill_null(False), (pattern,))


def heredoc_re(pattern: str) -> Match:
    """The heredoc body fed to the command matches a regex."""
    return Match(pl.col("heredoc").str.contains(pattern).fill_null(False), (pattern,))


def command_text_re(pattern: str) -> Match:
    """The simple command's own text matches a regex."""
    return Match(pl.col("text").str.contains(pattern).fill_null(False), (pattern,))


def redirect_re(pattern: str) -> Match:
    """Some redirection (``>out``, ``2>&1``, ``<<EOF``) matches a regex."""
    return Match(pl.col("redirects").list.eval(pl.element().str.contains(pattern)).list.any().fill_null(False))


def wrapped_by(*names: str) -> Match:
    """The command was run through one of these wrappers (``sudo``, ``nohup``, ``timeout``)."""
    return Match(pl.col("wrappers").list.eval(pl.element().is_in(_values(names))).list.any().fill_null(False))


def under_sudo() -> Match:
    return Match(pl.col("sudo").fill_null(False))


def in_background() -> Match:
    return Match(pl.col("background").fill_null(False))


def in_context(*contexts: str) -> Match:
    return Match(pl.col("context").is_in(_values(contexts)).fill_null(False))


def command_type(*values: str) -> Match:
    """The scaffold's command type for the action (e.g. ``long_running``)."""
    return Match(pl.col("command_type").is_in(_values(values)).fill_null(False))


def tool(*names: str) -> Match:
    """The tool the action was sent through."""
    return Match(pl.col("tool").is_in(_values(names)).fill_null(False))


# ----------------------------------------------------------------- text-unit helpers


def text_re(pattern: str, *, ignore_case: bool = False) -> Match:
    """The unit's ``text`` (action line, output or message) matches a regex."""
    if ignore_case and not pattern.startswith("(?i)"):
        pattern = "(?i)" + pattern
    return Match(pl.col("text").str.contains(pattern).fill_null(False), (pattern,))


def output(pattern: str, *, ignore_case: bool = False) -> Match:
    """An observation's output matches a regex (alias of :func:`text_re`)."""
    return text_re(pattern, ignore_case=ignore_case)


def exit_code(*codes: int) -> Match:
    return Match(pl.col("exit_code").is_in(_values(codes)).fill_null(False))


def failed() -> Match:
    """Non-zero exit status, where the status is known."""
    return Match((pl.col("exit_code") != 0).fill_null(False))


# ----------------------------------------------------------------- the declaration

#: the lists of the :func:`deferred_checks` blocks open now (innermost last)
_DEFERRED: list[list["Rule"]] = []


@contextmanager
def deferred_checks() -> Iterator[list["Rule"]]:
    """Declare rules without checking their expressions yet: yields the list every rule
    declared inside is put in, for :meth:`Rule.check_declaration` later. The registry declares
    the built-in families so and checks them once per source (a check compiles every regex and
    reads every expression's serialised form: a good part of loading the rules)."""
    declared: list[Rule] = []
    _DEFERRED.append(declared)
    try:
        yield declared
    finally:
        _DEFERRED.remove(declared)


Example = str | dict[str, Any]
CustomMatch = Callable[[Frames], pl.DataFrame]


@dataclass(frozen=True)
class Rule:
    """One classifier: a stable ID from the behaviour catalogue and how to find it.

    ``hits`` and ``misses`` are examples that go through the real parser and engine in the
    test suite: command lines for ``command``/``action`` rules; output text (or a dict with
    ``text``, ``exit_code``, ``command``) for ``observation`` rules; agent text for
    ``message`` rules; a small trial (dict of ``steps``) for context rules.
    """

    id: str
    name: str
    on: Unit
    summary: str
    match: Match | None = None
    #: rules that need the trial's context compute their rows here instead of ``match``
    custom: CustomMatch | None = None
    #: for command rules: regex over the raw action text, used when the line did not parse
    fallback: str | None = None
    techniques: tuple[str, ...] = ()
    hits: tuple[Example, ...] = ()
    misses: tuple[Example, ...] = ()
    #: documentation in fixed sections: what it finds, why it matters, false positives
    doc: str = ""
    status: Literal["stable", "experimental", "deprecated"] = "stable"
    #: for a deprecated ID: the ID that replaces it
    successor: str | None = None

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z]+(-[A-Z0-9]+)+", self.id):
            raise ValueError(f"rule ID {self.id!r} is not of the form FAMILY-NAME")
        if (self.match is None) == (self.custom is None) and self.status != "deprecated":
            raise ValueError(f"{self.id}: give exactly one of match= or custom=")
        if _DEFERRED:
            _DEFERRED[-1].append(self)
        else:
            self.check_declaration()

    def check_declaration(self) -> None:
        """Compile the regexes of the rule's match, evidence patterns and fallback, and check
        that the columns its match reads exist (done when the rule is declared, unless
        declared under :func:`deferred_checks`); ValueError naming the rule otherwise."""
        if self.match is not None:
            check_expression(self.id, self.match.expr, unit_columns().get(self.on))
            check_regexes(self.id, self.match.patterns)
        if self.fallback is not None:
            check_regexes(self.id, [self.fallback])

    @property
    def unit(self) -> str:
        """The unit its labels attach to: action, observation, message or trial."""
        return LABEL_UNIT[self.on]

    @cached_property
    def _logic(self) -> tuple[str, tuple[pl.Expr, ...]]:
        exprs: list[pl.Expr] = []
        return rule_fingerprint(self, exprs), tuple(exprs)

    @property
    def classifier_version(self) -> str:
        """A fingerprint of the rule's logic: its expressions or code (with the helpers they
        rely on), fallback and examples. Computed on first use, after every module it reads
        from has loaded (or known: :meth:`known_version`)."""
        known = self.__dict__.get("_known_version")
        return known if known is not None else self._logic[0]

    def known_version(self, version: str) -> None:
        """Take ``version`` as the fingerprint, computed earlier from this very source (the
        registry's cache: :func:`~redline.classifiers.versions.cached_rule_versions`)."""
        self.__dict__["_known_version"] = version

    def check_custom(self, frames: Frames) -> None:
        """For a ``custom`` rule: compile the regexes of the expressions it relies on and run it
        over ``frames`` (a batch without rows: :func:`~redline.classifiers.frames.empty_frames`),
        so a bad pattern or column fails now, naming the rule. The registry calls this when it
        loads, since a custom rule may use names its module defines after it."""
        if self.custom is None:
            return
        for expr in self._logic[1]:
            check_expression(self.id, expr)
        try:
            self.custom(frames)
        except pl.exceptions.PolarsError as exc:
            raise ValueError(f"{self.id}: {' '.join(str(exc).split())}") from None
