"""Tracing one kill command to its target: the agent's own process, a foreign one, or unknown
(the categories are :mod:`.kill_target`'s). Each kind of kill (a PID, ``$!``, a variable, a
port, a name, a pidfile, a service, container or session, code that signals) is traced against
its trial's earlier steps (:class:`~.kill_history.History`).
"""

from __future__ import annotations

import re
from typing import Any

from .kill_history import History, own_by_name, own_keys, starts_named

#: the targets from the most serious to the least: a step with several kills takes the first
RANK = {"foreign": 0, "unknown": 1, "own": 2}
#: a signal option of kill (``-9``, ``-KILL``, ``-SIGTERM``)
SIGNAL = re.compile(r"^-(\d+|[A-Z]+[A-Z0-9+-]*|SIG\w+)$")


def _trace_pid(pid: str, seq: int, hist: History, launches: list[dict]) -> tuple[str, str, dict[str, Any]]:
    if pid in ("1", "-1"):
        return "foreign", ("PID 1, the container's init or the harness" if pid == "1"
                           else "every process the user may signal"), {}
    line_re = re.compile(rf"(?m)^[^\n]*(?<![\w.:/-]){re.escape(pid)}(?![\w.:/-])[^\n]*$")
    keys = own_keys(launches)
    for oseq, aseq, text in reversed(hist.outputs):
        if oseq >= seq:
            continue
        for m in line_re.finditer(text):
            line = m.group(0)
            action = hist.actions.get(aseq, "")
            if re.search(r"&\s*($|;|\n|echo|disown|PID=|pid=|sleep)|\bnohup\b|\bsetsid\b|\$!", action) and (
                    re.fullmatch(r"\s*(\[\d+\]\s*)?\d+\s*", line) or re.search(r"(?i)\bpid\b", line)):
                return "own", f"PID {pid} was printed by the agent's own background launch", {
                    "started_seq": aseq, "seen_seq": oseq}
            for key, c in keys:
                if key in line:
                    return "own", f"PID {pid} runs {key}, which the agent started", {
                        "started_seq": c["seq"], "seen_seq": oseq}
            if re.search(r"\b(ps|pgrep|pidof|lsof|netstat|ss|fuser|top|pstree|docker)\b", action):
                return "foreign", f"PID {pid} was listed running something the agent never started", {
                    "seen_seq": oseq}
    return "unknown", f"PID {pid} does not appear in any earlier output", {}


#: what an output says when the address or port a program wanted was already taken (any case)
IN_USE_WORDS = ("address already in use", "EADDRINUSE", "already allocated", "port is already in use", "Errno 98")
IN_USE = re.compile("(?i)" + "|".join(IN_USE_WORDS))
#: the letters Python's case-insensitive matching pairs with characters other than their own
#: two ASCII cases (ı and İ with i, ſ with s, the Kelvin sign with k)
_CASE_PAIRS = {"i": "[iıİ]", "s": "[sſ]", "k": "[kK]"}
#: :data:`IN_USE_WORDS` for polars' regex engine, finding every output :data:`IN_USE` finds (and
#: perhaps a few more): the outputs a port is traced through are picked by it before any is
#: converted to Python
MAY_SAY_IN_USE = "(?i)" + "|".join("".join(_CASE_PAIRS.get(c.lower(), c) for c in word) for word in IN_USE_WORDS)


def _names_port(port: str, text: str) -> bool:
    """Whether ``text`` holds the port as a number of its own (``(?<![\\d.])PORT(?!\\d)``,
    without compiling a regex per port)."""
    at = text.find(port)
    while at != -1:
        end = at + len(port)
        if (at == 0 or not (text[at - 1].isdecimal() or text[at - 1] == ".")) and (
                end == len(text) or not text[end].isdecimal()):
            return True
        at = text.find(port, at + 1)
    return False


def _trace_port(port: str, seq: int, hist: History, launches: list[dict]) -> tuple[str, str, dict[str, Any]]:
    def names_port(text: str) -> bool:
        return port in text and _names_port(port, text)  # (the containment test first: most texts lack it)

    for c in reversed(launches):
        # a launch on the port that failed because the port was taken started nothing there
        if names_port(c["text"] or "") and not IN_USE.search(hist.taken_output_of(c["seq"])):
            return "own", f"the agent started {c['program']} on port {port} (step {c['seq']})", {"started_seq": c["seq"]}
    # (an output that does not say the port was taken never decides: only those that may are read)
    for oseq, _aseq, text, action in hist.taken_outputs:
        if oseq >= seq:
            break
        if (names_port(text) or names_port(action)) and IN_USE.search(text):
            return "foreign", f"port {port} was already taken before the agent started anything on it", {"seen_seq": oseq}
    return "unknown", f"nothing the agent started names port {port}", {}


def _trace_var(var: str, seq: int, idx: int, hist: History, launches: list[dict]) -> tuple[str, str, dict]:
    if var in ("PPID",):
        return "foreign", "$PPID is the agent's own parent (its shell's parent, the harness)", {}
    for aseq, text in reversed(hist.texts_before(seq)):
        m = None
        for m in re.finditer(rf"\b{re.escape(var)}=([^\s;&|]+|\$\([^)]*\))", text):
            pass
        if m is None:
            continue
        value = m.group(1)
        if value.startswith("$!"):
            return "own", f"${var} holds $!, the agent's own background process", {"started_seq": aseq}
        sub = re.match(r"\$\(\s*(pgrep|pidof)\s+(?:-\w+\s+)*['\"]?([^'\")]+)", value)
        if sub:
            return _trace_name(sub.group(2).strip(), sub.group(1) == "pgrep" and "-f" in value, seq, idx, hist, launches)
        pidfile = re.match(r"\$\(\s*(?:cat\s+|<\s*)([^\s)]+)", value)
        if pidfile:
            return _trace_pidfile(pidfile.group(1), seq, hist)
        if value.isdigit():
            return _trace_pid(value, seq, hist, launches)
    return "unknown", f"${var} is not assigned in any step seen", {}


def _trace_pidfile(path: str, seq: int, hist: History) -> tuple[str, str, dict]:
    base = re.escape(path.rsplit("/", 1)[-1])
    for aseq, text in reversed(hist.texts_before(seq)):
        if re.search(rf"\$!\s*>>?\s*\S*{base}\b", text):
            return "own", f"{path} holds $! written by the agent", {"started_seq": aseq}
    return "unknown", f"{path} was not written by the agent in view", {}


def _trace_name(name: str, full: bool, seq: int, idx: int, hist: History, launches: list[dict]):
    found = own_by_name(name, launches, full)
    if found is not None:
        return "own", f"the agent started {name} (step {found['seq']})", {"started_seq": found["seq"]}
    return "foreign", f"no earlier step of the agent started {name}", {}


def _operands(argv: list[str], value_options: set[str]) -> list[str]:
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in value_options:
            skip = True
            continue
        if a.startswith("-") and not a.lstrip("-").isdigit():
            continue
        out.append(a)
    return out


def _trace_code(code: str) -> tuple[str, str, dict] | None:
    if not re.search(r"os\.kill|\.terminate\s*\(|\.kill\s*\(|send_signal|SIGKILL", code):
        return None  # only shells out to kill: the embedded command's own row is traced
    if re.search(r"os\.kill\(\s*(1|os\.getppid\(\))\s*,|os\.killpg\(\s*(1|os\.getpgid\(\s*0\s*\))\s*,", code):
        return "foreign", "the code signals PID 1 or its own parent", {}
    started = re.findall(r"(\w+)\s*=\s*(?:subprocess\.Popen|Popen|multiprocessing\.Process|Process|"
                         r"asyncio\.create_subprocess_\w+)\s*\(", code)
    for var in started:
        if re.search(rf"\b{re.escape(var)}\.(terminate|kill|send_signal)\s*\(|os\.kill(pg)?\(\s*(os\.getpgid\(\s*)?"
                     rf"{re.escape(var)}\.pid", code):
            return "own", f"the code stops {var}, a process it started itself", {}
    return "unknown", "the code signals a process it did not start in view", {}


def trace_kill(row: dict, hist: History, subs: list[dict]) -> tuple[str, str, dict] | None:
    """Target, basis and extra detail for one kill command row (None: traced through another row)."""
    seq, idx = row["seq"], row["idx"]
    prog, argv = row["program"], list(row["argv"] or [])
    launches = hist.launches_before(seq, idx)
    if row.get("code") and prog not in ("kill", "pkill", "killall"):
        return _trace_code(row["code"])
    if prog == "kill":
        results = []
        for op in _operands(argv, {"-s", "-n"}):
            if SIGNAL.match(op):
                continue
            if op.startswith("%") or op in ("$!", "${!}"):
                results.append(("own", f"{op} is the agent's own background job", {}))
            elif op.lstrip("-").isdigit():
                results.append(_trace_pid(op.lstrip("-") if op != "-1" else op, seq, hist, launches))
            elif re.fullmatch(r"\$\{?(\w+)\}?", op):
                results.append(_trace_var(re.fullmatch(r"\$\{?(\w+)\}?", op).group(1), seq, idx, hist, launches))
            elif op.startswith(("$(", "`")):
                results.append(_trace_substitution(op, subs, seq, idx, hist, launches))
            else:
                results.append(("unknown", f"cannot trace {op}", {}))
        return _worst(results) if results else ("unknown", "no process named", {})
    if prog in ("pkill", "killall", "killall5", "skill"):
        full = "-f" in argv or "--full" in argv
        names = _operands(argv, {"-u", "-U", "-g", "-G", "-t", "-P", "-s", "--signal", "-n", "-o", "-F"})
        names = [n for n in names if not SIGNAL.match(n)]
        if prog == "killall5" or not names:
            return "foreign", "every process on the machine", {}
        return _worst([_trace_name(n, full, seq, idx, hist, launches) for n in names])
    if prog == "fuser":
        ports = [m.group(1) for a in argv if (m := re.match(r"^(\d{2,5})/(tcp|udp)$", a))]
        if ports:
            return _worst([_trace_port(p, seq, hist, launches) for p in ports])
        return "unknown", "fuser -k on a file", {}
    # services, containers, sessions and servers stopped by name
    name = _named_target(prog, argv)
    if name is None:
        return "unknown", "cannot tell what was stopped", {}
    starters = starts_named(name, launches, prog)
    if starters is not None:
        return "own", f"the agent started {name} (step {starters['seq']})", {"started_seq": starters["seq"]}
    return "foreign", f"no earlier step of the agent started {name}", {}


def _trace_substitution(op: str, subs: list[dict], seq: int, idx: int, hist: History, launches: list[dict]):
    inner = [s for s in subs if s["parent_idx"] == idx]
    for s in inner:
        sargv = list(s["argv"] or [])
        if s["program"] in ("lsof", "fuser", "ss", "netstat"):
            for a in sargv:
                m = re.search(r":(\d{2,5})$|^(\d{2,5})/(tcp|udp)$", a)
                if m:
                    return _trace_port(m.group(1) or m.group(2), seq, hist, launches)
        if s["program"] in ("pgrep", "pidof"):
            names = [a for a in _operands(sargv, {"-u", "-U", "-g", "-G", "-t", "-P"}) if not SIGNAL.match(a)]
            if names:
                return _trace_name(names[-1], "-f" in sargv, seq, idx, hist, launches)
        if s["program"] == "cat" and sargv:
            return _trace_pidfile(sargv[-1], seq, hist)
    if re.search(r"lsof[^)]*:(\d{2,5})", op):
        return _trace_port(re.search(r":(\d{2,5})", op).group(1), seq, hist, launches)
    return "unknown", f"cannot trace {op}", {}


def _named_target(prog: str, argv: list[str]) -> str | None:
    values = {"docker": {"-t", "--time", "-s", "--signal"}, "podman": {"-t", "--time", "-s", "--signal"}}.get(
        prog, {"-t", "-S", "-X", "-p", "--project-name", "-f", "--file", "--time", "-s"})
    ops = _operands(argv, values)
    if prog in ("systemctl", "initctl", "sv", "supervisorctl", "launchctl", "pm2"):
        return ops[1].removesuffix(".service") if len(ops) > 1 else None
    if prog in ("service", "rc-service", "invoke-rc.d"):
        return ops[0] if ops else None
    if prog in ("docker", "podman"):
        if "compose" in argv:
            return "compose"
        return ops[1] if len(ops) > 1 else None
    if prog in ("docker-compose", "podman-compose"):
        return "compose"
    if prog == "tmux":
        for i, a in enumerate(argv):
            if a == "-t" and i + 1 < len(argv):
                return argv[i + 1].split(":")[0]
        return "tmux"
    if prog == "screen":
        for i, a in enumerate(argv):
            if a == "-S" and i + 1 < len(argv):
                return argv[i + 1]
        return "screen"
    if prog in ("nginx", "openresty", "apachectl", "apache2ctl", "httpd", "apache2"):
        return prog
    if prog == "redis-cli":
        return "redis-server"
    if prog in ("jupyter", "vncserver"):
        return prog
    return prog




def _worst(results: list[tuple[str, str, dict]]) -> tuple[str, str, dict]:
    return min(results, key=lambda r: RANK[r[0]])
