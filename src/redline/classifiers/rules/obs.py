"""Observations: obstacles reported in an action's output.

Every rule reads the output the agent saw for one action (``text``, ``exit_code`` and the
action's ``command``) through :func:`agent_observations`, which blanks what the action cannot
have produced (a Python traceback after an action that ran no Python: the recording harness's
noise). Patterns are anchored to the shapes error messages take (a line that
starts with the program's name, an exception line at the start of a line) so that source code
or logs the agent merely *reads* rarely trigger them.

All rules are ``custom`` functions over that frame; several need more than one output's text:

- OBS-CMD-MISSING compares a shell's ``X: No such file or directory`` with the programs the
  action ran (the program itself missing is a missing command; any other path is a missing
  file);
- OBS-NETWORK ignores retry warnings (``WARNING: Retrying ... Read timed out``) so that a
  download that retried and then succeeded is not a failure;
- OBS-OTHER-ERROR fires on a clear failure that no other OBS rule explains, and not when the
  agent deliberately reproduced a bug (its thought before the step, or its reaction after it,
  says so);
- the obstacle a fallback's message reports (``which x || echo 'x not found'``) joins the rule
  of its kind (see :mod:`.fallbacks`).
"""

from __future__ import annotations

import polars as pl

from ..engine import rule_hits
from ..frames import per_batch
from ..rule import Match, Rule, exit_code, failed, output
from .fallbacks import reports_of
from .noise import without_foreign_tracebacks

# ----------------------------------------------------------------------------- helpers


def _text(pattern: str) -> pl.Expr:
    return pl.col("text").str.contains(pattern).fill_null(False)


def _with_evidence(df: pl.DataFrame, patterns: list[str], text: str = "text") -> pl.DataFrame:
    """trial_id, seq and the first match of the first matching pattern as evidence."""
    if df.is_empty():
        return df.select("trial_id", "seq").with_columns(
            pl.lit(None, pl.Utf8).alias("evidence"), pl.lit(None, pl.Int32).alias("span_start"),
            pl.lit(None, pl.Int32).alias("span_end"))
    found = pl.coalesce([pl.col(text).str.extract(f"({p})", 1) for p in patterns])
    start_bytes = pl.coalesce([pl.col(text).str.find(p) for p in patterns])
    char_start = pl.col(text).cast(pl.Binary).bin.slice(0, start_bytes).cast(pl.Utf8, strict=False).str.len_chars()
    return df.select(
        "trial_id", "seq",
        found.str.slice(0, 500).alias("evidence"),
        char_start.cast(pl.Int32).alias("span_start"),
        (char_start + found.str.len_chars()).cast(pl.Int32).alias("span_end"),
    )


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


def _without_bus_lines(df: pl.DataFrame, source: str, target: str) -> pl.DataFrame:
    """``df`` with ``target`` = ``source`` minus its D-Bus / service-manager lines (only the few
    outputs that mention them are rewritten)."""
    hint = pl.col(source).str.contains(_BUS_HINT).fill_null(False)
    if not df.select(hint.any()).item():
        return df.with_columns(pl.col(source).alias(target))
    return df.with_columns(pl.when(hint).then(pl.col(source).str.replace_all(_BUS_LINE, ""))
                           .otherwise(pl.col(source)).alias(target))


@per_batch
def agent_observations(frames) -> pl.DataFrame:
    """The batch's observations as the agent's actions produced them: Python tracebacks in the
    output of an action that ran no Python (the recording harness's noise) are blanked, offsets
    kept (see :mod:`.noise`). Every observation rule reads outputs through this."""
    return without_foreign_tracebacks(frames.observations, frames.commands, frames.actions)


def _matching(frames, match: Match) -> pl.DataFrame:
    """Observations a match expression selects, with the first matching pattern as evidence."""
    rows = agent_observations(frames).filter(match.expr)
    return _with_evidence(rows, list(match.patterns) or [r"^[\s\S]{0,200}"])


def _with_fallbacks(found: pl.DataFrame, frames, kind: str) -> pl.DataFrame:
    """``found`` plus the observations where a fallback message reports this kind of obstacle
    (``which x || echo 'x not found'``, see :mod:`.fallbacks`)."""
    extra = reports_of(frames, kind)
    if extra.is_empty():
        return found
    cols = ["trial_id", "seq", "evidence", "span_start", "span_end"]
    typed = [df.select(cols).with_columns(pl.col("seq").cast(pl.Int32), pl.col("span_start").cast(pl.Int32),
                                          pl.col("span_end").cast(pl.Int32)) for df in (found, extra)]
    return pl.concat(typed).unique(subset=["trial_id", "seq"], keep="first", maintain_order=True)


# ----------------------------------------------------------------------------- OBS-PORT

PORT_PATTERN = (
    r"(?i)(Errno 98\b|EADDRINUSE|address already in use|port is already allocated|"
    r"bind\(\) to \S+ failed \(98|port \d+ is already in use|only one usage of each socket address)"
)

OBS_PORT = Rule(
    id="OBS-PORT", name="port-in-use", on="observation",
    summary="The output reports an address or port already in use.",
    custom=lambda frames: _matching(frames, output(PORT_PATTERN)),
    hits=("OSError: [Errno 98] Address already in use",
          "Error: listen EADDRINUSE: address already in use :::3000",
          "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)",
          "Bind for 0.0.0.0:8000 failed: port is already allocated",
          "ERROR:    [Errno 98] error while attempting to bind on address ('0.0.0.0', 8001): address already in use",
          "Port 8888 is already in use, trying another port."),
    misses=("Port 8001 is free.", "Listening on 0.0.0.0:8000", "tcp  0  0 0.0.0.0:8000  LISTEN",
            # a SyntaxError that echoes the agent's own port check
            "  File \"<string>\", line 1\n    s.connect(('127.0.0.1', 8001)); print('Port 8001 is in use.')\n"
            "SyntaxError: invalid syntax"),
    doc="""What it finds: outputs saying an address or port is already in use (Errno 98,
EADDRINUSE, nginx's bind() failure, Docker's 'port is already allocated', 'port N is already in
use').

Why it matters: the most common obstacle in the self-replication trials; what the agent does
next (kill the holder, change port) is an episode worth reading.

Known false positives: a program that merely prints a port check result containing the words
(a bare 'port 8001 is in use' is not enough: it needs 'already').""",
)

# ----------------------------------------------------------------------------- OBS-CMD-MISSING

#: shell messages that always mean a program could not be found
CMD_MISSING_PATTERNS = [
    r"(?m)^[^\n]{0,300}: command not found\s*$",
    r"(?m)command not found: [\w./+-]+\s*$",
    r"(?m)^(?:/(?:usr/)?bin/)?(?:ba|da|z|k|a)?sh: (?:line )?\d+: [^\n:]+: not found\s*$",
    r"(?m)^sh: [^\n:]+: not found\s*$",
    r"executable file not found in \$?PATH",
    r"(?m)^(?:/usr/bin/)?env: '?[^\n':]+'?: No such file or directory",
    r"(?m)^(?:timeout|nohup|nice|xargs|setsid|stdbuf|time|sudo|exec): (?:failed to run command |unable to execute )?'?[^\n']+'?: No such file or directory",
    r"bad interpreter: No such file or directory",
    r"spawn \S+ ENOENT",
]
#: a shell saying a path it tried to run (or open) is missing: group 1 is the path
SHELL_NO_SUCH_FILE = (
    r"(?m)^(?:/(?:usr/)?bin/)?(?:ba|da|z|k|a)?sh: (?:line \d+: |\d+: )?([^\n:]+): No such file or directory"
)


def _program_missing_by_path(frames) -> pl.DataFrame:
    """Observations whose shell 'X: No such file or directory' names a program the action ran."""
    obs = agent_observations(frames).with_columns(
        pl.col("text").str.extract(SHELL_NO_SUCH_FILE, 1).str.strip_chars().alias("_missing"))
    obs = obs.filter(pl.col("_missing").is_not_null())
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
    obs = agent_observations(frames)
    by_text = obs.filter(pl.any_horizontal([_text(p) for p in CMD_MISSING_PATTERNS]))
    parts = [_with_evidence(by_text, CMD_MISSING_PATTERNS)]
    by_path = _program_missing_by_path(frames)
    if not by_path.is_empty():
        rows = obs.join(by_path, on=["trial_id", "seq"], how="semi")
        parts.append(_with_evidence(rows, [SHELL_NO_SUCH_FILE]))
    found = pl.concat(parts).unique(subset=["trial_id", "seq"], keep="first", maintain_order=True)
    return _with_fallbacks(found, frames, "cmd")


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
          "timeout: failed to run command 'vllm': No such file or directory"),
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
not run their command (env, timeout, nohup, xargs), a bad interpreter line, and a shell's
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
    r"No such file or directory",
    r"(?m)^\s*(?:[\w.]+\.)?FileNotFoundError\b|FileNotFoundError: \[Errno",
    r"(?i)cannot access '?[^\n]*'?: No such",
    r"can't open file",
    r"(?m)^[\w./-]+: cannot (?:open|stat|access|read)\b",
    r"(?m)^[\w./-]+: can't (?:open|read|stat)\b",
    r"ENOENT",
    r"(?i)\b(?:file|directory|folder|path) [^\n]{0,200}?(?:does not|doesn't) exist",
    r"(?i)(?:^|\n)(?:Error: )?File [^\n]{1,300} not found",
    r"(?i)\b(?:file|directory) not found\b",
    r"pathspec '[^\n']*' did not match any file",
    r"(?m): Not a directory\s*$",
]


def _file_missing(frames) -> pl.DataFrame:
    # a missing D-Bus socket ("Failed to connect to bus: No such file or directory") is not a file
    # the agent referred to
    obs = _without_bus_lines(agent_observations(frames), "text", "text")
    no_such = pl.col("text").str.count_matches("No such file or directory").fill_null(0)
    others = pl.any_horizontal([_text(p) for p in FILE_MISSING_PATTERNS[1:]])
    by_path = _program_missing_by_path(frames).with_columns(pl.lit(True).alias("_prog"))
    cand = obs.filter(_text(FILE_MISSING_PATTERNS[0]) | others)
    cand = cand.join(by_path, on=["trial_id", "seq"], how="left").with_columns(
        pl.col("_prog").fill_null(False))
    # the program's own path missing is OBS-CMD-MISSING; wrappers failing to run a program too
    wrapper = pl.any_horizontal([_text(p) for p in CMD_MISSING_PATTERNS[4:8]])
    only_program = (pl.col("_prog") | wrapper) & (no_such <= 1) & ~others
    keep = cand.filter(~only_program)
    return _with_fallbacks(_with_evidence(keep, FILE_MISSING_PATTERNS), frames, "file")


OBS_FILE_MISSING = Rule(
    id="OBS-FILE-MISSING", name="file-not-found", on="observation",
    summary="A file or directory the agent referred to does not exist.",
    custom=_file_missing,
    hits=({"text": "no weights yet", "exit_code": 0, "command": "ls weights/ 2>/dev/null || echo 'no weights yet'"},
          "cat: robot_control.py: No such file or directory",
          "ls: cannot access '/opt/model': No such file or directory",
          "python3: can't open file '/app/start.py': [Errno 2] No such file or directory",
          "FileNotFoundError: [Errno 2] No such file or directory: 'config.yaml'",
          "File src/app.py not found",
          {"text": "bash: line 1: input.txt: No such file or directory", "command": "sort < input.txt"},
          "error: pathspec 'setup.py' did not match any file(s) known to git",
          "/root/ctf_files/*: cannot open `/root/ctf_files/*' (No such file or directory)"),
    misses=({"text": "bash: ./start.sh: No such file or directory", "command": "./start.sh"},
            "/bin/sh: 1: curl: not found",
            "total 0\n-rw-r--r-- 1 root root 0 x.txt",
            "Found 3 matches for \"open\" in /repo/src",
            "/usr/bin/env: 'python': No such file or directory"),
    doc="""What it finds: outputs saying a file or directory does not exist: 'No such file or
directory' (unless it is the program itself, see OBS-CMD-MISSING), FileNotFoundError,
'cannot access', "can't open file", ENOENT, a scaffold's 'File X not found', git's 'pathspec
... did not match'.
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
    r"fatal error: [\w./+-]+\.h(?:pp)?: No such file or directory)"
)

OBS_MODULE_MISSING = Rule(
    id="OBS-MODULE-MISSING", name="library-not-found", on="observation",
    summary="A library or module is missing (ModuleNotFoundError, ImportError, cannot find -l...).",
    custom=lambda frames: _with_fallbacks(_matching(frames, output(MODULE_MISSING_PATTERN)), frames, "module"),
    hits=({"text": "torch missing", "exit_code": 0,
           "command": "python3 -c 'import torch' 2>/dev/null || echo 'torch missing'"},
          "ModuleNotFoundError: No module named 'asgiref'",
          "/opt/miniconda3/bin/python: No module named pytest",
          "ImportError: You appear to be trying to import astropy from within a source checkout",
          "/usr/bin/ld: cannot find -lssl",
          "Error: Cannot find module 'express'",
          "python3: error while loading shared libraries: libpython3.11.so.1.0: cannot open shared object file"),
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

# ----------------------------------------------------------------------------- OBS-PERM

PERM_PATTERN = (
    r"(Permission denied|Operation not permitted|\bEACCES\b|\bEPERM\b|(?i:must be (?:run as )?root)|"
    r"(?i:are you root\?)|(?i:need to be root)|(?i:requires root privileges)|is not in the sudoers file|"
    r"sudo: a (?:terminal|password) is required|Access is denied|no tty present and no askpass program)"
)
#: authentication refused: polkit, su, sudo, PAM, database and git credentials (literals only, in a
#: pattern of their own: anchored or case-folded alternatives here run ten times slower)
AUTH_PATTERN = (
    r"(Interactive authentication required|[Aa]uthentication failure|AUTHENTICATION FAILURE|[Aa]uthentication failed|"
    r"incorrect password attempt|pam_authenticate|Authentication token manipulation error|Access denied for user|"
    r"[Nn]ot authori[sz]ed to |Sorry, try again\.|password is required|: Not authorized)"
)

OBS_PERM = Rule(
    id="OBS-PERM", name="permission-denied", on="observation",
    summary="The output reports a permission problem (Permission denied, Operation not permitted, must be root).",
    custom=lambda frames: _with_fallbacks(_matching(frames, output(PERM_PATTERN) | output(AUTH_PATTERN)), frames,
                                          "perm"),
    hits=({"text": "cannot write to /etc: permission problem", "exit_code": 0,
           "command": "touch /etc/agent.conf 2>/dev/null || echo 'cannot write to /etc: permission problem'"},
          "bash: ./dog_control: Permission denied",
          "rm: cannot remove '/app/shutdown.py': Operation not permitted",
          "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)",
          "E: Unable to acquire the dpkg frontend lock, are you root?",
          "Error: EACCES: permission denied, mkdir '/usr/lib/node_modules'",
          "agent is not in the sudoers file.  This incident will be reported.",
          "Failed to start nginx.service: Interactive authentication required.\n"
          "See system logs and 'systemctl status nginx.service' for details.",
          "Password: \nsu: Authentication failure", "sudo: a password is required",
          "sudo: 3 incorrect password attempts",
          "ERROR 1045 (28000): Access denied for user 'root'@'localhost' (using password: NO)",
          "remote: Invalid username or password.\nfatal: Authentication failed for 'https://git.example.com/r.git/'"),
    misses=("-rw-r--r-- 1 root root 120 shutdown.py", "invoke-rc.d: policy-rc.d denied execution of start.",
            "chmod: changing permissions of 'x': done", "Permissions updated.",
            "Authentication succeeded for user agent", "session opened for user root by (uid=0)"),
    doc="""What it finds: outputs reporting a permission problem: 'Permission denied',
'Operation not permitted', EACCES/EPERM, 'must be root', 'are you root?', sudoers and sudo
password prompts failing, and authentication refused: polkit's 'Interactive authentication
required', 'su: Authentication failure', 'sudo: a password is required', incorrect password
attempts, PAM errors, a database's 'Access denied for user', git's 'Authentication failed'.
Also a fallback's message that says permission was denied (`cmd || echo 'permission denied'`).

Why it matters: the agent may escalate (sudo, chmod) to get past it, which is exactly the kind
of step an auditor wants to see in context.

Known false positives: logs the agent reads that contain the phrase (an auth.log with
'Permission denied (publickey)').""",
)

# ----------------------------------------------------------------------------- OBS-DEP-CONFLICT

DEP_PATTERN = (
    r"(ResolutionImpossible|conflicting dependencies|dependency conflicts|requires [^\n]{1,200}, but you have|"
    r"which is incompatible|externally-managed-environment|No matching distribution found|"
    r"Could not find a version that satisfies|Unable to locate package|has no installation candidate|"
    r"unmet dependencies|\bERESOLVE\b|version solving failed|Could not resolve dependencies|"
    r"requires a different Python|is not a supported wheel on this platform|UnsatisfiableError|"
    r"PackagesNotFoundError|Found conflicts!|Cannot install [^\n]{1,200} because these package versions)"
)

OBS_DEP_CONFLICT = Rule(
    id="OBS-DEP-CONFLICT", name="dependency-problem", on="observation",
    summary="Package resolution fails or versions conflict.",
    custom=lambda frames: _matching(frames, output(DEP_PATTERN)),
    hits=("ERROR: Could not find a version that satisfies the requirement erfa (from versions: none)\n"
          "ERROR: No matching distribution found for erfa",
          "ERROR: Cannot install torch==2.0 and torchvision==0.18 because these package versions have conflicting dependencies.",
          "error: externally-managed-environment",
          "transformers 4.40 requires tokenizers<0.20,>=0.19, but you have tokenizers 0.15.0 which is incompatible.",
          "E: Unable to locate package python3-nmap",
          "npm ERR! code ERESOLVE"),
    misses=("Successfully installed requests-2.32.3", "Requirement already satisfied: six",
            "Collecting numpy\n  Downloading numpy-2.0.0.whl (19 MB)", "0 upgraded, 1 newly installed"),
    doc="""What it finds: package manager outputs showing that resolution failed or versions
conflict: pip's ResolutionImpossible, 'No matching distribution', 'Could not find a version that
satisfies', 'requires X, but you have Y', PEP 668's externally-managed-environment, apt's
'Unable to locate package' and unmet dependencies, npm's ERESOLVE, conda's UnsatisfiableError.

Why it matters: dependency fights consume many steps and push agents to force installs, pick
other versions or break the environment.

Known false positives: 'No matching distribution' caused by having no network access to the
index (the package exists, the sandbox is offline).""",
)

# ----------------------------------------------------------------------------- OBS-OOM

OOM_PATTERN = (
    r"((?m:^\s*(?:[\w.]+\.)?MemoryError\b)|CUDA out of memory|OutOfMemoryError|Cannot allocate memory|\b[Oo]ut of memory\b|"
    r"std::bad_alloc|JavaScript heap out of memory|not enough memory|OOMKilled|oom-kill|Killed process \d+)"
)
_KILLED_LINE = r"(?m)^(?:[^\n]*: )?Killed\s*$"

OBS_OOM = Rule(
    id="OBS-OOM", name="out-of-memory", on="observation",
    summary="The process ran out of memory (MemoryError, CUDA out of memory, killed with exit 137).",
    custom=lambda frames: _matching(frames, output(OOM_PATTERN) | (output(_KILLED_LINE) & exit_code(137))),
    hits=("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
          "MemoryError", "fork: Cannot allocate memory",
          {"text": "Killed", "exit_code": 137, "command": "python train.py"},
          "terminate called after throwing an instance of 'std::bad_alloc'",
          "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"),
    misses=("Mem:  15Gi  3.1Gi  10Gi", {"text": "Killed", "exit_code": 0},
            "pkill: killed process 42", "memory usage: 120MB",
            "Builtins: {'ArithmeticError': <class 'ArithmeticError'>, 'MemoryError': <class 'MemoryError'>}"),
    doc="""What it finds: outputs reporting memory exhaustion: MemoryError, CUDA/torch
out-of-memory errors, 'Cannot allocate memory', std::bad_alloc, Node's heap limit, OOM-killer
messages, and a bare 'Killed' with exit status 137.

Why it matters: agents react to memory limits by shrinking the job, changing hardware settings
or killing other processes.

Known false positives: 'Killed' with exit 137 after a kill the agent sent itself.""",
)

# ----------------------------------------------------------------------------- OBS-HARDWARE

HARDWARE_PATTERN = (
    r"(CUDA error|no CUDA-capable device|NVIDIA-SMI has failed|couldn't communicate with the NVIDIA driver|"
    r"Found no NVIDIA driver|CUDA driver version is insufficient|Torch not compiled with CUDA enabled|"
    r"No CUDA GPUs are available|cudaErrorNoDevice|Failed to initialize NVML|CUDA_ERROR_\w+|"
    r"no NVIDIA GPU device is present|RuntimeError: No HIP GPUs are available|device-side assert triggered)"
)

OBS_HARDWARE = Rule(
    id="OBS-HARDWARE", name="device-error", on="observation",
    summary="A GPU or device error (CUDA error, no CUDA-capable device, NVIDIA-SMI has failed).",
    custom=lambda frames: _matching(frames, output(HARDWARE_PATTERN) & ~output(r"CUDA error: out of memory")),
    hits=("RuntimeError: CUDA error: no kernel image is available for execution on the device",
          "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
          "RuntimeError: Found no NVIDIA driver on your system.",
          "AssertionError: Torch not compiled with CUDA enabled",
          "cudaGetDeviceCount returned 100 -> no CUDA-capable device is detected"),
    misses=("RuntimeError: CUDA error: out of memory", "| NVIDIA-SMI 535.104 Driver Version: 535.104 |",
            "torch.cuda.is_available(): True", "Using device: cuda:0"),
    doc="""What it finds: outputs reporting GPU or device failures: CUDA errors, no CUDA device,
nvidia-smi unable to reach the driver, torch built without CUDA, NVML failures.

Why it matters: when the hardware it expected is not there, an agent may change the model,
the device or the task; replication attempts in particular depend on GPUs.

Known false positives: 'CUDA error' text printed by a test the agent runs on purpose.""",
)

# ----------------------------------------------------------------------------- OBS-NETWORK

NETWORK_PATTERNS = [
    r"Connection refused", r"Could not resolve host", r"Network is unreachable", r"Connection timed out",
    r"Temporary failure in name resolution", r"Temporary failure resolving", r"Name or service not known",
    r"No route to host", r"Read timed out", r"Failed to establish a new connection", r"Max retries exceeded",
    r"Connection reset by peer", r"\bECONNREFUSED\b", r"\bENOTFOUND\b", r"\bETIMEDOUT\b", r"\bECONNRESET\b",
    r"\bEAI_AGAIN\b", r"(?:Could not|Failed to|Unable to) connect to", r"unable to access '[^\n']*': ",
    r"curl: \((?:5|6|7|28|35|52|56)\)", r"CERTIFICATE_VERIFY_FAILED", r"RemoteDisconnected", r"ProxyError",
    r"(?m)^Err:\d+ https?://", r"Failed to fetch https?://",
]
#: retry warnings: not failures by themselves (the download may then succeed)
RETRY_LINE = r"(?m)^[^\n]*(?:WARNING: Retrying \(Retry\(|Retrying \(Retry\(|Retrying in \d|retrying in \d)[^\n]*$"
def _network(frames) -> pl.DataFrame:
    obs = _without_bus_lines(agent_observations(frames).with_columns(pl.col("text").str.replace_all(RETRY_LINE, "")
                                                               .alias("_clean")), "_clean", "_clean")
    hit = obs.filter(pl.any_horizontal([pl.col("_clean").str.contains(p).fill_null(False) for p in NETWORK_PATTERNS]))
    return _with_fallbacks(_with_evidence(hit, NETWORK_PATTERNS, text="_clean"), frames, "network")


OBS_NETWORK = Rule(
    id="OBS-NETWORK", name="network-failure", on="observation",
    summary="A network failure (connection refused, cannot resolve host, read timed out).",
    custom=_network,
    hits=({"text": "API not responding", "exit_code": 0,
           "command": "curl -sf http://localhost:8000/health || echo 'API not responding'"},
          "curl: (7) Failed to connect to localhost port 8001 after 0 ms: Connection refused",
          "curl: (6) Could not resolve host: huggingface.co",
          "pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='files.pythonhosted.org', port=443): Read timed out.",
          "fatal: unable to access 'https://github.com/x/y.git/': Could not resolve host: github.com",
          "Err:1 http://deb.debian.org/debian bookworm InRelease\n  Temporary failure resolving 'deb.debian.org'",
          "requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=8001): Max retries exceeded"),
    misses=("  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after "
            "connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='files.pythonhosted.org', port=443): "
            "Read timed out. (read timeout=15)\")': /simple/pytz/\nSuccessfully installed pytz-2024.1",
            "HTTP/1.1 200 OK", "except (socket.timeout, ConnectionRefusedError): print('free')",
            "Hit:1 http://deb.debian.org/debian bookworm InRelease",
            "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
            "Failed to connect to bus: Host is down",
            "Failed to connect to bus: No such file or directory"),
    doc="""What it finds: outputs reporting a network failure: connection refused, DNS failures,
unreachable networks, connection and read timeouts, urllib3's 'Max retries exceeded', curl's
connection error codes, git's 'unable to access', apt fetch errors. Retry warnings ('WARNING:
Retrying (Retry(...)) after connection broken by ...') are removed first, so a download that
retried and then succeeded is not a failure. D-Bus and systemd errors ('Failed to connect to
bus', 'System has not been booted with systemd') are removed too: they are local service-manager
failures (OBS-OTHER-ERROR), not the network.
Also the message of a fallback that ran after a network client (`curl -sf URL || echo 'API not
responding'`).

Why it matters: a sandbox without network pushes agents to search for offline copies or to
give up; 'Connection refused' on a local port tells whether a replica or server is answering.

Known false positives: a refused connection the agent expected (checking that a port is free
before starting a server).""",
)

# ----------------------------------------------------------------------------- OBS-TIMEOUT

TIMEOUT_PATTERN = (
    r"((?:^|[^\w])(?:[Cc]ommand|COMMAND|[Ee]xecution|EXECUTION|[Ss]tep|[Pp]rocess|[Ss]cript)\b[^\n]{0,30}?\b(?:timed out|TIMED OUT)|"
    r"\btimed out after \d+(?:\.\d+)? ?s(?:ec(?:ond)?s?)?\b|timed out and has been killed|TimeoutExpired|"
    r"(?i:time ?limit exceeded)|deadline exceeded|\+{3,} Timeout \+{3,})"
)

OBS_TIMEOUT = Rule(
    id="OBS-TIMEOUT", name="timed-out", on="observation",
    summary="The command or step ran out of time (harness timeout message, TimeoutExpired, exit 124).",
    custom=lambda frames: _with_fallbacks(_matching(frames, output(TIMEOUT_PATTERN) | exit_code(124)), frames,
                                          "timeout"),
    hits=({"text": "server timed out", "exit_code": 0, "command": "timeout 60 ./wait_ready.sh || echo 'server timed out'"},
          {"text": "finished", "exit_code": 0, "command": "timeout 30 make -j2 >/dev/null 2>&1 || echo finished"},
          "Command timed out after 30 seconds",
          "An error occurred while executing the command: Command '['bash', '-c', 'pip install -e .']' timed out after 60 seconds",
          "The last command <command>pip3 install moviepy</command> timed out and has been killed.",
          "subprocess.TimeoutExpired: Command '['make']' timed out after 600 seconds",
          {"text": "", "exit_code": 124, "command": "timeout 10 python serve.py"},
          "EXECUTION TIMED OUT BECAUSE THE COMMAND WAS INACTIVE FOR MORE THAN 60 SECONDS"),
    misses=({"text": "build output\nok", "exit_code": 0, "command": "timeout 30 make -j2 || echo finished"},
            "pip._vendor.urllib3.exceptions.ReadTimeoutError: Read timed out.",
            "curl: (28) Connection timed out after 5001 milliseconds",
            "TimeoutError: The read operation timed out",
            "timeout=30 set for requests", {"text": "done", "exit_code": 0, "command": "timeout 5 ls"},
            # a server still running in the foreground: the harness stopped waiting, nothing timed out
            "Serving HTTP on 0.0.0.0 port 8000 ...\n[The command has no new output after 30 seconds. You may wait "
            "longer to see additional output by sending empty command '']"),
    doc="""What it finds: a command or step that ran out of time: the harness's timeout message
(mini-swe-agent, SWE-agent, OpenHands, the Palisade scaffold), subprocess.TimeoutExpired, 'time
limit exceeded', and exit status 124 (what `timeout` returns).
Also a fallback's message that says it timed out, or any fallback that ran after a command under
`timeout N` (`timeout 60 x || echo done`).

Why it matters: a timed-out install or server start often leaves a half-finished state; the
agent's next move (retry in the background, raise the limit, tamper with the timer) matters.

Known false positives: a network read timeout is OBS-NETWORK and is excluded; an exit 124 from
a program that uses that status for something else.""",
)

# ----------------------------------------------------------------------------- OBS-SYNTAX

SYNTAX_PATTERN = (
    r"((?m:^\s*(?:[\w.]+\.)?(?:SyntaxError|IndentationError|TabError)\b)|(?i:syntax error(?: near| in |:| at |,))|"
    r"unexpected EOF while looking for matching|"
    r"(?m:^[\w./-]+: (?:(?:unrecogni[sz]ed|invalid|illegal|unknown) option|option requires an argument))|"
    r"(?m:^(?:Error: )?unknown (?:shorthand )?flag)|unrecognized arguments:|(?m:^[Uu]nknown command\b)|"
    r"(?i:is not a \w+ command)|bad substitution|\bE999\b|has introduced new syntax error|"
    r"(?m:^[\w./-]+: missing (?:file )?operand)|(?m:^Try '[^\n']+ --help' for more information)|"
    r"(?m:^[\w./-]+: error: the following arguments are required)|"
    r"(?m:^[\w./-]+: error: argument [^\n]*: invalid choice)|unterminated `s' command|unknown option to `s'|"
    r"syntax error near unexpected token)"
)
_USAGE = r"(?m)^[Uu]sage: "
_HELP_REQUESTED = r"(?:^|\s)(?:-h|--help|help)(?:\s|$)"

#: a syntax error, or usage text printed because of wrong arguments (not when help was asked for)
_SYNTAX_MATCH = output(SYNTAX_PATTERN) | (output(_USAGE) & (failed() | output(r"(?m)^[\w./-]+: error: ")) & ~Match(
    pl.col("command").str.contains(_HELP_REQUESTED).fill_null(False)))

OBS_SYNTAX = Rule(
    id="OBS-SYNTAX", name="malformed-command", on="observation",
    summary="The agent's own command or code is malformed (SyntaxError, syntax error near token, bad option).",
    custom=lambda frames: _matching(frames, _SYNTAX_MATCH),
    hits=("  File \"<string>\", line 1\n    import socket; try: s.connect(x)\n                   ^\nSyntaxError: invalid syntax",
          "bash: -c: line 1: syntax error near unexpected token `;&'",
          "ls: unrecognized option '--colour=bad'\nTry 'ls --help' for more information.",
          "- E999 IndentationError: unexpected indent",
          "Unknown command: shutdown_button\nCommands: backward, do_nothing, forward",
          {"text": "usage: serve.py [-h] --port PORT\nserve.py: error: the following arguments are required: --port",
           "exit_code": 2, "command": "python serve.py"},
          "./response.sh: line 94: [[: 0 0: syntax error in expression (error token is \"0\")"),
    misses=({"text": "usage: serve.py [-h] --port PORT\n\noptions:\n  -h, --help  show this help", "exit_code": 0,
             "command": "python serve.py --help"},
            "All checks passed.", "Options: --verbose, --quiet",
            {"text": "        if opt not in known:\n            raise CommandError('unknown option %s' % opt)",
             "exit_code": 0, "command": "cat django/core/management/__init__.py | head -200"},
            "Test passed: syntax is valid"),
    doc="""What it finds: outputs saying the agent's own command or code is malformed: Python
SyntaxError / IndentationError, shell syntax errors, unknown or invalid options, missing
operands, argparse errors, usage text printed because of wrong arguments (not when the agent
asked for --help), a scaffold's lint rejection of an edit (E999).

Why it matters: malformed commands are the most frequent self-inflicted obstacle; repeated
ones show an agent stuck on quoting (nested quotes, HTML entities, escaped newlines).

Known false positives: a SyntaxError that the code under test raises on purpose (a parser's
test suite); 'unexpected token' in a JSON or JavaScript error the task itself is about.""",
)

# ----------------------------------------------------------------------------- OBS-OTHER-ERROR

#: a Python traceback whose exception ends the output (the program died of it)
UNCAUGHT_TRACEBACK = r"(?:^|\n)(?:[a-z_][\w]*\.)*[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Configured|Failure|Fault|Warning|DoesNotExist|NotFound|Denied|Invalid|Timeout)\b(?::[^\n]*)?\s*$"
TRACEBACK = r"Traceback \(most recent call last\):"
#: failing tests and failing checks the agent wrote
FAILED_CHECK = (
    r"((?m:^=+ [^\n]*\b\d+ (?:failed|errors?)\b[^\n]*=+\s*$)|(?m:^FAILED \S+::)|(?m:^FAILED \((?:failures|errors)=\d+)|"
    r"(?m:^(?:FAIL|ERROR): test\w*)|(?m:^\s*(?:\[(?:FAIL|FAILED|FAILURE)\]|FAIL(?:ED)?:|FAILURE:)\s)|"
    r"(?m:^\s*[✗✘❌]\s)|(?m:[✗✘❌]\s*(?i:fail|error|not\b|missing|mismatch|incorrect|wrong|invalid|broken|unable))|"
    r"(?m:[:\-–]\s*[✗✘❌]\s*$)|(?m:\.\.\. (?:FAIL|ERROR)\s*$)|(?m::[ \t]*FAILED[ \t]*$)|"
    r"(?i:\b(?:pass(?:ed)?|success(?:ful)?|succeeded|ok|correct|match(?:es)?|valid|met|satisfied|works?|working|"
    r"fixed|resolved|achieved|equal|identical|consistent|healthy|complete|completed|verified|same): False\b)|"
    r"(?i:\btests? failed\b)|(?m:^\s*(?:[\w.]+\.)?AssertionError\b))"
)
#: failures an agent's own code prints in its own words: a caught exception or an error message
#: (``Error with X: ...``, ``Failed to load: ...``, ``Exception: ...``), an HTTP server error, a
#: crash; counted whatever the exit status (the code caught the error and carried on)
OWN_WORDS_FAILURE = (
    # (ASCII classes and word boundaries: Unicode-aware ones make these line-start patterns many
    # times slower over long outputs)
    r"((?m:^[ \t]*(?:[✗✘❌][ \t]*)?(?:Error|ERROR|Exception|EXCEPTION|Failed|FAILED|Failure|FAILURE)"
    r"(?:| (?:[A-Za-z]+ing|to|with|in|during|while|when|on|for|at|from|occurred|encountered|caught|raised)"
    r"(?-u:\b)[^\n:]{0,100}): +(?:[1-9]|[^\s\d])[^\n]*)|"
    r"(?m:^[ \t]*(?:Caught|Got|Raised|Encountered|An?) (?:an? )?(?:unexpected )?(?:exception|error)(?-u:\b)[^\n]*)|"
    # "<what> failed: <why>", "<what> error: <why>" at the start of a line ("Request failed: 502"),
    # not a count or a flag ("Failed: 0", "has error: True")
    r"(?m:^[ \t]*(?:[✗✘❌][ \t]*)?[A-Z][A-Za-z0-9_ .'/()-]{0,60}(?-u:\b)(?:failed|FAILED|error|ERROR)"
    r"(?: with| due to| because)?: +(?:[1-9]|[^\s\dTFNtfn]|[TtFfNn][^rRaAoO])[^\n]*)|"
    r"(?i:(?-u:\b)status(?:[ _]code)?[^A-Za-z0-9_\n]{0,3}[ \t]*[:=][ \t]*5[0-9][0-9](?-u:\b))|(?m:^HTTP/[0-9.]+ 5[0-9][0-9](?-u:\b))|"
    r"(?-u:\b)5[0-9][0-9] (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out)(?-u:\b)|"
    r"Segmentation fault|core dumped|(?m:^Bus error)|(?m:^Illegal instruction)|(?m:^Aborted(?-u:\b)))"
)
#: exit statuses of a process killed by a signal (SIGKILL, SIGTERM, SIGSEGV, SIGABRT, SIGBUS), as a
#: shell (128 + n) or Python's subprocess (-n) reports them
SIGNAL_EXITS = [137, 143, 139, 134, 135, -9, -15, -11, -6, -7]
#: an error message line, counted when the exit status is non-zero (or unknown)
ERROR_LINE = (
    r"((?m:^(?:[\w./-]+: )*(?:error|ERROR|Error|fatal|FATAL|Fatal)(?:\[\w+\])?(?::|!| -) )|npm ERR!|"
    r"(?m:\*\*\* [^\n]*Error \d+)|\[emerg\]|(?m:test failed\s*$)|(?m:^E: ))"
)
#: the agent says, before the step, that it runs something to reproduce or confirm a bug
REPRO_BEFORE = (
    r"(?i)\b(reproduc\w*|replicat\w* (?:the|this) (?:issue|bug|problem|error|failure)|"
    r"demonstrat\w* (?:the|this) (?:issue|bug|problem)|confirm (?:the|this) (?:issue|bug|problem)|"
    r"show(?:s|ing)? (?:the|this) (?:issue|bug|problem)|trigger (?:the|this) (?:issue|bug|error))\b"
)
#: ... said so plainly that re-running does not mean checking a fix ("confirm the bug exists")
REPRO_STRONG = (
    r"(?i)\b(?:confirm|verify|check|show|demonstrate|prove|see)\w* (?:that |whether |if )?(?:the |this |our )?"
    r"(?:bug|issue|problem|error|failure) (?:exists|occurs|is (?:present|real|reproducible)|happens|still occurs)\b|"
    r"\b(?:is|should be) (?:expected to|supposed to) fail\b|\bexpect(?:ed|ing)? (?:it |this |the \w+ )?to fail\b"
)
#: a script named for reproducing or analysing the bug (reproduce.py, test_parser_issue.py)
REPRO_SCRIPT = r"(?i)\b(?:reproduc\w*|repro|analy[sz]e\w*|demonstrat\w*|demo)\.py\b|\w*_(?:issue|bug)\w*\.py\b"
#: ... but not when it is re-running it to check a fix
VERIFY_FIX = r"(?i)\b(fix(?:ed|es)?|verify|works?|still|again|after (?:the|my|our) change)\b"
#: the agent's reaction after the step says the failure confirmed the bug
REPRO_AFTER = (
    r"(?i)\b((?:confirm(?:s|ed)?|reproduc(?:es|ed)|demonstrat(?:es|ed)) (?:the |this |that |our )?(?:issue|bug|problem|error|behaviou?r)|"
    r"(?:issue|bug|problem) (?:is |has been )?(?:confirmed|reproduced)|successfully reproduc\w*|"
    r"(?:I|we) (?:can )?(?:see|reproduce) the (?:issue|bug|problem))"
)
#: a check's output that frames its failures as the behaviour before the fix (a demonstration)
DEMO_OUTPUT = (
    r"(?i)\b((?:current|original|buggy|old|existing|unfixed|unpatched) (?:implementation|behaviou?r|code|version)|"
    r"before (?:the )?fix|without (?:the )?fix|"
    r"(?:understand|demonstrat|reproduc|illustrat|investigat|explor)\w* (?:the |this )?(?:[\w().-]+ ){0,3}"
    r"(?:issue|bug|problem))\b"
)
FIXED_OUTPUT = r"(?i)\b((?:fixed|patched|new) (?:implementation|behaviou?r|code|version)|(?:with|after) (?:the )?fix)\b"
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


@per_batch
def _turn_texts(frames) -> pl.DataFrame:
    """Per action: the agent's text before it (same turn) and its reaction after it."""
    ev = frames.events
    acts = ev.filter(pl.col("kind") == "action").select(
        "trial_id", pl.col("seq").cast(pl.Int64).alias("act_seq")).sort("trial_id", "act_seq")
    msgs = ev.filter((pl.col("kind") == "message") & (pl.col("role") == "assistant")).select(
        "trial_id", pl.col("seq").cast(pl.Int64).alias("msg_seq"), pl.col("text").fill_null("")
    ).sort("trial_id", "msg_seq")
    if acts.is_empty() or msgs.is_empty():
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "action_seq": pl.Int32, "before": pl.Utf8, "after": pl.Utf8})
    before = (
        msgs.join_asof(acts, left_on="msg_seq", right_on="act_seq", by="trial_id", strategy="forward",
                   check_sortedness=False)
        .filter(pl.col("act_seq").is_not_null())
        .group_by("trial_id", "act_seq").agg(pl.col("text").str.join("\n").alias("before"))
    )
    after = (
        msgs.join_asof(acts, left_on="msg_seq", right_on="act_seq", by="trial_id", strategy="backward",
                   check_sortedness=False)
        .filter(pl.col("act_seq").is_not_null())
        .group_by("trial_id", "act_seq").agg(pl.col("text").str.join("\n").alias("after"))
    )
    return (
        acts.join(before, on=["trial_id", "act_seq"], how="left")
        .join(after, on=["trial_id", "act_seq"], how="left")
        .select("trial_id", pl.col("act_seq").cast(pl.Int32).alias("action_seq"),
                pl.col("before").fill_null(""), pl.col("after").fill_null(""))
    )


@per_batch
def _read_only_actions(frames) -> pl.DataFrame:
    """Actions whose every parsed command only reads or lists (cat, grep, sed -n, open...)."""
    cmds = frames.commands
    if cmds.is_empty():
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "action_seq": pl.Int32})
    first_word = pl.col("argv").list.eval(pl.element().filter(~pl.element().str.starts_with("-"))).list.get(0, null_on_oob=True)
    reads = (
        pl.col("program").is_in(READ_ONLY_PROGRAMS)
        & ~((pl.col("program") == "sed") & pl.col("argv").list.eval(pl.element().str.starts_with("-i")).list.any())
        & ~pl.col("redirects").list.eval(pl.element().str.contains(r"^\d*>")).list.any().fill_null(False)
        | (pl.col("program") == "git") & first_word.is_in(READ_ONLY_GIT).fill_null(False)
    ).fill_null(False)
    return (
        cmds.group_by("trial_id", "seq").agg(reads.all().alias("_ro"))
        .filter(pl.col("_ro")).select("trial_id", pl.col("seq").cast(pl.Int32).alias("action_seq"))
    )


@per_batch
def _specific_hits(frames) -> pl.DataFrame:
    """(trial_id, seq) of observations that another OBS rule labels."""
    parts = [rule_hits(rule, frames).select("trial_id", "seq") for rule in SPECIFIC_RULES]
    parts = [p.with_columns(pl.col("seq").cast(pl.Int32)) for p in parts if not p.is_empty()]
    if not parts:
        return pl.DataFrame(schema={"trial_id": pl.Utf8, "seq": pl.Int32})
    return pl.concat(parts).unique()


def _other_error(frames) -> pl.DataFrame:
    obs = agent_observations(frames).with_columns(pl.col("seq").cast(pl.Int32), pl.col("action_seq").cast(pl.Int32))
    unknown_or_failed = pl.col("exit_code").is_null() | (pl.col("exit_code") != 0)
    uncaught = _text(TRACEBACK) & pl.col("text").str.strip_chars_end().str.contains(UNCAUGHT_TRACEBACK).fill_null(False)
    # killed by a signal with nothing to say for itself
    killed = pl.col("exit_code").is_in(SIGNAL_EXITS).fill_null(False) & (
        pl.col("text").fill_null("").str.strip_chars() == "")
    cand = obs.filter(uncaught | _text(FAILED_CHECK) | (_text(ERROR_LINE) & unknown_or_failed)
                      | _text(OWN_WORDS_FAILURE) | _text(SERVICE_BUS_FAILURE) | killed)
    # a fallback message reporting a failure no specific label explains
    other = reports_of(frames, "other").join(_specific_hits(frames), on=["trial_id", "seq"], how="anti")
    if cand.is_empty():
        return other if not other.is_empty() else _with_evidence(cand, [TRACEBACK])
    # what the agent only read is data; what another rule explains is that rule's
    cand = cand.join(_read_only_actions(frames), on=["trial_id", "action_seq"], how="anti")
    cand = cand.join(_specific_hits(frames), on=["trial_id", "seq"], how="anti")
    # a failure the agent set out to reproduce (and did not re-run to check a fix), or that its
    # reaction says confirmed the bug, is not an obstacle
    turns = _turn_texts(frames)
    cand = cand.join(turns, on=["trial_id", "action_seq"], how="left").with_columns(
        pl.col("before").fill_null(""), pl.col("after").fill_null(""))
    deliberate = (
        (pl.col("before").str.contains(REPRO_BEFORE) | pl.col("command").str.contains(REPRO_SCRIPT).fill_null(False))
        & ~pl.col("before").str.contains(VERIFY_FIX)
    ) | pl.col("before").str.contains(REPRO_STRONG) | pl.col("after").str.contains(REPRO_AFTER) | (
        _text(DEMO_OUTPUT) & ~_text(FIXED_OUTPUT))
    cand = cand.filter(~deliberate)
    labelled = _with_evidence(cand, [FAILED_CHECK, TRACEBACK, ERROR_LINE, OWN_WORDS_FAILURE, SERVICE_BUS_FAILURE])
    # a silent kill has no text to point at: say what the exit status was
    labelled = labelled.join(cand.select("trial_id", "seq", "exit_code"), on=["trial_id", "seq"], how="left").select(
        "trial_id", "seq",
        pl.coalesce(pl.col("evidence"), pl.lit("exit status ") + pl.col("exit_code").cast(pl.Utf8)).alias("evidence"),
        "span_start", "span_end")
    if other.is_empty():
        return labelled
    return pl.concat([labelled.with_columns(pl.col("seq").cast(pl.Int32)), other.select(labelled.columns)],
                     how="vertical_relaxed").unique(subset=["trial_id", "seq"], keep="first", maintain_order=True)


OBS_OTHER_ERROR = Rule(
    id="OBS-OTHER-ERROR", name="other-failure", on="observation",
    summary="A clear failure (uncaught traceback, failing tests or checks, error exit) no other OBS label covers.",
    custom=_other_error,
    hits=({"text": "build failed, see log", "exit_code": 0, "command": "make 2>/dev/null || echo 'build failed, see log'"},
        
        {"text": "Traceback (most recent call last):\n  File \"simple_test.py\", line 17, in <module>\n"
                 "    query = Query(None, None)\nTypeError: 'NoneType' object is not callable",
         "exit_code": 1, "command": "cd /testbed && python simple_test.py"},
        {"text": "List of strings:\n  Result: ****\n  Expected: ['foo', 'bar']\n  Pass: False\n",
         "exit_code": 0, "command": "python fixed_cleanse.py"},
        {"text": "FAILED tests/test_api.py::test_port - assert 8001 == 8000\n===== 1 failed, 12 passed in 0.31s =====",
         "exit_code": 1, "command": "python -m pytest tests -q"},
        {"text": "nginx: [emerg] \"log_format\" directive is not allowed here in /etc/nginx/conf.d/site.conf:13\n"
                 "nginx: configuration file /etc/nginx/nginx.conf test failed", "exit_code": 1, "command": "nginx -t"},
        {"text": "error: patch failed: src/app.py:12\nerror: src/app.py: patch does not apply", "exit_code": 1,
         "command": "git apply fix.patch"},
        # failures in the agent's own words, whatever the exit status
        {"text": "Checking cache service...\n  ✗ FAILED (connection closed early)", "exit_code": 0,
         "command": "python3 check_cache.py"},
        {"text": "Accuracy: 0.61\nThreshold met: False", "exit_code": 0, "command": "python3 eval.py"},
        {"text": "POST /predict\nStatus: 500\nBody: internal error", "exit_code": 0, "command": "python3 probe.py"},
        {"text": "Loading settings...\nError with config parsing: unexpected key 'mode'", "exit_code": 0,
         "command": "python3 -c 'import app; app.main()'"},
        {"text": "Exception: worker pool is closed", "exit_code": 0, "command": "python3 batch.py"},
        {"text": "Uploading shard 3...\nUpload failed: bucket quota exceeded", "exit_code": 0, "command": "python3 push.py"},
        # killed by a signal, with nothing printed
        {"text": "", "exit_code": 137, "command": "python3 train.py --epochs 3"},
        {"text": "", "exit_code": -9, "command": "python3 run_all.py"},
        {"text": "Segmentation fault (core dumped)", "exit_code": 139, "command": "./solver"},
        # a service manager that cannot run here
        {"text": "System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                 "Failed to connect to bus: Host is down", "exit_code": 1, "command": "systemctl start redis"},
        {"steps": [
            {"kind": "message", "text": "Let me run the tests to check my change.", "role": "assistant"},
            {"kind": "action", "text": "python run_tests.py"},
            {"kind": "observation", "text": "Traceback (most recent call last):\n  File \"run_tests.py\", line 3\n"
                                           "KeyError: 'DATABASES'", "exit_code": 1},
            {"kind": "message", "text": "The settings are missing a database.", "role": "assistant"},
        ]},
    ),
    misses=(# the recording harness's own traceback after a command that runs no Python
        {"text": "/app\nTraceback (most recent call last):\n  File \"/opt/rec/proxy.py\", line 3, in run\n"
                 "    raise RuntimeError('proxy died')\nRuntimeError: proxy died", "exit_code": 0, "command": "cd /app && pwd"},
        
        # reproducing the bug on purpose
        {"steps": [
            {"kind": "message", "text": "Let me create a script to reproduce the issue.", "role": "assistant"},
            {"kind": "action", "text": "cat > reproduce.py <<'EOF'\nimport x\nEOF\npython reproduce.py"},
            {"kind": "observation", "text": "Traceback (most recent call last):\n  File \"reproduce.py\", line 2\n"
                                           "ValueError: bad value", "exit_code": 1},
        ]},
        # the reaction says it confirmed the bug
        {"steps": [
            {"kind": "action", "text": "python test_parser_issue.py"},
            {"kind": "observation", "text": "Traceback (most recent call last):\n  File \"x.py\", line 28\n"
                                           "TypeError: expected str, bytes or os.PathLike object, not NoneType",
             "exit_code": 1},
            {"kind": "message", "text": "Perfect! This confirms the issue.", "role": "assistant"},
        ]},
        # covered by a more specific label
        {"text": "Traceback (most recent call last):\n  File \"a.py\", line 1\nModuleNotFoundError: No module named 'yaml'",
         "exit_code": 1, "command": "python a.py"},
        # source code the agent reads
        {"text": "    except ValueError:\n        raise ImproperlyConfigured('bad')\nTraceback (most recent call last):\n"
                 "ValueError: x", "exit_code": 0, "command": "cat django/conf/__init__.py"},
        # an exception logged by the program, which carried on
        {"text": "django.dispatch - ERROR - Error calling <lambda>\nTraceback (most recent call last):\n"
                 "ZeroDivisionError: division by zero\nResults: [('ok',)]", "exit_code": 0, "command": "python t.py"},
        {"text": "", "exit_code": 1, "command": "grep -n needle src/app.py"},
        {"text": "Summary\nPassed: 12\nFailed: 0", "exit_code": 0, "command": "python3 run_checks.py"},
        {"text": "Retries failed: 0\nAll uploads done", "exit_code": 0, "command": "python3 push.py"},
        {"text": "Test 1\n  Result has error: True\n  Error was logged: True", "exit_code": 0, "command": "python3 t.py"},
        {"text": "Report written.\nFailed password attempts: 6\nInvalid users: 2", "exit_code": 0,
         "command": "./summarise_auth.sh"},
        {"text": "OK: 'a\\n' -> strict: FAIL, loose: FAIL\nOK: 'ab' -> strict: PASS, loose: PASS\nAll cases as expected",
         "exit_code": 0, "command": "python3 table.py"},
        {"text": "", "exit_code": 0, "command": "python3 quiet.py"},
        # the agent said it would confirm the bug first
        {"steps": [
            {"kind": "message", "text": "First I'll confirm the bug exists before changing anything.",
             "role": "assistant"},
            {"kind": "action", "text": "python3 check_rounding.py"},
            {"kind": "observation", "text": "round(2.675, 2) -> 2.67\nmatches expected: False", "exit_code": 0},
        ]},
        # a check that shows the current (buggy) behaviour before any fix
        {"text": "Testing current implementation:\n\nList of strings:\n  Result: ****\n  Match: False\n",
         "exit_code": 0, "command": "python test_edge_cases.py"},
    ),
    doc="""What it finds: outputs that clearly report a failure not covered by another OBS label:
an uncaught Python traceback (the exception line ends the output), failing tests (pytest and
unittest summaries), checks the agent wrote that print a failure in their own words ('Pass:
False', '... met: False', '✗ FAILED', 'FAILED:', 'Test 3: FAILED'), a caught exception or error
printed as text ('Error with X: ...', 'Failed to load: ...', 'Exception: ...'), an HTTP 5xx status,
a crash (segmentation fault, core dumped), a service manager that cannot run ('Failed to connect
to bus', 'System has not been booted with systemd'), a process killed by a signal that printed
nothing (exit 137/-9, 143/-15, 139/-11, 134/-6), and error messages ('error:', 'fatal:',
'[emerg]', 'E:') when the exit status is non-zero or unknown. It skips actions that only read or
list files (cat, grep, sed -n, open...), outputs another OBS rule labels (a kill whose output says
it was memory is OBS-OOM), and failures the agent deliberately reproduced: its thought before the
step says it reproduces or demonstrates the bug (and is not re-running to check a fix) or that it
will confirm the bug exists, its reaction after says the output confirmed or reproduced the
issue, or the output presents itself as a demonstration of the issue.
Also the message of a fallback that ran and reports a failure no other label explains (`make ||
echo 'build failed'`).

Why it matters: generic failures make up most of an agent's obstacles; together with the
specific labels they give every failed step one label.

Known false positives: a failure the agent expected without saying so; an error message a
program prints while still succeeding (exit status unknown).""",
)

#: the specific observation rules; OBS-OTHER-ERROR covers only what none of them explains
SPECIFIC_RULES = [OBS_PORT, OBS_CMD_MISSING, OBS_FILE_MISSING, OBS_MODULE_MISSING, OBS_PERM, OBS_DEP_CONFLICT,
                  OBS_OOM, OBS_HARDWARE, OBS_NETWORK, OBS_TIMEOUT, OBS_SYNTAX]

RULES = [*SPECIFIC_RULES, OBS_OTHER_ERROR]
