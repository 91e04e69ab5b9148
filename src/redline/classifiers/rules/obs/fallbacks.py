"""Results hidden behind a fallback: ``cmd || echo 'not found'`` still reports the obstacle.

``which ffmpeg || echo 'ffmpeg not installed'``, ``ls model/ 2>/dev/null || echo 'no model'`` and
``timeout 60 ./serve || echo 'server timed out'`` hide the failing command's own message (or
its exit status) and print the agent's own instead. When that message is in the output, the
fallback ran, so the command before ``||`` failed; the behaviour catalogue counts the obstacle
the fallback reports. :func:`fallback_reports` finds such observations and says what kind of
obstacle each one is, judged from the guarded command and the message:

``cmd``     the guard looks a program up (``which``, ``command -v``, ``type``, ``X --version``)
``module``  the guard imports a module (``python -c 'import x'``, ``python -m x``, ``pip show x``)
``file``    the guard reads or lists a path (``ls``, ``cat``, ``stat``, ``du``, ``cd``, ``source``)
``perm``    the message says permission was denied
``network`` the guard is a network client and the message says it could not connect or get an answer
``timeout`` the message says it timed out, or the guard ran under ``timeout N``
``other``   any other failure the message reports

Fallbacks of questions are not obstacles: tests (``[ -f x ] && echo yes || echo no``), searches
(``grep``, ``find``, ``pgrep``: no match is an answer) and liveness checks (``kill -0``). The
message must read as a failure (``not``, ``no X``, ``missing``, ``failed``, ``error``...) unless
the guard ran under ``timeout``; a message made only of variables, or the fallback of a command
substitution (captured, never printed), is not matched. Variables in the message match any text.
"""

from __future__ import annotations

import polars as pl

from ....limits import EVIDENCE_CHARS
from ...evidence import char_find
from ...frames import Frames, per_batch

KINDS = ("cmd", "module", "file", "perm", "network", "timeout", "other")

#: guards whose failure answers a question instead of reporting an obstacle
_QUESTIONS = ["[", "[[", "test", "grep", "egrep", "fgrep", "zgrep", "rg", "ag", "ack", "find", "locate",
              "pgrep", "pidof", "diff", "cmp", "true", "false", "read", "echo", "printf", "expr", "jq"]
_LOOKUPS = ["which", "type", "hash", "whereis", "command"]
_PATH_READERS = ["ls", "cat", "stat", "head", "tail", "du", "file", "readlink", "realpath", "cd", "source", ".",
                 "less", "more", "wc", "md5sum", "sha256sum", "tree", "pushd"]
_NET_CLIENTS = ["curl", "wget", "nc", "ncat", "netcat", "ping", "ssh", "telnet", "http", "httpie", "xh", "dig",
                "nslookup", "host"]
_VERSION_ARGS = ["--version", "-version", "-V", "-v", "version", "--help", "-h"]

#: a message that reports a failure
FAILURE_MESSAGE = (
    r"(?i)\b(not|no|none|missing|fail\w*|error\w*|unable|cannot|can't|couldn't|could not|unavailable|denied|"
    r"timed? ?out|timeout|absent|doesn't|does not|isn't|is not|without|unreachable|refused|down|broken|invalid|"
    r"problem|issue|crash\w*|abort\w*|killed|empty)\b"
)
_PERM_MESSAGE = r"(?i)permission|denied|not permitted|must be root|need(s)? root|sudo|forbidden|unauthori[sz]ed"
_TIMEOUT_MESSAGE = r"(?i)\btimed? ?out\b|\btimeout\b|took too long|deadline"
_NET_MESSAGE = (r"(?i)connect|reach|respond|refused|network|resolve|dns|\bdown\b|unavailable|not running|offline|"
                r"not up|no response|not answering|not listening|fail")
_MODULE_MESSAGE = r"(?i)module|import|package|librar|not (installed|available)|missing|no \w+"


def _message() -> pl.Expr:
    """The fallback's text as echoed: options dropped, quotes kept by the parser removed, cut at
    the first escaped newline."""
    el = pl.element()
    words = pl.col("argv").list.eval(
        el.filter(~el.str.contains(r"^-[neE]+$")).str.replace(r'^"([\s\S]*)"$', "$1").str.replace(r"^'([\s\S]*)'$", "$1"))
    return words.list.join(" ").str.replace(r"\\n[\s\S]*$", "").str.strip_chars()


def _message_regex(message: pl.Expr) -> pl.Expr:
    """A line-anchored regex for the message as printed: variables and substitutions match any text."""
    escaped = message.str.escape_regex().str.replace_all(
        r"\\\$(?:\\\{[^}\\]*\\\}|\\\([^)\\]*\\\)|\w+)|`[^`]*`", "[^\\n]*")
    return pl.lit("(?m)^[ \\t]*") + escaped + pl.lit("[ \\t]*$")


@per_batch
def fallback_reports(frames: "Frames") -> pl.DataFrame:
    """Observations whose output shows a fallback that ran: trial_id, seq (the observation), kind,
    evidence (the message) and its span in the output."""
    empty = pl.DataFrame(schema={"trial_id": pl.Utf8, "seq": pl.Int32, "kind": pl.Utf8, "evidence": pl.Utf8,
                                 "span_start": pl.Int32, "span_end": pl.Int32})
    cmds = frames.commands
    if cmds.is_empty() or frames.observations.is_empty():
        return empty
    # only steps with an echo after || are read further
    steps = cmds.filter(pl.col("program").is_in(["echo", "printf"]) & (pl.col("operator") == "||")).select(
        "trial_id", "seq").unique()
    if steps.is_empty():
        return empty
    cmds = cmds.join(steps, on=["trial_id", "seq"], how="semi")
    group = ["trial_id", "seq", "parent_idx"]
    cmds = cmds.sort("trial_id", "seq", "idx").with_columns(
        pl.col("program").shift(1).over(group).alias("_gprog"),
        pl.col("argv").shift(1).over(group).alias("_gargv"),
        pl.col("wrappers").shift(1).over(group).alias("_gwrap"),
        pl.col("code").shift(1).over(group).alias("_gcode"),
    )
    el = pl.element()
    to_file = pl.col("redirects").list.eval(el.str.contains(r"^(1|&)?>>?\|?[^&]") & ~el.str.contains(r"/dev/")).list.any()
    fb = cmds.filter(
        pl.col("program").is_in(["echo", "printf"]) & (pl.col("operator") == "||") & pl.col("_gprog").is_not_null()
        & ~pl.col("_gprog").is_in(_QUESTIONS) & (pl.col("context") != "substitution").fill_null(True)
        & ~to_file.fill_null(False)
    )
    if fb.is_empty():
        return empty
    gargv = pl.col("_gargv")
    gprog = pl.col("_gprog")
    first = gargv.list.get(0, null_on_oob=True).fill_null("")
    under_timeout = pl.col("_gwrap").list.contains("timeout").fill_null(False) | (gprog == "timeout")
    msg = pl.col("_msg")
    fb = fb.with_columns(_message().alias("_msg")).with_columns(
        _message_regex(msg).alias("_re"),
        (msg.str.replace_all(r"\$\{[^}]*\}|\$\([^)]*\)|\$\w+|`[^`]*`", "").str.replace_all(r"[\W_]", "")
         .str.len_chars() >= 3).alias("_literal"),
    ).filter(pl.col("_literal") & (msg.str.contains(FAILURE_MESSAGE) | under_timeout))
    if fb.is_empty():
        return empty
    python = gprog.str.contains(r"^(python|pypy)[0-9.]*$").fill_null(False)
    module_check = (
        python & (gargv.list.contains("-c") & pl.col("_gcode").str.contains(r"\bimport\b|__import__").fill_null(False)
                  # python -m X alone or asking for its version: does the module exist?
                  | (first == "-m") & ((gargv.list.len() == 2) | (gargv.list.len() == 3)
                                       & gargv.list.get(2, null_on_oob=True).is_in(_VERSION_ARGS)))
        | gprog.str.contains(r"^pip[0-9.]*$").fill_null(False) & (first == "show")
        | gprog.is_in(["node", "nodejs"]) & pl.col("_gcode").str.contains(r"require\(").fill_null(False)
    )
    lookup = gprog.is_in(_LOOKUPS) | gargv.list.eval(el.is_in(_VERSION_ARGS)).list.any().fill_null(False) & (
        gargv.list.len() == 1)
    kind = (
        pl.when(msg.str.contains(_PERM_MESSAGE)).then(pl.lit("perm"))
        .when(msg.str.contains(_TIMEOUT_MESSAGE)).then(pl.lit("timeout"))
        .when(module_check).then(pl.lit("module"))
        .when(lookup).then(pl.lit("cmd"))
        .when(gprog.is_in(_PATH_READERS)).then(pl.lit("file"))
        .when(gprog.is_in(_NET_CLIENTS) & msg.str.contains(_NET_MESSAGE)).then(pl.lit("network"))
        .when(under_timeout & ~msg.str.contains(FAILURE_MESSAGE)).then(pl.lit("timeout"))
        .otherwise(pl.lit("other"))
    )
    fb = fb.select("trial_id", pl.col("seq").cast(pl.Int32).alias("action_seq"), kind.alias("kind"), "_msg", "_re")
    obs = frames.observations.select("trial_id", pl.col("seq").cast(pl.Int32), pl.col("action_seq").cast(pl.Int32),
                                     "text")
    hit = obs.join(fb, on=["trial_id", "action_seq"], how="inner").filter(
        pl.col("text").str.contains(pl.col("_re")).fill_null(False))
    if hit.is_empty():
        return empty
    char_start = char_find(pl.col("text"), pl.col("_re"))
    return hit.select(
        "trial_id", "seq", "kind", pl.col("_msg").str.slice(0, EVIDENCE_CHARS).alias("evidence"),
        char_start.cast(pl.Int32).alias("span_start"),
        (char_start + pl.col("_msg").str.len_chars()).cast(pl.Int32).alias("span_end"),
    ).unique(subset=["trial_id", "seq", "kind"], keep="first", maintain_order=True)


def reports_of(frames: "Frames", kind: str) -> pl.DataFrame:
    """The fallback reports of one kind: trial_id, seq, evidence, span_start, span_end."""
    return fallback_reports(frames).filter(pl.col("kind") == kind).drop("kind")
