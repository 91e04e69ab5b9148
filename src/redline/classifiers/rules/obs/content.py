"""What a reading command shows is content, not a report: lines of a file the agent reads are
not its obstacles.

An action that only reads or lists (:func:`read_only_actions`) and shows a file's content
(``cat``, ``grep``, ``sed -n``, ``open``, ``search_dir``: :func:`content_reading_actions`; not a
listing such as ``ls``, ``file`` or ``stat``, whose lines are about the files) prints the file's
lines: ``grep -rn 'No such file' src/``, or ``cat README.md`` quoting ``[Errno 98] Address
already in use``, reports nothing about the agent's own step. What such an action says about its
own run is a line the reading program or the shell prints under its own name (``cat: x: No such
file or directory``, ``bash: cd: /x: No such file or directory``, ``ls: cannot access ...``) or
a scaffold's message (``File x not found``,
``Usage: ...``): :func:`without_read_content` keeps those lines and blanks the others with
spaces (offsets kept, as :mod:`.noise` does). A log is the exception: reading the log of a
process the agent started (``cat server.log``, ``tail nohup.out``) is how it learns that the
process failed, so the output of an action that reads a log (:data:`LOG_PATH`) stays whole.
"""

from __future__ import annotations

import polars as pl

from ...answers import known_column
from ...distinct import exploded
from ...frames import per_batch
from ...matching import distinct_commands, step_rows

#: programs whose output is file contents or listings: their text is data, not a failure
READ_ONLY_PROGRAMS = [
    "cat", "head", "tail", "less", "more", "nl", "sed", "grep", "egrep", "fgrep", "rg", "ag", "ack", "find",
    "ls", "tree", "wc", "sort", "uniq", "cut", "awk", "echo", "printf", "cd", "pwd", "diff", "cmp", "file",
    "stat", "du", "which", "type", "whereis", "xxd", "od", "hexdump", "strings", "objdump", "readelf", "nm",
    "jq", "open", "goto", "scroll_up", "scroll_down", "search_file", "search_dir", "find_file", "view",
    "true", "column", "tr", "basename", "dirname", "realpath", "readlink", "printenv", "date", "whoami",
    "id", "hostname", "uname", "tac", "fold", "fmt", "paste", "join", "comm",
]
READ_ONLY_GIT = ["log", "show", "diff", "status", "grep", "blame", "ls-files"]


_FIRST_WORD = pl.col("argv").list.eval(pl.element().filter(~pl.element().str.starts_with("-"))).list.get(
    0, null_on_oob=True)
#: a command that only reads or lists
_READS = (
    pl.col("program").is_in(READ_ONLY_PROGRAMS)
    & ~((pl.col("program") == "sed") & pl.col("argv").list.eval(pl.element().str.starts_with("-i")).list.any())
    & ~pl.col("redirects").list.eval(pl.element().str.contains(r"^\d*>")).list.any().fill_null(False)
    | (pl.col("program") == "git") & _FIRST_WORD.is_in(READ_ONLY_GIT).fill_null(False)
).fill_null(False)


@per_batch
def read_only_actions(frames) -> pl.DataFrame:
    """Actions whose every parsed command only reads or lists (cat, grep, sed -n, open...)."""
    cmds = frames.commands
    if cmds.is_empty():
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "action_seq": pl.Int32})
    # (whether a command only reads is a matter of its content: found once per distinct command,
    # and answered once per command for the run: :func:`~redline.classifiers.answers.known_column`)
    read_only = exploded(known_column(distinct_commands(frames), _READS, "_rows"))
    mask = pl.repeat(False, cmds.height, dtype=pl.Boolean, eager=True).scatter(read_only, True)
    # a step only reads where none of its rows does more (every step has a row): by the batch's
    # steps (:func:`step_rows`), not a grouping of the rows by their keys of its own
    step_of, of_step = step_rows(frames)
    other = step_of.filter(~mask).unique()
    reading = pl.repeat(True, len(of_step), dtype=pl.Boolean, eager=True).scatter(other, False)
    return cmds.select("trial_id", pl.col("seq").cast(pl.Int32).alias("action_seq"))[
        of_step.filter(reading).list.first()]


#: reading programs whose output is a file's content (not a listing of names, counts or types)
CONTENT_READERS = [
    "cat", "head", "tail", "less", "more", "nl", "sed", "grep", "egrep", "fgrep", "rg", "ag", "ack", "awk", "sort",
    "uniq", "cut", "diff", "xxd", "od", "hexdump", "strings", "objdump", "readelf", "nm", "jq", "open", "goto",
    "scroll_up", "scroll_down", "search_file", "search_dir", "view", "column", "tr", "tac", "fold", "fmt", "paste",
    "join", "comm", "git",
]
#: a path that names a log or a captured output (``server.log``, ``nohup.out``, ``/var/log/...``,
#: ``logs/run.txt``, ``output.txt``)
LOG_PATH = (
    r"(?i)(?:\.(?:log|out|err)(?:\.\d+)?$|(?:^|/)(?:var/log|logs?)/|"
    r"(?:^|[/_.-])(?:log|logs|out|output|stdout|stderr|err|errors?)(?:[_.-][^/]*)?\.txt$)"
)
#: shells and wrappers whose own messages may stand in a reading action's output
_OWN_PREFIXES = ["bash", "sh", "dash", "zsh", "ksh", "ash", "busybox", "sudo", "env", "xargs", "timeout", "git"]
#: a line the reading program, the shell or the scaffold printed about the run itself
OWN_LINE = (
    r"^[ \t]*-?(?:[\w./-]*/)?(?:" + "|".join(sorted({*READ_ONLY_PROGRAMS, *_OWN_PREFIXES}, key=lambda p: (-len(p), p)))
    + r")(?:\[\d+\])?: |^(?:fatal|error): |^(?:File|Directory) [^\n]* not found\s*$|^[Uu]sage: |^Error: |"
    r"^Try '[^\n']+ --help'"
)


@per_batch
def content_reading_actions(frames) -> pl.DataFrame:
    """Actions that only read (:func:`read_only_actions`), show some file's content
    (:data:`CONTENT_READERS`) and read no log (:data:`LOG_PATH`)."""
    cmds = frames.commands
    if cmds.is_empty():
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "action_seq": pl.Int32})
    keys = ["trial_id", "action_seq"]
    names_log = pl.col("argv").list.eval(pl.element().str.contains(LOG_PATH)).list.any().fill_null(False)
    readers = cmds.filter(pl.col("program").is_in(CONTENT_READERS).fill_null(False)).select(
        "trial_id", pl.col("seq").cast(pl.Int32).alias("action_seq"), names_log.alias("_log"))
    if readers.is_empty():
        return readers.select(keys)
    logs = readers.filter("_log").select(keys)
    return (read_only_actions(frames).join(readers.select(keys).unique(), on=keys, how="semi")
            .join(logs, on=keys, how="anti"))


def without_read_content(observations: pl.DataFrame, frames) -> pl.DataFrame:
    """``observations`` with the content lines of reading actions blanked (their own messages
    kept, logs kept whole, offsets kept)."""
    if observations.is_empty():
        return observations
    reading = content_reading_actions(frames)
    if reading.is_empty():
        return observations
    keys = observations.select("trial_id", pl.col("action_seq").cast(pl.Int32))
    is_read = keys.join(reading.with_columns(pl.lit(True).alias("_read")), on=["trial_id", "action_seq"],
                        how="left", maintain_order="left")["_read"].fill_null(False)
    if not is_read.any():
        return observations
    return blank_lines(observations, is_read, OWN_LINE, keep=True)


def blank_lines(df: pl.DataFrame, rows: pl.Series, pattern: str, *, keep: bool = False,
                text: str = "text") -> pl.DataFrame:
    """``df`` with, in the rows ``rows`` selects, every line of ``text`` that matches ``pattern``
    (``keep``: that does not match it) replaced by as many spaces: offsets kept. Only those
    rows are split into lines, and of them only those where ``pattern`` matches somewhere
    (a line's match is one in the whole text, ``^`` and ``$`` at its line's ends). A row where
    it matches nowhere is left as it is, or, with ``keep``, made as many spaces as it has
    characters (its line breaks with them: a row no rule can match, made without splitting it,
    about fifty times faster than a space for each character by a regex replacement)."""
    index = rows.arg_true()
    if index.is_empty():
        return df
    el = pl.element()
    hit = el.str.contains(pattern)
    by_line = pl.col(text).str.split("\n").list.eval(
        pl.when(~hit if keep else hit).then(el.str.replace_all(r".", " ")).otherwise(el)).list.join("\n")
    chosen = df[index]
    somewhere = chosen.select(pl.col(text).str.contains("(?m)" + pattern).fill_null(False)).to_series()
    new = chosen.get_column(text).clone()
    if somewhere.any():
        new = new.scatter(somewhere.arg_true(), chosen.filter(somewhere).select(by_line).to_series())
    if keep and not somewhere.all():
        nowhere = ~somewhere
        new = new.scatter(nowhere.arg_true(), chosen.filter(nowhere).select(
            pl.lit("").str.pad_end(pl.col(text).str.len_chars(), " ")).to_series())
    column = df.get_column(text).clone().scatter(index, new)
    return df.with_columns(column)
