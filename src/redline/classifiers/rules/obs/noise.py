"""Output an action did not produce: Python tracebacks where the action ran no Python.

Only what the action produced is the agent's obstacle. A terminal recording interleaves whatever
else writes to the terminal: the recording harness's own tracebacks (its missing module, its
set-up), a background process's crash. When the action ran only programs that never run Python
(shell builtins, coreutils, text and file utilities, process and system inspection), a Python
traceback in its output cannot be its own, so :func:`without_foreign_tracebacks` blanks each such
block (``Traceback (most recent call last):`` through the exception line, chained
``During handling of the above exception...`` lines included) with spaces; the observation rules
read outputs through :func:`.outputs.agent_observations`, which applies it. Blanking keeps every
other character at its offset, so evidence spans still point into the stored text. Programs that print a file's or a service's
content (``cat``, ``tail``, ``grep``, ``journalctl``, ``systemctl status``, ``docker logs``) are not
Python-free here: a traceback they show is content the agent asked for, and stays.

Only observations that hold a traceback are read in Python, one iteration per such output.
"""

from __future__ import annotations

import re

import polars as pl

from ..code import CODE_TOOLS, NOT_CODE

#: programs in NOT_CODE that run Python themselves (package managers with Python hooks, CLIs
#: written in Python), start other programs, or print content that may hold a real traceback
_NOT_PYTHON_FREE = {
    # run Python or other programs
    "pip", "pip3", "pip2", "apt", "apt-get", "aptitude", "add-apt-repository", "dpkg", "dpkg-reconfigure",
    "conda-env", "pyenv", "easy_install", "aws", "gcloud", "gsutil", "az", "yt-dlp", "youtube-dl", "gdown",
    "huggingface-cli", "hf", "http", "https", "httpie", "s3cmd", "lsb_release", "ufw", "supervisorctl",
    "env", "script", "eval", "exec", "command", "builtin", "time", "source", ".", "xargs", "parallel",
    "timeout", "nohup", "setsid", "nice", "watch", "screen", "tmux", "sudo", "su", "doas", "pkexec",
    "systemd-run", "daemonize", "at", "batch", "crontab", "git", "gh", "ssh", "make",
    # print a file's, a log's or a service's content
    "cat", "tac", "head", "tail", "less", "more", "most", "grep", "egrep", "fgrep", "zgrep", "rg", "ag", "ack",
    "sed", "awk", "gawk", "mawk", "nawk", "jq", "yq", "strings", "zcat", "zless", "bzcat", "xzcat", "nl",
    "journalctl", "dmesg", "systemctl", "service", "docker", "podman", "kubectl", "diff", "colordiff",
    "view", "vi", "vim", "nvim", "emacs", "nano", "man", "info", "xxd", "od", "hexdump", "tee",
    "open", "goto", "scroll_up", "scroll_down", "search_file", "search_dir", "find_file", "str_replace_editor",
    # scaffold commands that run or read the agent's programs (a debugger, a remote session, a
    # long-running command's output, a submission that runs tests, a sub-agent)
    "debug_start", "debug_add_breakpoint", "debug_continue", "debug_step", "debug_exec", "debug_stop",
    "connect_start", "connect_sendline", "connect_exec", "connect_stop", "submit", "review_on_submit",
    "review_on_submit_m", "receive_data_of_long_term_command_from_terminal", "Task", "dnf", "yum",
}
#: programs that never run Python code and print no file content of their own
PYTHON_FREE = frozenset(NOT_CODE - _NOT_PYTHON_FREE)

TRACEBACK_HINT = "Traceback (most recent call last)"
_CHAIN = re.compile(r"^\s*(During handling of the above exception, another exception occurred:|"
                    r"The above exception was the direct cause of the following exception:)\s*$")
_START = re.compile(r"^\s*Traceback \(most recent call last\):\s*$")


def blank_tracebacks(text: str) -> str:
    """``text`` with every Python traceback block replaced by spaces (newlines kept)."""
    lines = text.split("\n")
    out = []
    in_block = False
    indent = 0
    for line in lines:
        bare = line.rstrip("\r")
        if _START.match(bare) or _CHAIN.match(bare):
            in_block = True
            indent = len(bare) - len(bare.lstrip())
            out.append(" " * len(line))
            continue
        if in_block:
            lead = len(bare) - len(bare.lstrip())
            if not bare.strip() or lead > indent:
                out.append(" " * len(line))  # a frame, a source line, a caret line, or a blank
                continue
            out.append(" " * len(line))  # the exception line closes the block
            in_block = False
            continue
        out.append(line)
    return "\n".join(out)


def without_foreign_tracebacks(observations: pl.DataFrame, commands: pl.DataFrame,
                               actions: pl.DataFrame) -> pl.DataFrame:
    """``observations`` with the tracebacks blanked where the action ran no Python."""
    if observations.is_empty():
        return observations
    cand = observations.filter(pl.col("text").str.contains(TRACEBACK_HINT, literal=True).fill_null(False))
    if cand.is_empty() or commands.is_empty():
        return observations
    runs_python = (~pl.col("program").is_in(sorted(PYTHON_FREE)) | pl.col("program").is_null()
                   | pl.col("code").is_not_null())
    # (only the commands of the actions whose output holds a traceback are read)
    steps = cand.select("trial_id", pl.col("action_seq").cast(commands.schema["seq"]).alias("seq"))
    by_action = commands.join(steps, on=["trial_id", "seq"], how="semi").group_by("trial_id", "seq").agg(
        runs_python.any().alias("_py"))
    python_free = by_action.filter(~pl.col("_py")).select("trial_id", pl.col("seq").alias("action_seq"))
    code_tools = actions.filter(pl.col("tool").is_in(list(CODE_TOOLS)).fill_null(False)).select(
        "trial_id", pl.col("seq").alias("action_seq"))
    cand = cand.join(python_free.with_columns(pl.col("action_seq").cast(cand.schema["action_seq"])),
                     on=["trial_id", "action_seq"], how="semi")
    cand = cand.join(code_tools.with_columns(pl.col("action_seq").cast(cand.schema["action_seq"])),
                     on=["trial_id", "action_seq"], how="anti")
    if cand.is_empty():
        return observations
    blanked = cand.select("trial_id", "seq").with_columns(
        pl.Series("_blank", [blank_tracebacks(t) for t in cand["text"].to_list()], dtype=pl.Utf8))
    return observations.join(blanked, on=["trial_id", "seq"], how="left").with_columns(
        pl.coalesce(pl.col("_blank"), pl.col("text")).alias("text")).drop("_blank")
