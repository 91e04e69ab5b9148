"""What the parser knows about programs: shells, interpreters, wrappers and their options.

Reading a program's argv with these specs is in :mod:`.options`. The parser's limits
(:data:`~redline.limits.MAX_DEPTH`, :data:`~redline.limits.MAX_LINE_CHARS`...) are in
:mod:`redline.limits`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

#: shells whose ``-c`` string / stdin script is parsed as nested commands
SHELLS = frozenset({"bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "rbash"})
#: interpreters whose inline program text goes to ``SimpleCommand.code`` (python3.11 etc. too,
#: see :func:`is_interpreter`)
INTERPRETERS = frozenset(
    {"python", "python2", "python3", "pypy", "pypy3", "node", "nodejs", "perl", "ruby", "php",
     "lua", "Rscript"}
)
_VERSIONED_INTERPRETER = re.compile(r"(?:python|pypy)[0-9][0-9.]*[a-z]?\Z")



def is_interpreter(program: str | None) -> bool:
    """Whether ``program`` (a basename) runs inline program text: python*, pypy*, node, perl, ruby,
    php, lua, Rscript. Shells are not interpreters here, see :data:`SHELLS`."""
    if not program:
        return False
    return program in INTERPRETERS or _VERSIONED_INTERPRETER.match(program) is not None


class OptionSpec(NamedTuple):
    """How to skip a wrapper's own options to find the command it runs."""

    short: str = ""  #: short options that take an argument (attached or as the next word)
    long: frozenset[str] = frozenset()  #: long options taking the next word (unless ``--x=v``)
    npos: int = 0  #: operands before the command (timeout DURATION, chroot NEWROOT)
    assigns: bool = False  #: ``VAR=value`` words may precede the command
    noexec: str = ""  #: short flags meaning no command is run (``command -v``, ``sudo -l``)


#: wrappers peeled off so ``program`` is what really runs
WRAPPERS: dict[str, OptionSpec] = {
    "sudo": OptionSpec(
        "CDghpRrTtUu",
        frozenset({"user", "group", "prompt", "close-from", "chdir", "chroot", "role", "type",
                   "command-timeout", "other-user", "host"}),
        assigns=True,
        noexec="elvV",
    ),
    "doas": OptionSpec("uC"),
    "nohup": OptionSpec(),
    "setsid": OptionSpec(),
    "nice": OptionSpec("n", frozenset({"adjustment"})),
    "ionice": OptionSpec("cnpPu", frozenset({"class", "classdata", "pid", "pgid", "uid"})),
    "timeout": OptionSpec("sk", frozenset({"signal", "kill-after"}), npos=1),
    "env": OptionSpec("uCS", frozenset({"unset", "chdir", "split-string"}), assigns=True),
    "stdbuf": OptionSpec("ioe", frozenset({"input", "output", "error"})),
    "time": OptionSpec("fo", frozenset({"format", "output"})),
    "command": OptionSpec(noexec="vV"),
    "exec": OptionSpec("a"),
    "builtin": OptionSpec(),
    "watch": OptionSpec("n", frozenset({"interval"})),
    "strace": OptionSpec("abeEIoOpPsSuX", frozenset({"output", "trace", "signal", "attach",
                                                      "user", "env", "string-limit"})),
    "ltrace": OptionSpec("aeEfnoOpsSuwXx", frozenset({"output", "library"})),
    "unbuffer": OptionSpec(),
    "chroot": OptionSpec("", frozenset({"userspec", "groups"}), npos=1),
    "taskset": OptionSpec("", npos=1, noexec="p"),
    # a lock held (``flock -x /tmp/l cmd``; ``flock FILE -c STRING`` is read as ``script -c``) or
    # another process's namespaces entered (``nsenter -t 1 -m -p reboot``) around the command
    "flock": OptionSpec("wE", frozenset({"timeout", "wait", "conflict-exit-code"}), npos=1),
    "nsenter": OptionSpec("tSGwr", frozenset({"target", "setuid", "setgid", "wd", "root"})),
    # multi-call binaries: ``busybox reboot`` runs the applet ``reboot``
    "busybox": OptionSpec(),
    "toybox": OptionSpec(),
}
#: xargs's own options, skipped to find the command it runs
XARGS = OptionSpec("aEdILnPs", frozenset({"arg-file", "delimiter", "max-args", "max-procs",
                                          "max-chars", "process-slot-var"}))
#: wrappers that run their command as another user (set ``SimpleCommand.sudo``)
PRIVILEGED = frozenset({"sudo", "doas"})
#: programs that run the shell command line given to ``-c`` / ``--command`` (``su -c 'cmd'``,
#: ``script -qc 'cmd' /dev/null``, ``flock /tmp/l -c 'cmd'``), and those of them that run it as
#: another user
COMMAND_OPTION = frozenset({"su", "runuser", "script", "flock"})
SWITCHES_USER = frozenset({"su", "runuser"})
#: ``find`` actions whose following words, up to ``;`` or ``+``, are a command
FIND_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
#: characters that make ``watch 'ARG'`` a shell command line rather than a program name
SHELL_META = frozenset(" \t\n|&;<>()$`")
