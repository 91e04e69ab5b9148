"""Observations that something the action needed is not there: a program, a file, a library, a
package version that fits (OBS-CMD-MISSING, OBS-FILE-MISSING, OBS-MODULE-MISSING,
OBS-DEP-CONFLICT).

OBS-CMD-MISSING compares a shell's ``X: No such file or directory`` with the programs the action
ran: the program itself missing is a missing command; any other path is a missing file.
"""

from __future__ import annotations

import polars as pl

from ...distinct import filter_rows
from ...expressions import filtered, over_rows
from ...rule import Rule, output
from .content import blank_lines
from .outputs import matching, reported_observations, text_matches, with_evidence, with_fallbacks, without_bus_lines

# ----------------------------------------------------------------------------- OBS-CMD-MISSING

#: messages in which "No such file or directory" is about the program run, not a file it was
#: given: a wrapper, make, an interpreter line or Python's subprocess could not start it
PROGRAM_NO_SUCH_FILE = [
    r"executable file not found in \$?PATH",
    r"(?m)^(?:/usr/bin/)?env: '?[^\n':]+'?: No such file or directory",
    r"(?m)^(?:timeout|nohup|nice|xargs|setsid|stdbuf|time|sudo|exec): (?:failed to run command |unable to execute )?'?[^\n']+'?: No such file or directory",
    r"(?m)^make(?:\[\d+\])?: [\w+-]+: No such file or directory",
    r"(?m)^make(?:\[\d+\])?: [\w+-]+: Command not found",
    r"bad interpreter: No such file or directory",
]
#: Python's subprocess could not start the program (the traceback ends in ``_execute_child``)
SUBPROCESS_NO_PROGRAM = (
    r"in _execute_child\n(?:[^\n]*\n){1,4}?(?:[\w.]+\.)?FileNotFoundError: \[Errno 2\] No such file or directory: '[^'\n]+'"
)
#: shell messages that always mean a program could not be found
CMD_MISSING_PATTERNS = [
    r"(?m)^[^\n]{0,300}: command not found\s*$",
    r"(?m)command not found: [\w./+-]+\s*$",
    r"(?m)^(?:/(?:usr/)?bin/)?(?:ba|da|z|k|a)?sh: (?:line )?\d+: [^\n:]+: not found\s*$",
    r"(?m)^(?:/(?:usr/)?bin/)?(?:ba|da|z|k|a)?sh: [^\n:]+: not found\s*$",
    # Ubuntu's command-not-found handler, fish, busybox
    r"(?m)^Command '[^'\n]+' not found",
    r"(?m)^fish: Unknown command:? ",
    r"(?m)^[\w.-]+: applet not found\s*$",
    # a service that is not installed
    r"(?m): unrecognized service\s*$", r"Unit [\w@.-]+\.service not found",
    *PROGRAM_NO_SUCH_FILE,
    SUBPROCESS_NO_PROGRAM,
    r"spawn \S+ ENOENT",
]
#: a shell saying a path it tried to run (or open) is missing: group 1 is the path
SHELL_NO_SUCH_FILE = (
    r"(?m)^(?:/(?:usr/)?bin/)?(?:ba|da|z|k|a)?sh: (?:line \d+: |\d+: )?([^\n:]+): No such file or directory"
)


def _program_missing_by_path(frames) -> pl.DataFrame:
    """Observations whose shell 'X: No such file or directory' names a program the action ran."""
    missing = pl.col("text").str.extract(SHELL_NO_SUCH_FILE, 1).str.strip_chars()
    obs = over_rows(filter_rows(frames, reported_observations(frames), missing.is_not_null()),
                    lambda rows: rows.with_columns(missing.alias("_missing")))
    if obs.is_empty():
        return obs.select("trial_id", "seq")
    cmds = frames.commands.select(
        "trial_id", pl.col("seq").alias("action_seq"), "path", "program").filter(pl.col("path").is_not_null())
    # the program as written (./start.sh) or as a name run from PATH (foo)
    hit = obs.join(cmds, on=["trial_id", "action_seq"], how="inner").filter(
        (pl.col("path") == pl.col("_missing"))
        | (pl.col("path").str.strip_prefix("./") == pl.col("_missing").str.strip_prefix("./")))
    return hit.select("trial_id", "seq").unique(maintain_order=True)


def _cmd_missing(frames) -> pl.DataFrame:
    obs = reported_observations(frames)
    by_text = filter_rows(frames, obs, pl.any_horizontal([text_matches(p) for p in CMD_MISSING_PATTERNS]))
    parts = [with_evidence(by_text, CMD_MISSING_PATTERNS)]
    by_path = _program_missing_by_path(frames)
    if not by_path.is_empty():
        rows = obs.join(by_path, on=["trial_id", "seq"], how="semi")
        parts.append(with_evidence(rows, [SHELL_NO_SUCH_FILE]))
    found = pl.concat(parts).unique(subset=["trial_id", "seq"], keep="first", maintain_order=True)
    return with_fallbacks(found, frames, "cmd")


OBS_CMD_MISSING = Rule(
    id="OBS-CMD-MISSING", name="command-not-found", on="observation",
    summary="A program could not be found (command not found, the program's own path missing).",
    custom=_cmd_missing,
    hits=({"text": "ffmpeg not found", "exit_code": 0, "command": "which ffmpeg || echo 'ffmpeg not found'"},
          {"text": "no redis", "command": "redis-server --version >/dev/null 2>&1 || echo 'no redis'"},
          "/bin/bash: line 6: netstat: command not found",
          "/bin/sh: 1: curl: not found",
          "zsh: command not found: lsof",
          {"text": "bash: ./start.sh: No such file or directory", "command": "./start.sh --port 8001"},
          {"text": "bash: line 1: /opt/agent/run.sh: No such file or directory",
           "command": "nohup /opt/agent/run.sh > log.txt 2>&1 &"},
          {"text": "bash: ./serve: No such file or directory", "command": "sudo bash -c './serve'"},
          "/usr/bin/env: 'python': No such file or directory",
          'docker: Error response from daemon: exec: "uvicorn": executable file not found in $PATH.',
          "timeout: failed to run command 'vllm': No such file or directory",
          "/bin/sh: ps: not found",
          "Command 'docker' not found, but can be installed with:\nsnap install docker",
          {"text": "make: gcc: No such file or directory\nmake: *** [Makefile:4: main.o] Error 127", "command": "make"},
          {"text": "  File \"/usr/lib/python3.11/subprocess.py\", line 1950, in _execute_child\n"
                   "    raise child_exception_type(errno_num, err_msg, err_filename)\n"
                   "FileNotFoundError: [Errno 2] No such file or directory: 'ss'",
           "command": "python3 -c \"import subprocess; subprocess.run(['ss', '-tlnp'])\""}),
    misses=({"text": "/usr/bin/ffmpeg", "exit_code": 0, "command": "which ffmpeg || echo 'ffmpeg not found'"},
            {"text": "no", "command": "[ -f /tmp/flag ] && echo yes || echo no"},
            {"text": "No override", "command": "grep -n 'def save' models.py || echo 'No override'"},
            {"text": "bash: line 1: notes.txt: No such file or directory", "command": "cat < notes.txt"},
            "cat: start.sh: No such file or directory",
            "grep: command not found in this file",
            "which: no netstat in (/usr/bin:/bin)",
            'echo "if the tool is missing you get: command not found" > notes.md'),
    doc="""What it finds: outputs saying a program could not be found: bash/zsh 'command not
found', dash's 'sh: 1: X: not found', 'executable file not found in $PATH', wrappers that could
not run their command (env, timeout, nohup, xargs, make), Ubuntu's "Command 'X' not found", busybox's
'applet not found', Python's subprocess failing to start a program, a bad interpreter line, and a shell's
'X: No such file or directory' when X is the program the action ran (compared with the parsed
command's path, so './start.sh' missing is this label while a missing redirect target is
OBS-FILE-MISSING).
Also the message of a fallback that ran after a program lookup (`which X || echo 'X not
found'`, `X --version || echo 'no X'`).

Why it matters: missing tools (netstat, lsof, ps, sudo, curl) are a recurring obstacle in
container sandboxes; the agent's workaround (install it, write its own, search) is the episode.

Known false positives: a program that prints the phrase as a line of its own output (a test
suite checking shell messages).""",
)

# ----------------------------------------------------------------------------- OBS-FILE-MISSING

FILE_MISSING_PATTERNS = [
    r"(?i)no such file(?: or directory)?",
    r"(?m)^\s*(?:[\w.]+\.)?FileNotFoundError\b|FileNotFoundError: \[Errno",
    r"(?i)cannot access '?[^\n]*'?: No such",
    # (a program that cannot open a path for another reason, permission or a directory, is not this)
    r"can't open file[^\n]*\[Errno 2\]",
    r"(?m)^[\w./-]+: cannot (?:open|stat|access|read)\b[^\n]*(?:No such|not found|does not exist)",
    r"(?m)^[\w./-]+: can't (?:open|read|stat)\b[^\n]*(?:No such|not found|does not exist)",
    r"ENOENT",
    r"(?i)\b(?:file|directory|folder|path) [^\n]{0,200}?(?:does not|doesn't) exist",
    r"(?i)(?:^|\n)(?:Error: )?File [^\n]{1,300} not found",
    r"(?i)\b(?:file|directory) not found\b",
    r"pathspec '[^\n']*' did not match any file",
    r"(?m): Not a directory\s*$",
    r"(?m)^[^\n]*: can't cd to ",
    r"cannot find or open ",
]
#: lines whose "No such file or directory" is explained by another obstacle: the program itself
#: (:data:`PROGRAM_NO_SUCH_FILE`), a library or header (OBS-MODULE-MISSING), or the socket of a
#: server that is not running
EXPLAINED_NO_SUCH_FILE = "|".join([
    *PROGRAM_NO_SUCH_FILE, r"cannot open shared object file", r"cannot find -l\S+",
    r"fatal error: [\w./+-]+\.h(?:pp)?: No such file or directory",
    r"(?i:connect[^\n]{0,40} (?:to )?(?:server on )?socket[^\n]*: No such file or directory)",
]).replace("(?m)^", "^")
_SUBPROCESS_EXCEPTION = r"^(?:[\w.]+\.)?FileNotFoundError: \[Errno 2\] No such file or directory: '[^'\n]+'\s*$"


def _without_explained(obs: pl.DataFrame) -> pl.DataFrame:
    """``obs`` with the lines blanked whose missing file is the program, a library or a socket
    (:data:`EXPLAINED_NO_SUCH_FILE`, and the exception of a subprocess that could not start)."""
    obs = blank_lines(obs, obs.select(text_matches("(?m)" + EXPLAINED_NO_SUCH_FILE)).to_series(),
                      EXPLAINED_NO_SUCH_FILE)
    return blank_lines(obs, obs.select(text_matches(SUBPROCESS_NO_PROGRAM)).to_series(), _SUBPROCESS_EXCEPTION)


def _file_missing(frames) -> pl.DataFrame:
    # a missing D-Bus socket ("Failed to connect to bus: No such file or directory") is not a file
    # the agent referred to
    obs = _without_explained(without_bus_lines(reported_observations(frames), "text", "text"))
    no_such = pl.col("text").str.count_matches(FILE_MISSING_PATTERNS[0]).fill_null(0)
    others = pl.any_horizontal([text_matches(p) for p in FILE_MISSING_PATTERNS[1:]])
    by_path = _program_missing_by_path(frames).with_columns(pl.lit(True).alias("_prog"))
    cand = filter_rows(frames, obs, text_matches(FILE_MISSING_PATTERNS[0]) | others)
    cand = cand.join(by_path, on=["trial_id", "seq"], how="left").with_columns(
        pl.col("_prog").fill_null(False))
    # the program's own path missing is OBS-CMD-MISSING (wrappers failing to run a program are
    # blanked above)
    only_program = pl.col("_prog") & (no_such <= 1) & ~others
    keep = filtered(cand, ~only_program)
    return with_fallbacks(with_evidence(keep, FILE_MISSING_PATTERNS), frames, "file")


OBS_FILE_MISSING = Rule(
    id="OBS-FILE-MISSING", name="file-not-found", on="observation",
    summary="A file or directory the agent referred to does not exist.",
    custom=_file_missing,
    hits=({"text": "no weights yet", "exit_code": 0, "command": "ls weights/ 2>/dev/null || echo 'no weights yet'"},
          "cat: robot_control.py: No such file or directory",
          "ls: cannot access '/opt/model': No such file or directory",
          "python3: can't open file '/app/start.py': [Errno 2] No such file or directory",
          "cat: can't open 'missing.txt': No such file or directory",
          "FileNotFoundError: [Errno 2] No such file or directory: 'config.yaml'",
          "File src/app.py not found",
          {"text": "bash: line 1: input.txt: No such file or directory", "command": "sort < input.txt"},
          "error: pathspec 'setup.py' did not match any file(s) known to git",
          "/root/ctf_files/*: cannot open `/root/ctf_files/*' (No such file or directory)",
          "strings: 'flash.img': No such file",
          "ERROR: failed to solve: failed to read dockerfile: open Dockerfile: no such file or directory"),
    misses=({"text": "bash: ./start.sh: No such file or directory", "command": "./start.sh"},
            "/bin/sh: 1: curl: not found",
            "total 0\n-rw-r--r-- 1 root root 0 x.txt",
            "Found 3 matches for \"open\" in /repo/src",
            "/usr/bin/env: 'python': No such file or directory",
            # the missing file is a library, a header or the program itself
            "./server: error while loading shared libraries: libssl.so.3: cannot open shared object file: "
            "No such file or directory",
            "main.c:1:10: fatal error: openssl/ssl.h: No such file or directory",
            'OCI runtime exec failed: exec: "curl": executable file not found in $PATH: unknown',
            # a path that exists but cannot be opened
            "ls: cannot open directory '/root': Permission denied",
            "python3: can't open file '/root/x.py': [Errno 13] Permission denied",
            # source code the agent searches
            {"text": "django/db/utils.py:88:    # the database file does not exist yet", "exit_code": 0,
             "command": "grep -rn 'does not exist' django/db/"}),
    doc="""What it finds: outputs saying a file or directory does not exist: 'No such file or
directory' (unless it is the program itself, see OBS-CMD-MISSING), FileNotFoundError,
'cannot access', "can't open file", ENOENT, a scaffold's 'File X not found', git's 'pathspec
... did not match'. A "No such file or directory" that another obstacle explains is not this label:
the program itself (OBS-CMD-MISSING), a shared library, a linked library or a header
(OBS-MODULE-MISSING), the socket of a server that is not running. What a reading action shows
of a file (a grep hit in source code, a README quoting the error) is content, not a report: only
the reading program's own lines count ('cat: x: No such file or directory'), unless it reads a
log.
Also the message of a fallback that ran after reading or listing a path (`ls f 2>/dev/null ||
echo 'no f'`).

Why it matters: the agent acts on a wrong idea of the file system; the next steps (search,
create the file) show how it recovers.

Known false positives: a listing or log the agent reads that contains the phrase; a check such
as `ls x 2>/dev/null || ...` whose message still reaches the output.""",
)

# ----------------------------------------------------------------------------- OBS-MODULE-MISSING

MODULE_MISSING_PATTERN = (
    r"(?m)(^\s*(?:[\w.]+\.)?(?:ModuleNotFoundError|ImportError)\b|No module named\b|cannot find -l\S+|"
    r"Cannot find module\b|ERR_MODULE_NOT_FOUND|error while loading shared libraries|"
    r"was not found in the pkg-config search path|Can't locate \S+\.pm in @INC|"
    r"cannot load such file|no required module provides package|cannot find package|"
    r"fatal error: [\w./+-]+\.h(?:pp)?: No such file or directory|use of undeclared crate or module|"
    r"can't find crate for)"
)

OBS_MODULE_MISSING = Rule(
    id="OBS-MODULE-MISSING", name="library-not-found", on="observation",
    summary="A library or module is missing (ModuleNotFoundError, ImportError, cannot find -l...).",
    custom=lambda frames: with_fallbacks(matching(frames, output(MODULE_MISSING_PATTERN)), frames, "module"),
    hits=({"text": "torch missing", "exit_code": 0,
           "command": "python3 -c 'import torch' 2>/dev/null || echo 'torch missing'"},
          "ModuleNotFoundError: No module named 'asgiref'",
          "/opt/miniconda3/bin/python: No module named pytest",
          "ImportError: You appear to be trying to import astropy from within a source checkout",
          "/usr/bin/ld: cannot find -lssl",
          "Error: Cannot find module 'express'",
          "python3: error while loading shared libraries: libpython3.11.so.1.0: cannot open shared object file",
          "error[E0432]: unresolved import `serde`\n  |     ^^^^^ use of undeclared crate or module `serde`"),
    misses=(# the recording harness's own traceback, interleaved in the output of a command that runs no Python
            {"text": "Traceback (most recent call last):\n  File \"/opt/rec/lib/python3.12/site-packages/rec/log.py\", "
                     "line 9, in <module>\n    import backoff\nModuleNotFoundError: No module named 'backoff'\n"
                     "total 4\n-rw-r--r-- 1 root root 12 notes.txt", "exit_code": 0, "command": "ls -l"},
            {"text": "torch ok", "exit_code": 0,
             "command": "python3 -c 'import torch; print(\"torch ok\")' 2>/dev/null || echo 'torch missing'"},
            "try:\n    import yaml\nexcept ImportError:\n    yaml = None",
            "Successfully installed numpy-1.26.4",
            "import numpy as np",
            "Requirement already satisfied: torch in /usr/lib/python3/dist-packages"),
    doc="""What it finds: outputs saying a library or module is missing: Python's
ModuleNotFoundError / ImportError / 'No module named', the linker's 'cannot find -lX', Node's
'Cannot find module', missing shared libraries, pkg-config, Perl, Ruby and Go equivalents, a
missing C header.
Also the message of a fallback that ran after an import check (`python -c 'import x' ||
echo 'x missing'`, `python -m x --version || echo ...`).

Why it matters: the agent usually answers with an install (RES-INSTALL), sometimes with a
workaround that changes what it runs.

Known false positives: ImportError raised by the code under test for another reason ('cannot
import name' after the agent's own edit); source code the agent reads whose lines start with
the exception name.""",
)

# ----------------------------------------------------------------------------- OBS-DEP-CONFLICT

DEP_PATTERN = (
    r"(ResolutionImpossible|conflicting dependencies|dependency conflicts|requires [^\n]{1,200}, but you have|"
    r"which is incompatible|externally-managed-environment|No matching distribution found|"
    r"Could not find a version that satisfies|Unable to locate package|has no installation candidate|"
    r"unmet dependencies|\bERESOLVE\b|version solving failed|Could not resolve dependencies|"
    r"requires a different Python|is not a supported wheel on this platform|UnsatisfiableError|"
    r"PackagesNotFoundError|Found conflicts!|Cannot install [^\n]{1,200} because these package versions|"
    # uv, apk, dnf/yum
    r"No solution found when resolving dependencies|requirements are unsatisfiable|unable to select packages|"
    r"\(no such package\)|No match for argument|Unable to find a match|"
    # npm, yarn, cargo, gem: no such package or version
    r"No matching version found for|is not in this registry|Couldn't find package \"[^\"\n]+\" on the \"npm\" registry|"
    r"could not be found in registry index|failed to select a version for|no matching package named|"
    r"Could not find a valid gem)"
)

OBS_DEP_CONFLICT = Rule(
    id="OBS-DEP-CONFLICT", name="dependency-problem", on="observation",
    summary="Package resolution fails or versions conflict.",
    custom=lambda frames: matching(frames, output(DEP_PATTERN)),
    hits=("ERROR: Could not find a version that satisfies the requirement erfa (from versions: none)\n"
          "ERROR: No matching distribution found for erfa",
          "ERROR: Cannot install torch==2.0 and torchvision==0.18 because these package versions have conflicting dependencies.",
          "error: externally-managed-environment",
          "transformers 4.40 requires tokenizers<0.20,>=0.19, but you have tokenizers 0.15.0 which is incompatible.",
          "E: Unable to locate package python3-nmap",
          "npm ERR! code ERESOLVE",
          "  × No solution found when resolving dependencies:\n  ╰─▶ Because there is no version of torch==1.4 ...",
          "ERROR: unable to select packages:\n  netstat (no such package):",
          "No match for argument: lsof\nError: Unable to find a match: lsof"),
    misses=("Successfully installed requests-2.32.3", "Requirement already satisfied: six",
            "Collecting numpy\n  Downloading numpy-2.0.0.whl (19 MB)", "0 upgraded, 1 newly installed"),
    doc="""What it finds: package manager outputs showing that resolution failed or versions
conflict: pip's ResolutionImpossible, 'No matching distribution', 'Could not find a version that
satisfies', 'requires X, but you have Y', PEP 668's externally-managed-environment, apt's
'Unable to locate package' and unmet dependencies, npm's ERESOLVE, conda's UnsatisfiableError,
uv's unsatisfiable requirements, apk's 'unable to select packages', dnf's 'No match for argument'.

Why it matters: dependency fights consume many steps and push agents to force installs, pick
other versions or break the environment.

Known false positives: 'No matching distribution' caused by having no network access to the
index (the package exists, the sandbox is offline).""",
)
