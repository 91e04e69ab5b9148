"""What programs are for, as far as tying steps into operations goes, and small readers of
one simple command's arguments (its script, its packages, the unit a service manager acts on).

Used by :mod:`redline.analysis.operations`; nothing here looks at more than one command.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from .targets import looks_like_path, module_name, path_key

INTERPRETER = re.compile(r"^(python[\d.]*|pypy[\d.]*|node|nodejs|bash|sh|zsh|dash|ruby|perl|php|Rscript|deno|bun|"
                          r"ts-node|java|Rscript)$")
TRIVIAL = {"cd", "pushd", "popd", "export", "source", ".", "set", "unset", "true", "false", "sleep", "wait", "clear",
           "exit", ":", "echo", "printf", "read", "alias", "history", "unalias", "shopt", "type", "hash"}
FILTERS = {"grep", "egrep", "fgrep", "head", "tail", "wc", "sort", "uniq", "awk", "gawk", "cut", "tr", "sed", "tee",
           "xargs", "less", "more", "jq", "column", "cat", "nl", "rev", "fold", "fmt"}
READERS = {"tail", "cat", "head", "less", "more", "grep", "nl", "tac"}
KILLERS = {"kill", "pkill", "killall", "fuser", "skill", "xkill"}
INSTALLERS = {"pip", "pip3", "uv", "poetry", "conda", "mamba", "micromamba", "apt", "apt-get", "yum", "dnf", "apk",
              "npm", "yarn", "pnpm", "cargo", "go", "gem", "brew", "pipx", "easy_install", "zypper", "pacman"}
PORT_TOOLS = {"netstat", "ss", "lsof", "fuser", "nmap", "sockstat"}
REQUESTERS = {"curl", "wget", "http", "https", "httpie", "xh", "nc", "ncat", "netcat", "telnet", "grpcurl", "websocat"}
SERVERS = {"uvicorn", "gunicorn", "hypercorn", "flask", "vllm", "jupyter", "jupyter-lab", "jupyter-notebook",
           "nginx", "redis-server", "mongod", "postgres", "http-server", "serve", "streamlit", "gradio", "ollama",
           "apachectl", "httpd", "caddy", "php-fpm", "sglang", "tgi"}
#: programs whose first non-option argument names what they run (``make test``, ``npm run dev``)
SUBCOMMAND_RUNNERS = {"make", "npm", "yarn", "pnpm", "cargo", "go", "docker", "docker-compose", "pytest", "tox",
                      "nox", "mvn", "gradle", "dotnet", "flask", "jupyter", "vllm", "uv", "poetry", "bundle", "rake"}
WRITERS = {"cp", "mv", "mkdir", "touch", "ln", "install", "rsync", "tee", "truncate", "chmod", "chown", "chgrp",
           "unzip", "tar", "patch", "dd"}
DELETERS = {"rm", "rmdir", "unlink", "shred"}
EXPLORERS = {"ls", "find", "pwd", "cat", "ps", "lsof", "netstat", "ss", "which", "whoami", "id", "uname", "df",
             "free", "nvidia-smi", "env", "printenv", "stat", "tree", "pgrep", "head", "tail", "less", "more",
             "file", "du", "grep", "rg", "ag", "locate", "whereis", "top", "htop", "pstree", "jobs", "hostname",
             "lscpu", "nproc", "ip", "ifconfig", "dpkg", "realpath", "readlink", "wc", "md5sum", "sha256sum",
             "diff", "git", "open", "goto", "scroll_down", "scroll_up", "search_file", "search_dir", "find_file"}
#: code that checks whether a port is taken (as opposed to sending a request)
PORT_CHECK_CODE = re.compile(r"connect_ex|\.bind\(|socket\.socket|\.connect\(\s*\(")
REQUEST_CODE = re.compile(r"requests\.|urlopen|http\.client|httpx|aiohttp|urllib")
IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import|import\s+([\w.]+))", re.M)
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}
INSTALL_VERBS = {"install", "add", "i", "-S", "get"}
SERVICE_MANAGERS = {"systemctl", "service", "rc-service", "supervisorctl"}
SERVICE_VERBS = {"start", "restart", "reload", "stop", "status", "try-restart", "force-reload"}
SUBMIT = re.compile(r"(?i)\bsubmit\b|COMPLETE_TASK_ANDSUBMIT|MINI_SWE_AGENT_FINAL_OUTPUT|\bfinish\b")


def nonopt(argv: list[str]) -> list[str]:
    return [a for a in argv if a and not a.startswith("-")]


def python_target(argv: list[str]) -> tuple[str | None, str | None, str | None]:
    """``(script, module, code)`` of a python command line."""
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "-c":
            return None, None, argv[i + 1] if i + 1 < len(argv) else ""
        if a == "-m":
            return None, argv[i + 1] if i + 1 < len(argv) else None, None
        if a in ("-W", "-X", "-Q"):
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        return a, None, None
    return None, None, None


def first_import(code: str | None) -> str | None:
    """The first third-party module the code imports (else its first module)."""
    names = [module_name(m.group(1) or m.group(2)) for m in IMPORT.finditer((code or "").replace(";", "\n"))]
    return next((n for n in names if n not in STDLIB), names[0] if names else None)


def is_kill(cmd: dict[str, Any]) -> bool:
    """The simple command itself stops processes (the action's PROC-KILL may come from another)."""
    program = cmd.get("program") or ""
    argv = cmd.get("argv") or []
    words = nonopt(argv)
    if program in ("kill", "pkill", "killall", "skill", "xkill"):
        return not ({"-0", "-l", "-L"} & set(argv))
    if program == "fuser":
        return any(a.startswith("-") and "k" in a for a in argv)
    if program in SERVICE_MANAGERS or program == "docker":
        return bool({"stop", "kill"} & set(words))
    if program == "tmux":
        return bool(words) and words[0].startswith("kill")
    return program in SERVERS and "-s" in argv and bool({"stop", "quit"} & set(argv))


def service_unit(cmd: dict[str, Any]) -> str | None:
    """The unit a service manager acts on (``systemctl restart nginx`` -> ``nginx``)."""
    words = nonopt(cmd.get("argv") or [])
    if cmd.get("program") == "service" and len(words) >= 2 and words[1] in SERVICE_VERBS:
        return words[0]
    if len(words) >= 2 and words[0] in SERVICE_VERBS:
        return re.sub(r"\.service$", "", words[1])
    return None


def packages(argv: list[str], normalise: bool = True) -> list[str]:
    words = nonopt(argv)
    if "-m" in argv and "pip" in words:
        words = words[words.index("pip") + 1:]
    for i, w in enumerate(words):
        if w in INSTALL_VERBS:
            words = words[i + 1:]
            break
    names = [w for w in words if not looks_like_path(w) or w.endswith((".whl", ".tar.gz"))]
    if not normalise:
        return [re.split(r"[\[<>=!~;@ ]", w, maxsplit=1)[0] for w in names][:6]
    return sorted({module_name(w) for w in names} - {"", "install", "add", "e"})


def command_paths(cmd: dict[str, Any]) -> list[str]:
    return [path_key(a) for a in (cmd.get("argv") or []) if looks_like_path(a)]
