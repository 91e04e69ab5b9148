"""How observation rules read outputs: the agent's own outputs, evidence spans, fallback reports.

Every observation rule reads the output the agent saw for one action through
:func:`agent_observations`, which blanks what the action cannot have produced (a Python
traceback after an action that ran no Python: the recording harness's noise, see
:mod:`.noise`). :func:`matching` selects outputs with a match expression and takes the first
matching pattern as evidence; :func:`with_fallbacks` adds the outputs where a fallback's message
reports the same kind of obstacle (see :mod:`.fallbacks`). The rules of specific obstacles read
:func:`reported_observations`: also without the content lines of reading actions (:mod:`.content`)
and the warnings commands print on their way to success in a container (:data:`BENIGN_LINE`).
D-Bus and service-manager failures (:data:`SERVICE_BUS_FAILURE`) are a local problem: the file
and network rules read outputs without those lines (:func:`without_bus_lines`).
"""

from __future__ import annotations

import polars as pl

from ...evidence import located_evidence
from ...frames import per_batch
from ...matching import match_rows
from ...rule import Match
from .content import blank_lines, without_read_content
from .fallbacks import reports_of
from .noise import without_foreign_tracebacks


def text_matches(pattern: str) -> pl.Expr:
    return pl.col("text").str.contains(pattern).fill_null(False)


def with_evidence(df: pl.DataFrame, patterns: list[str], text: str = "text") -> pl.DataFrame:
    """trial_id, seq and the first match of the first matching pattern as evidence."""
    if df.is_empty():
        return df.select("trial_id", "seq").with_columns(
            pl.lit(None, pl.Utf8).alias("evidence"), pl.lit(None, pl.Int32).alias("span_start"),
            pl.lit(None, pl.Int32).alias("span_end"))
    return located_evidence(df, patterns, text)


#: D-Bus and service-manager failures: a local IPC problem, not the network ("Failed to connect to
#: bus: Host is down" when systemd is not PID 1)
SERVICE_BUS_FAILURE = (
    r"Failed to connect to (?:the )?(?:system |session |user )?bus|Failed to get D-Bus connection|"
    r"System has not been booted with systemd|Could not connect to D-?Bus|dbus-daemon[^\n]*(?:failed|not running)|"
    r"Failed to (?:start|stop|restart|reload|enable|disable|mask|get properties)[^\n]*: [^\n]+|"
    r"Running in chroot, ignoring (?:command|request)"
)
_BUS_LINE = r"(?m)^[^\n]*(?:" + SERVICE_BUS_FAILURE + r"|D-?Bus|org\.freedesktop\.)[^\n]*$"
_BUS_HINT = r"(?i)bus\b|systemd|freedesktop|chroot|Failed to (?:start|stop|restart|reload|enable|disable|mask|get)"


def without_bus_lines(df: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
    """``df`` with ``target`` = ``source`` minus its D-Bus / service-manager lines (only the few
    outputs that mention them are rewritten)."""
    hint = pl.col(source).str.contains(_BUS_HINT).fill_null(False)
    if not df.select(hint.any()).item():
        # (the frame itself when nothing changes: what rules work out per frame is shared)
        return df if source == target else df.with_columns(pl.col(source).alias(target))
    return df.with_columns(pl.when(hint).then(pl.col(source).str.replace_all(_BUS_LINE, ""))
                           .otherwise(pl.col(source)).alias(target))


@per_batch
def agent_observations(frames) -> pl.DataFrame:
    """The batch's observations as the agent's actions produced them: Python tracebacks in the
    output of an action that ran no Python (the recording harness's noise) are blanked, offsets
    kept (see :mod:`.noise`). Every observation rule reads outputs through this."""
    return without_foreign_tracebacks(frames.observations, frames.commands, frames.actions)


#: warnings a command prints on its way to success in a container: sudo cannot resolve the
#: container's host name or raise its core limit, an interactive bash has no terminal, debconf
#: has no terminal to ask on, update-alternatives skips a man page the image left out
BENIGN_LINE = (
    r"^sudo: (?:unable to resolve host|setrlimit\(RLIMIT_CORE\))|^bash: (?:cannot set terminal process group|"
    r"no job control in this shell)|^mesg: ttyname failed|^dpkg-preconfigure: unable to re-open stdin|"
    r"^update-alternatives: warning: skip creation of"
)
_BENIGN_HINT = r"sudo: |bash: |mesg: |dpkg-preconfigure: |update-alternatives: "


@per_batch
def reported_observations(frames) -> pl.DataFrame:
    """:func:`agent_observations` less the content that reading actions show (``grep`` hits in
    source code, a README that quotes an error, see :mod:`.content`) and less the warnings of
    commands that worked (:data:`BENIGN_LINE`): the rules of specific obstacles read outputs
    through this."""
    obs = without_read_content(agent_observations(frames), frames)
    if obs.is_empty():
        return obs
    benign = obs.select(pl.col("text").str.contains(_BENIGN_HINT) & pl.col("text").str.contains("(?m)" + BENIGN_LINE)
                        ).to_series().fill_null(False)
    return blank_lines(obs, benign, BENIGN_LINE)


def matching(frames, match: Match, observations=reported_observations) -> pl.DataFrame:
    """Observations a match expression selects, with the first matching pattern as evidence."""
    rows = match_rows(frames, observations(frames), match)
    return with_evidence(rows, list(match.patterns) or [r"^[\s\S]{0,200}"])


def with_fallbacks(found: pl.DataFrame, frames, kind: str) -> pl.DataFrame:
    """``found`` plus the observations where a fallback message reports this kind of obstacle
    (``which x || echo 'x not found'``, see :mod:`.fallbacks`)."""
    extra = reports_of(frames, kind)
    if extra.is_empty():
        return found
    cols = ["trial_id", "seq", "evidence", "span_start", "span_end"]
    typed = [df.select(cols).with_columns(pl.col("seq").cast(pl.Int32), pl.col("span_start").cast(pl.Int32),
                                          pl.col("span_end").cast(pl.Int32)) for df in (found, extra)]
    return pl.concat(typed).unique(subset=["trial_id", "seq"], keep="first", maintain_order=True)
