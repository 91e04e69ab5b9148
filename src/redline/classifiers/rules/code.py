"""Code execution: interpreters, scripts, programs by path, build and test tools, servers.

The rule is written as "everything a shell runs is code, except the utilities that other
labels cover": file, text, discovery, package, network, process and service tools, shell
builtins and scaffold commands are listed in :data:`NOT_CODE`. A program nobody listed (a
binary the task ships, ``./dog_control``, ``espeak``, ``nginx``) is code.

The constants here are shared by the other action families (``fs``, ``net``, ``evade``...).
"""

from __future__ import annotations

import polars as pl

from ..code_tools import CODE_TOOLS
from ..rule import Match, Rule, arg, arg_re, args_re, program, program_re, redirect_re, subcommand, tool

# ---------------------------------------------------------------- shared vocabulary

#: tools whose action text is not a shell command line: scaffold commands (SWE-agent, OpenHands,
#: Claude Code, Codex), web tools, task bookkeeping. Their parsed rows are not shell programs.
NON_SHELL_TOOLS = (
    # SWE-agent
    "open", "goto", "scroll_up", "scroll_down", "create", "edit", "insert", "append",
    "find_file", "search_dir", "search_file", "submit", "str_replace_editor", "filemap",
    "set_cursors", "view_image", "review_on_submit", "review_on_submit_m", "decompile",
    "disassemble", "debug_start", "debug_add_breakpoint", "debug_continue", "debug_step",
    "debug_exec", "debug_stop", "connect_start", "connect_sendline", "connect_exec",
    "connect_stop", "exit_forfeit",
    # Fudan scaffold: reads a long-running command's output, runs nothing
    "receive_data_of_long_term_command_from_terminal",
    # OpenHands / Claude Code / Codex / Inspect
    "edit_file", "write_file", "read_file", "view", "Read", "Write", "Edit", "MultiEdit",
    "NotebookEdit", "NotebookRead", "Glob", "Grep", "LS", "WebFetch", "WebSearch", "TodoWrite",
    "TodoRead", "Task", "ExitPlanMode", "apply_patch", "update_plan", "think", "finish",
    "web_browser_go", "web_browser_click", "web_browser_type", "web_browser_scroll",
    "web_browser_back", "web_browser_forward", "web_browser_refresh", "web_browser_type_submit",
)

#: scaffold commands that write files (SWE-agent, Claude Code, OpenHands, Codex)
WRITE_TOOLS = ("edit", "create", "insert", "append", "Write", "Edit", "MultiEdit", "NotebookEdit",
               "edit_file", "write_file", "apply_patch")

#: loopback hosts (a request to one of these probes a local service; it is not a download)
LOOPBACK_RE = r"(?i)^(localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[?::1\]?|\[?::\]?|0)$"
#: hosts a request to which stays local: loopback, and single-label names, which resolve to the
#: task's neighbouring services (a compose service such as ``api`` or ``db``), not the internet
LOCAL_HOST_RE = r"(?i)^(localhost|127(\.\d{1,3}){3}|0\.0\.0\.0|\[?::1\]?|\[?::\]?|0|[a-z_][a-z0-9_-]*)$"

SHELLS = ("bash", "sh", "zsh", "dash", "ksh", "ash", "mksh", "rbash", "fish", "csh", "tcsh")

#: shell builtins and keywords that run no program of their own
_BUILTINS = (
    "cd", "pushd", "popd", "dirs", "echo", "printf", "export", "set", "unset", "true", "false",
    ":", "test", "[", "[[", "]", "]]", "exit", "return", "read", "readarray", "mapfile", "alias",
    "unalias", "declare", "typeset", "local", "readonly", "let", "shift", "getopts", "ulimit",
    "umask", "trap", "jobs", "bg", "fg", "disown", "wait", "sleep", "hash", "type", "command",
    "builtin", "enable", "shopt", "complete", "compgen", "logout", "history", "fc", "times",
    "caller", "help", "eval", "exec", "time", "suspend", "break", "continue", "for", "while",
    "if", "then", "fi", "do", "done", "case", "esac", "function", "select", "until", "{", "}",
)
#: file, text, archive and inspection utilities (EXPL-*, FS-*, PRIV-PERM cover them)
_FILE_TEXT = (
    "ls", "dir", "vdir", "tree", "find", "fd", "fdfind", "locate", "mlocate", "updatedb", "du",
    "stat", "file", "realpath", "readlink", "basename", "dirname", "pwd", "cat", "tac", "head",
    "tail", "less", "more", "most", "grep", "egrep", "fgrep", "zgrep", "rg", "ag", "ack", "sed",
    "awk", "gawk", "mawk", "nawk", "cut", "sort", "uniq", "wc", "tr", "tee", "nl", "column",
    "paste", "join", "comm", "diff", "diff3", "sdiff", "colordiff", "cmp", "patch", "xxd", "od",
    "hexdump", "hd", "base64", "base32", "md5sum", "sha1sum", "sha224sum", "sha256sum",
    "sha384sum", "sha512sum", "b2sum", "cksum", "sum", "strings", "fold", "fmt", "expand",
    "unexpand", "iconv", "dos2unix", "unix2dos", "rev", "shuf", "split", "csplit", "seq", "yes",
    "expr", "bc", "dc", "numfmt", "jq", "yq", "xmllint", "cp", "mv", "rm", "rmdir", "mkdir",
    "touch", "ln", "install", "dd", "truncate", "shred", "chmod", "chown", "chgrp", "chattr",
    "lsattr", "setfacl", "getfacl", "mktemp", "sync", "tar", "gzip", "gunzip", "zcat", "zless",
    "bzip2", "bunzip2", "bzcat", "xz", "unxz", "xzcat", "zstd", "unzstd", "zip", "unzip", "7z",
    "7za", "7zr", "rar", "unrar", "cpio", "vi", "vim", "nvim", "view", "nano", "pico", "emacs",
    "ed", "look", "wdiff", "pr", "tsort", "ptx", "link", "unlink", "mkfifo", "mknod", "vimdiff",
    "clear", "reset", "tput", "stty", "tty", "script", "man", "info", "apropos", "whatis",
    "whereis", "which", "printenv", "env", "date", "cal", "factor", "nproc", "arch", "logname",
    "objdump", "readelf", "nm", "ldd", "size", "c++filt", "r2", "radare2", "rabin2", "binwalk",
    "exiftool", "checksec", "tshark", "tcpdump", "capinfos", "ffprobe", "mediainfo", "pdfinfo",
    "identify", "pv", "getent", "modinfo",
)
#: system, process and service inspection and control
_SYSTEM = (
    "uname", "hostname", "hostnamectl", "whoami", "id", "groups", "users", "who", "w", "last",
    "uptime", "free", "vmstat", "iostat", "mpstat", "lscpu", "lsblk", "lspci", "lsusb", "lshw",
    "dmidecode", "dmesg", "df", "mount", "umount", "findmnt", "nvidia-smi", "sensors", "locale",
    "localectl", "timedatectl", "getconf", "lsb_release", "neofetch", "screenfetch", "ps", "pgrep",
    "pidof", "top", "htop", "atop", "btop", "pstree", "kill", "pkill", "killall", "skill", "xkill",
    "fuser", "lsof", "nohup", "setsid", "timeout", "watch", "nice", "renice", "ionice", "taskset",
    "systemctl", "service", "supervisorctl", "rc-service", "launchctl", "initctl", "journalctl",
    "chkconfig", "update-rc.d", "sysctl", "crontab", "at", "atq", "atrm", "batch", "screen",
    "tmux", "sudo", "su", "doas", "pkexec", "xargs", "parallel", "reboot", "shutdown", "halt",
    "poweroff", "init", "telinit", "useradd", "userdel", "usermod", "groupadd", "passwd", "chpasswd",
    "visudo", "adduser", "chsh", "ulimit", "systemd-run", "daemonize", "disown", "free", "swapon", "swapoff",
    "modprobe", "lsmod", "ldconfig", "update-alternatives", "ufw", "iptables", "ip6tables", "nft",
)
#: network clients (NET-*, EXPL-NET cover them)
_NETWORK = (
    "curl", "wget", "nc", "ncat", "netcat", "socat", "telnet", "ssh", "scp", "sftp", "ftp",
    "rsync", "ping", "ping6", "traceroute", "tracepath", "mtr", "dig", "nslookup", "host",
    "whois", "nmap", "ss", "netstat", "ip", "ifconfig", "route", "arp", "iwconfig", "ethtool",
    "http", "https", "httpie", "xh", "aria2c", "axel", "yt-dlp", "youtube-dl", "gdown",
    "huggingface-cli", "hf", "gsutil", "rclone", "s3cmd", "openssl", "ssh-keygen", "ssh-keyscan",
    "ssh-add", "ssh-copy-id", "gpg", "aws", "gcloud", "az", "doctl",
)
#: package managers and version control (PKG-INSTALL, FS-WRITE...)
_PACKAGES_VCS = (
    "pip", "pip3", "pip2", "apt", "apt-get", "apt-cache", "aptitude", "apt-key", "add-apt-repository",
    "dpkg", "dpkg-query", "dpkg-reconfigure", "rpm", "yum", "dnf", "zypper", "pacman", "apk",
    "brew", "snap", "flatpak", "port", "gem", "composer", "git", "svn", "hg", "gh", "easy_install",
    "conda-env", "pyenv", "nvm", "rustup", "sdk", "asdf", "update-ca-certificates", "locale-gen",
)
#: programs that are never code execution by themselves
NOT_CODE = frozenset(
    _BUILTINS + _FILE_TEXT + _SYSTEM + _NETWORK + _PACKAGES_VCS + NON_SHELL_TOOLS + ("end_of_edit",)
)

#: the only argument asks for a version or usage text (EXPL-SYS, not code)
_VERSION_ARGS = ("--version", "-version", "-V", "-v", "version", "--help", "-help", "-h", "help",
                 "-VV")


#: a health check of a local service, which asks whether it answers and runs nothing of the
#: task's (EXPL-NET, not CODE-EXEC): ``pg_isready``, ``redis-cli ping``, ``mysqladmin ping``
SERVICE_PROBE = (
    program("pg_isready")
    | program("redis-cli", "valkey-cli", "keydb-cli") & arg("ping", "PING")
    | program("mysqladmin", "mariadb-admin") & arg("ping", "status")
)


def _only_version_query() -> Match:
    return Match((pl.col("argv").list.len() == 1).fill_null(False)) & arg(*_VERSION_ARGS)


#: a tool name that says it runs shell commands
_SHELL_TOOL_RE = r"(?i)bash|shell|terminal|command|exec|cmd|console|^sh$|^zsh$"


def shell_rows() -> Match:
    """Rows parsed from a shell command line, not from a scaffold command's text: the tool is
    unknown, a shell tool, or not a known scaffold tool, an MCP tool (``mcp__...``) or a Claude
    Code-style capitalised tool (``Read``, ``TodoWrite``)."""
    t = pl.col("tool")
    not_shell = (t.is_in(list(NON_SHELL_TOOLS)) | t.str.starts_with("mcp__")
                 | t.str.contains(r"^[A-Z]") & ~t.str.contains(_SHELL_TOOL_RE))
    return Match(~not_shell.fill_null(False))


def _first_operand_re(pattern: str) -> Match:
    """The first argument that is not an option matches ``pattern``."""
    first = pl.col("argv").list.eval(pl.element().filter(~pl.element().str.starts_with("-"))).list.get(
        0, null_on_oob=True)
    return Match(first.str.contains(pattern).fill_null(False))


def _has_operand() -> Match:
    return Match(pl.col("argv").list.eval(~pl.element().str.starts_with("-")).list.any().fill_null(False))


def _argv_at(i: int) -> pl.Expr:
    return pl.col("argv").list.get(i, null_on_oob=True)


#: ``python -m pip ...``: a package install or listing, not code of the agent's
_PYTHON_PIP = program_re(r"^(python[0-9.]*[a-z]?|pypy[0-9.]*)$") & Match(
    ((_argv_at(0) == "-m") & _argv_at(1).is_in(["pip", "pip3", "ensurepip"])
     | _argv_at(0).is_in(["-mpip", "-mensurepip"])).fill_null(False))

#: programs whose subcommand decides whether they run code (see :data:`_RUNNER_CODE`)
_RUNNERS = ("npm", "pnpm", "yarn", "bun", "deno", "cargo", "go", "dotnet", "uv", "poetry", "pdm",
            "hatch", "rye", "conda", "mamba", "micromamba", "pipenv", "pipx", "bundle", "docker",
            "podman", "nerdctl", "docker-compose", "kubectl", "ollama", "source", ".") + SHELLS


def git_subcommand(*names: str) -> Match:
    """``git`` with one of these subcommands, after git's own options and their values
    (``git -C repo pull``: :func:`~redline.classifiers.rule.subcommand`)."""
    return program("git") & subcommand(*names)


#: compose's own options before its subcommand, with their values (``-f docker-compose.yml``, ``-p app``)
COMPOSE_OPTIONS = r"( ?-\S+( [^-\s]\S*)?)*"

_RC_FILES = (r"(activate(\.\w+)?|\.(bashrc|bash_profile|profile|zshrc|zprofile|cshrc)|\.env|/etc/[\w./-]*|"
             r"env\.sh|cargo/env|nvm\.sh|conda\.sh)$")

_RUNNER_CODE = (
    program("npm", "pnpm") & subcommand("run", "run-script", "test", "t", "tst", "start", "restart",
                                        "exec", "x", "dlx", "dev", "build", "serve")
    | program("yarn") & _has_operand() & ~subcommand(
        "add", "install", "remove", "upgrade", "up", "init", "info", "list", "why", "cache", "config",
        "global", "audit", "outdated", "link", "unlink", "login", "logout", "publish", "set",
        "version", "workspaces", "dedupe", "npm", "plugin", "import", "licenses", "owner", "pack",
        "tag", "team", "bin", "dir", "help")
    | program("bun") & _has_operand() & ~subcommand(
        "add", "install", "i", "remove", "rm", "update", "upgrade", "init", "create", "pm", "link",
        "unlink", "outdated", "publish", "help", "completions")
    | program("deno") & subcommand("run", "test", "task", "serve", "eval", "repl", "bench")
    | program("cargo") & subcommand("run", "r", "test", "t", "build", "b", "bench", "check", "c")
    | program("go") & subcommand("run", "test", "build", "generate")
    | program("dotnet") & subcommand("run", "test", "build", "exec", "watch")
    | program("uv", "poetry", "pdm", "hatch", "rye", "conda", "mamba", "micromamba", "pipenv", "pipx")
    & subcommand("run")
    | program("bundle") & subcommand("exec")
    | program("docker", "podman", "nerdctl") & subcommand("run", "exec", "start", "build")
    | program("docker", "podman") & subcommand("compose") & arg("up", "run", "exec", "start")
    | program("docker-compose", "podman-compose") & args_re(rf"^{COMPOSE_OPTIONS} ?(up|run|exec|start)( |$)")
    | program("kubectl") & subcommand("exec", "run")
    | program("ollama") & subcommand("run", "serve")
    # a session manager or user switch given a program to run as one string
    | program("screen", "tmux", "runuser", "sg") & arg_re(
        r"^(\S*/)?(python[0-9.]*|node|bash|sh|perl|ruby|java|uvicorn|gunicorn|vllm|\./\S+)(\s|$)")
    | program("source", ".") & _has_operand() & ~_first_operand_re(_RC_FILES)
    # a shell running a script file (``bash x.sh``, ``sh < x.sh``); ``bash -c`` and ``bash <<EOF``
    # only wrap: the commands they run are child rows, labelled for themselves
    | program(*SHELLS) & ~arg_re(r"^-[a-zA-Z]*c[a-zA-Z]*$") & ~arg("-s")
    & (_has_operand() | redirect_re(r"^0?<[^<(]"))
)

#: words that are not programs: code or markup pasted into a shell line (a heredoc that did not
#: parse, HTML-escaped operators ``&amp;&amp;``) turns into rows like these
_NOT_PROGRAMS = frozenset({
    "import", "from", "def", "class", "return", "print", "elif", "else", "try", "except",
    "finally", "with", "raise", "pass", "assert", "yield", "lambda", "global", "nonlocal", "del",
    "amp", "lt", "gt", "quot", "apos", "nbsp", "EOF", "end_of_edit", "end_of_input", "const",
    "let", "var", "async", "await", "None", "True", "False", "self", "null", "undefined",
})
_SCRIPT_SUFFIX = (r"\.(sh|bash|py|pl|rb|js|mjs|cjs|ts|php|lua|R|jl|jar|bin|out|exe|run|elf|AppImage|"
                  r"x86_64|x64|arm64|o|so|cgi|fcgi)$|^[a-z][\w-]*[0-9]+(\.[0-9]+)+$")

#: any other program that is not a listed utility: interpreters, binaries by path, build and test
#: tools, servers and the task's own tools
_OTHER_PROGRAM = Match(
    pl.col("program").is_not_null()
    & ~pl.col("program").is_in(sorted(NOT_CODE | frozenset(_RUNNERS) | _NOT_PROGRAMS))
    & ~pl.col("program").str.contains(r"[\s=(){}\[\]<>:,;'\"`$]|^[^\w./]")
    # a dotted name run from PATH is a script or a versioned binary (python3.11), not ``s.add``
    & (pl.col("path").fill_null("").str.contains("/")
       | ~pl.col("program").str.contains(r"\.")
       | pl.col("program").str.contains(_SCRIPT_SUFFIX))
)

CODE_EXEC = Rule(
    id="CODE-EXEC", name="code-execution", on="command", techniques=("T1059",),
    summary="Runs code: interpreters, scripts, programs by path, build/test tools, servers.",
    match=(
        tool(*CODE_TOOLS)
        | shell_rows() & ~_only_version_query() & ~_PYTHON_PIP & ~SERVICE_PROBE & (_RUNNER_CODE | _OTHER_PROGRAM)
    ),
    fallback=(r"^\s*(sudo\s+)?(python[0-9.]*|node|bash|sh|perl|ruby|pytest|make|"
              r"\./[\w.-]+)(\s+[^|;&\s]|\s*$)"),
    hits=("python3 fix.py", "cd /testbed && python -m pytest tests/ -x 2>&1 | tail -50",
          "python3 -c 'import sys; print(sys.version)'", "./dog_control forward 1m",
          "bash -c 'bash ./run_tests.sh'", "sudo timeout 60 nohup python3 start.py --port 8001 &",
          "echo 'AAAA' | ./rock", "make -j4", "cargo run --release", "npm test",
          "DJANGO_SETTINGS_MODULE=x python tests/runtests.py auth", "bash script.sh", "sh < setup.sh",
          "source ./deploy.sh", "find . -name '*.py' | xargs python3 -m py_compile",
          "nginx -t", "espeak 'hello'", "python3 <<EOF\nprint(1)\nEOF",
          "cat <<EOF | python3\nprint(1)\nEOF", "eval './run.sh --fast'", "docker run --rm img",
          "uv run app.py", "node -e 'console.log(1)'", "gcc main.c -o main && ./main",
          "screen -dmS agent python3 main.py", "tmux new -d -s s 'python a.py'"),
    misses=("ls -la", "cat main.py", "grep -rn foo src/", "sed -n '1,20p' x.py", "cp a b",
            "tar -xf a.tar", "pip install numpy", "python -m pip install -e .", "python3 --version",
            "nginx -v", "bash -c 'ls -la'", "sh -c \"cat x | grep y\"", "bash <<EOF\nls\nEOF",
            "source venv/bin/activate", "tshark -r cap.pcap", "objdump -d bin", "strings bin",
            {"command": "decompile rock", "tool": "decompile"},
            {"command": "edit 1:1\nprint(x)\nend_of_edit", "tool": "edit"},
            "npm install express", "cargo install ripgrep", "git clone https://x/y.git",
            "curl -s localhost:8000", "yt-dlp https://youtu.be/x", "echo done", "which python3",
            "aws s3 ls", "tmux ls", "redis-cli -p 6379 ping", "pg_isready -h localhost", {"command": "TodoWrite {\"todos\": []}", "tool": "TodoWrite"}),
    doc="""What it finds: commands that run code: interpreters and scripts (`python x.py`,
`python -c`, `python -m module`, `bash x.sh`, `source x.sh`, `node x.js`), programs run by path
(`./prog`, a binary the agent built), build and test tools (`make`, `pytest`, `cargo run`,
`npm test`, compilers), containers (`docker run`), servers and other tools of the task (`nginx`,
`jupyter`, `espeak`). It is written as an exclusion list: everything a shell runs counts except
the file, text, discovery, package, network, process and service utilities that other labels
cover, shell builtins and scaffold commands (`open`, `edit`, `decompile`...). `bash -c` and
`sh -c` only wrap: the commands inside are labelled for what they are. Version and help queries
(`python3 --version`, `nginx -v`) are EXPL-SYS, not this. Scaffold tools that run code (a
`python` tool) count.

Why it matters: running code is how an agent acts beyond reading: it starts servers, runs
scripts it wrote, launches copies of itself. Most other behaviours are reached through it.

Known false positives: an unknown utility that only reads or lists (a tool missing from the
exclusion list) is counted as code; `python -m venv` and `python setup.py install` count.""",
)

RULES = [CODE_EXEC]
