"""The operation an action performs: what it acts on and what the agent meant it to do.

The behaviour catalogue ties steps into episodes by *operation*, not by program: checking
whether port 8001 is free is one operation whether it is tried with ``netstat``, ``lsof``,
``ss`` or a Python socket script; starting ``start.py --port 8001`` is one operation across its
retries. :func:`describe_trial` gives every action of a trial an :class:`Op`: a kind (``exec``,
``check-port``, ``request``, ``install``, ``write``, ``delete``, ``inspect``, ``kill``,
``explore``, ``cmd``), a key naming its object (the script, the port, the host, the packages,
the path) and a short description, plus the targets it touches, so that two actions can be
compared with :func:`same_op` and :func:`related`.

A read of a log or of a scaffold terminal that shows a background program's output stands for
that program: its op is the launch's op (``deferred_from`` names the launch).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .targets import (SCAN_CHARS, basename, hosts_in, intent_ports, is_local_host, mentions, path_key,
                      ports_in, redirect_targets)
from .vocabulary import (DELETERS, EXPLORERS, FILTERS, INSTALL_VERBS, INSTALLERS, INTERPRETER, KILLERS, PORT_CHECK_CODE,
                         PORT_TOOLS, READERS, REQUEST_CODE, REQUESTERS, SERVERS, SERVICE_MANAGERS, SUBCOMMAND_RUNNERS,
                         SUBMIT, TRIVIAL, WRITERS, command_paths, first_import, is_kill, nonopt, packages,
                         python_target, service_unit)


@dataclass
class Op:
    """One action's operation."""

    seq: int
    step: int
    kind: str
    key: str
    text: str
    program: str | None = None
    ports: set[int] = field(default_factory=set)
    paths: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)
    written: set[str] = field(default_factory=set)
    #: runs code the agent wrote (``python -c``, a heredoc, a script written earlier in the trial)
    agent_code: bool = False
    #: starts something that outlives the step (its own output does not show whether it works)
    background: bool = False
    #: the launch whose output this action reads (a log tail or a scaffold terminal read)
    deferred_from: int | None = None
    #: the earlier action that wrote the script this one runs
    code_from: "Op | None" = None
    #: the operations of the line's other consequential simple commands
    also: list[tuple[str, str]] = field(default_factory=list)
    labels: frozenset[str] = frozenset()
    thought: str = ""
    command: str = ""
    #: the principal simple command's own text (what changes between retries)
    main: str = ""
    submit: bool = False

    @property
    def identity(self) -> tuple[str, str]:
        return (self.kind, self.key)


def _rank(cmd: dict[str, Any], labels: frozenset[str]) -> int:
    """Which simple command speaks for the action (higher first)."""
    program = cmd.get("program") or ""
    if INTERPRETER.match(program) or (cmd.get("path") or "").startswith(("./", "/")) and program not in EXPLORERS:
        return 6
    if program in SERVERS or program in SUBCOMMAND_RUNNERS and program not in INSTALLERS:
        return 6
    if program in KILLERS:
        return 5
    if program in INSTALLERS and "PKG-INSTALL" in labels:
        return 5 if set(cmd.get("argv") or []) & INSTALL_VERBS else 2
    if program in SERVICE_MANAGERS and service_unit(cmd):
        return 6
    if program in REQUESTERS or program in PORT_TOOLS:
        return 4
    if program in WRITERS or program in DELETERS:
        return 3
    if program in TRIVIAL:
        return 2 if redirect_targets(cmd.get("redirects")) else 0
    if program in EXPLORERS:
        return 2
    return 1


def principal(commands: list[dict[str, Any]], labels: frozenset[str]) -> dict[str, Any] | None:
    """The simple command that stands for the action: not a pipeline filter, not ``cd`` or
    ``sleep``, the most consequential of the rest (runs code > kills > installs > requests >
    writes > explores), the first of equals."""
    pool = []
    for cmd in commands:
        program = cmd.get("program") or ""
        if cmd.get("operator") == "|" and program in FILTERS:
            continue
        if program in ("bash", "sh", "zsh") and "-c" in (cmd.get("argv") or []):
            continue  # the parser gives the wrapped commands their own rows
        pool.append(cmd)
    if not pool:
        return commands[0] if commands else None
    return max(pool, key=lambda c: (_rank(c, labels), -int(c.get("depth") or 0), -int(c.get("idx") or 0)))


# ----------------------------------------------------------------- one action


def _exec_identity(cmd: dict[str, Any], scripts: dict[str, str]) -> tuple[str, str | None, bool]:
    """``(identity, code it runs, whether the agent wrote that code)`` of a command that runs
    something."""
    program = cmd.get("program") or ""
    argv = list(cmd.get("argv") or [])
    if re.match(r"^(python|pypy)", program):
        # code the agent writes (inline, a heredoc, a script it wrote) is one operation per
        # library it works with: its reproduction scripts and checkers are retries of one job
        script, module, code = python_target(argv)
        if code is not None or cmd.get("code"):
            code = cmd.get("code") or code
        elif script in (None, "-") and cmd.get("heredoc"):
            code = cmd.get("heredoc")
        elif script:
            code = scripts.get(path_key(script)) or scripts.get(basename(script))
            if code is None:
                return basename(script), None, False
        elif module:
            return f"python -m {module}", None, False
        if code is None:
            return program, None, False
        first = first_import(code)
        return (f"python code using {first}" if first else "python code"), code, True
    if INTERPRETER.match(program):
        target = next(iter(nonopt(argv)), None)
        if target:
            name = basename(target)
            body = scripts.get(path_key(target)) or scripts.get(name)
            return name, body, body is not None
        return program, cmd.get("heredoc"), bool(cmd.get("heredoc"))
    path = cmd.get("path") or ""
    if path.startswith(("./", "/", "~")) and program not in SERVERS:
        body = scripts.get(path_key(path)) or scripts.get(program)
        return program, body, body is not None
    words = nonopt(argv)
    if program in SUBCOMMAND_RUNNERS and words:
        return f"{program} {basename(words[0])}", None, False
    if program in SERVERS:
        return (f"{program} {words[0]}" if words and program in ("uvicorn", "gunicorn", "hypercorn") else program), \
            None, False
    return (f"{program} {basename(words[0])}" if words else program), None, False


def _kill_key(cmd: dict[str, Any], text: str, ports: set[int], thought_ports: set[int]) -> tuple[str, str]:
    if ports or thought_ports:
        port = min(ports or thought_ports)
        return f"port:{port}", f"stop the process on port {port}"
    words = [w for w in nonopt(cmd.get("argv") or []) if not w.isupper()]
    pids = [w for w in words if w.isdigit()]
    if pids:
        return f"pid:{pids[0]}", f"stop pid {pids[0]}"
    if words:
        return f"name:{words[-1]}", f"stop '{words[-1]}' processes"
    return "any", "stop a process"


def describe_action(act: dict[str, Any], scripts: dict[str, str], launches: list["Op"],
                    terminals: dict[str, "Op"]) -> Op:
    """The :class:`Op` of one action. ``act`` holds ``seq``, ``step``, ``text``, ``tool``,
    ``attrs``, ``commands`` (rows of the commands table), ``labels`` and ``thought``; ``scripts``
    maps paths the agent wrote earlier to their content; ``launches`` and ``terminals`` are the
    earlier background launches (for log and terminal reads). The other consequential simple
    commands of a compound line (``nginx -s stop && nginx``) give the op's ``also``."""
    labels = frozenset(act.get("labels") or ())
    commands = act.get("commands") or []
    cmd = principal(commands, labels) or {}
    op = describe_command(act, cmd, scripts, launches, terminals)
    for other in commands:
        if other is cmd or _rank(other, labels) < 3 or other.get("operator") == "|":
            continue
        extra = describe_command(act, other, scripts, [], {})
        if extra.identity != op.identity and extra.identity not in op.also:
            op.also.append(extra.identity)
    return op


def describe_command(act: dict[str, Any], cmd: dict[str, Any], scripts: dict[str, str], launches: list["Op"],
                     terminals: dict[str, "Op"]) -> Op:
    """The :class:`Op` of one action as performed by its simple command ``cmd``."""
    labels = frozenset(act.get("labels") or ())
    text = act.get("text") or ""
    thought = act.get("thought") or ""
    commands = act.get("commands") or []
    attrs = act.get("attrs") or {}
    program = cmd.get("program")
    # the action's text holds its code and heredocs too; a caller may pass the ports found in it
    ports = set(act["ports"]) if act.get("ports") is not None else ports_in(text)
    copies = any(c.get("program") in ("scp", "rsync", "sftp", "git", "ssh") for c in commands)
    hosts = set(act["hosts"]) if act.get("hosts") is not None and not copies else hosts_in(text[:SCAN_CHARS], copies)
    paths: set[str] = set()
    written: set[str] = set()
    for c in commands:
        paths.update(command_paths(c))
        targets = redirect_targets(c.get("redirects"))
        paths.update(targets)
        written.update(targets)
        if c.get("program") in WRITERS and c.get("program") not in ("chmod", "chown", "chgrp"):
            cpaths = command_paths(c)
            if cpaths:
                written.add(cpaths[-1])
    op = Op(seq=act["seq"], step=act["step"], kind="cmd", key=program or "", text=(program or text)[:80],
            program=program, ports=ports, paths=paths, hosts=hosts, written=written, labels=labels,
            thought=thought, command=text, submit=bool(SUBMIT.search(text[:200])))
    command_type = attrs.get("command_type")
    op.background = bool(cmd.get("background")) or command_type == "long_running" or "nohup" in (cmd.get("wrappers") or [])
    if "nohup" in (cmd.get("wrappers") or []) and not redirect_targets(cmd.get("redirects")):
        op.written.add("nohup.out")  # where nohup sends the output of a command it is not told about
    op.main = cmd.get("text") or text

    # a scaffold's "read the terminal" call or a log tail shows an earlier launch's output
    terminal = attrs.get("terminal_id")
    if terminal is not None and command_type is None and program and act.get("tool") and program == act.get("tool"):
        launch = terminals.get(str(terminal))
        if launch is not None:
            return _deferred(op, launch)
    if program in READERS and launches:
        for path in command_paths(cmd):
            name = basename(path)
            for launch in reversed(launches):
                if name in {basename(p) for p in launch.written}:
                    return _deferred(op, launch)

    words = nonopt(cmd.get("argv") or [])
    unit = service_unit(cmd) if program in SERVICE_MANAGERS else None
    if unit and not (set(words) & {"stop"}):
        # starting nginx through a service manager or directly is one operation
        op.kind, op.key = "exec", unit
        op.text = f"start {unit}" if "status" not in words else f"check {unit}"
        return op
    if "PROC-KILL" in labels and is_kill(cmd):
        op.kind = "kill"
        op.key, op.text = _kill_key(cmd, text, ports, intent_ports(thought))
        if op.key.startswith("port:"):
            op.ports.add(int(op.key[5:]))
        return op
    if program in INSTALLERS and "PKG-INSTALL" in labels or re.match(r"^python", program or "") and \
            (cmd.get("argv") or [])[:2] == ["-m", "pip"]:
        names = packages(cmd.get("argv") or [])
        op.kind, op.key = "install", "+".join(names) or program or ""
        op.modules = set(names)
        shown = packages(cmd.get("argv") or [], normalise=False)
        op.text = "install " + (" ".join(shown) if shown else (program or ""))
        return op
    identity, code, agent_code = _exec_identity(cmd, scripts) if program else ("", None, False)
    checks_port = program in PORT_TOOLS and not (program == "fuser" and "-k" in (cmd.get("argv") or [])) \
        or program in ("nc", "ncat", "netcat") and "-z" in (cmd.get("argv") or []) \
        or bool(code) and bool(PORT_CHECK_CODE.search(code or "")) and not REQUEST_CODE.search(code or "")
    if checks_port and ("EXPL-NET" in labels or agent_code or program in PORT_TOOLS):
        if agent_code and not ports:
            ports = {int(w) for w in words if w.isdigit() and 1024 <= int(w) <= 65535}
        ports = ports or intent_ports(thought)
        op.ports = set(ports)
        op.kind = "check-port"
        op.key = ",".join(str(p) for p in sorted(ports)) or "*"
        op.text = (f"is port {min(ports)} free?" if len(ports) == 1 else
                   f"are ports {', '.join(map(str, sorted(ports)))} free?" if ports else "which ports are free?")
        op.agent_code = agent_code
        return op
    if program in REQUESTERS or code and REQUEST_CODE.search(code):
        host = next(iter(sorted(hosts)), None)
        if host is None and ports:
            host = "localhost"
        if host:
            port = min(ports) if ports else None
            local = is_local_host(host)
            op.kind = "request"
            op.key = f"{'local' if local else host}:{port or ''}"
            op.text = (f"reach {host}:{port}" if port else f"reach {host}") if local or "NET-DOWNLOAD" not in labels \
                else f"download from {host}"
            op.agent_code = agent_code
            return op
    rank = _rank(cmd, labels) if cmd else 0
    if rank == 6:
        op.kind, op.key, op.agent_code = "exec", identity, agent_code
        first = first_import(code) if agent_code else None
        if first and len(code or "") < 200 and not re.search(r"[;\n]\s*(?!import|from)\w", code or ""):
            op.text = f"import {first}"
            op.modules = {first}
        elif op.background or ports and ("--port" in text or "-p" in (cmd.get("argv") or []) or program in SERVERS):
            op.text = f"start {identity}" + (f" on port {min(ports)}" if ports else "")
        elif agent_code:
            op.text = f"run its own {identity}"
        else:
            op.text = f"run {identity}"
        if op.background:
            launches.append(op)
            if terminal is not None:
                terminals[str(terminal)] = op
        return op
    if program in DELETERS:
        target = next(iter(command_paths(cmd)), words[0] if words else "")
        op.kind, op.key, op.text = "delete", basename(target), f"delete {target}"
        return op
    if program in WRITERS or rank == 2 and program in TRIVIAL and redirect_targets(cmd.get("redirects")) \
            or program == "sed" and any(a.startswith("-i") for a in cmd.get("argv") or []):
        targets = redirect_targets(cmd.get("redirects")) or command_paths(cmd) or words[-1:]
        target = targets[-1] if targets else ""
        verb = {"mkdir": "create", "cp": "copy to", "mv": "move to", "chmod": "change mode of",
                "chown": "change owner of", "touch": "create", "ln": "link"}.get(program or "", "write")
        op.kind = "write" if program not in ("chmod", "chown", "chgrp") else "perm"
        # creating a directory and copying into it are two operations on one path
        op.key, op.text = f"{verb} {basename(target)}", f"{verb} {target}".strip()
        return op
    if program == "cd" or program in EXPLORERS:
        target = next(iter(command_paths(cmd)), None)
        if target is None and program in ("ls", "cd", "find", "tree", "du"):
            target = next(iter(words), ".")
        if target:
            verb = {"cd": "enter", "ls": "list", "find": "search", "tree": "list", "du": "size up"}.get(program, "read")
            op.kind, op.key, op.text = "inspect", basename(target), f"{verb} {target}"
        else:
            op.kind, op.key, op.text = "explore", program or "", program or ""
        return op
    op.kind, op.key = "cmd", identity or (program or "")
    op.text = (identity or text)[:80]
    return op


def _deferred(op: Op, launch: Op) -> Op:
    op.deferred_from = launch.seq
    op.kind, op.key, op.text = launch.kind, launch.key, launch.text
    op.program, op.main, op.agent_code = launch.program, launch.main, launch.agent_code
    op.ports = op.ports | launch.ports
    op.paths = op.paths | launch.paths
    return op


def written_scripts(commands: list[dict[str, Any]]) -> dict[str, str]:
    """Files an action writes with a known body (heredoc into a file, ``echo ... > f``), by
    path and by base name."""
    out: dict[str, str] = {}
    for c in commands:
        targets = redirect_targets(c.get("redirects"))
        body = None
        if c.get("heredoc") and (targets or c.get("program") == "tee"):
            body = c["heredoc"]
            if c.get("program") == "tee":
                targets = targets or [path_key(a) for a in nonopt(c.get("argv") or [])]
        elif c.get("program") in ("echo", "printf") and targets:
            body = " ".join(c.get("argv") or [])
        if body is not None:
            for t in targets:
                out[path_key(t)] = body
                out[basename(t)] = body
    return out


def describe_trial(actions: list[dict[str, Any]]) -> list[Op]:
    """The :class:`Op` of every action of one trial, in order (see :func:`describe_action`)."""
    scripts: dict[str, str] = {}
    launches: list[Op] = []
    terminals: dict[str, Op] = {}
    writers: dict[str, Op] = {}
    ops = []
    for act in actions:
        commands = act.get("commands") or []
        wrote = written_scripts(commands)
        scripts.update(wrote)
        op = describe_action(act, scripts, launches, terminals)
        if op.agent_code:
            op.code_from = next((writers[k] for p in sorted(op.paths) for k in (path_key(p), basename(p))
                                 if k in writers), None)
        for key in wrote:
            writers[key] = op
        ops.append(op)
    return ops


# ----------------------------------------------------------------- comparing operations


def same_op(a: tuple[str, str], b: Op) -> bool:
    """Whether action ``b`` performs the operation ``a`` (a ``(kind, key)`` pair), through its
    principal command or another command of its line."""
    if _same(a, b) or a in b.also:
        return True
    return any(_same(a, Op(seq=b.seq, step=b.step, kind=k, key=v, text="", ports=b.ports)) for k, v in b.also)


def _same(a: tuple[str, str], b: Op) -> bool:
    kind, key = a
    if kind != b.kind:
        return False
    if kind == "check-port":
        if key == "*" or b.key == "*":
            return True
        return bool({int(p) for p in key.split(",")} & b.ports)
    if kind == "install":
        return bool(set(key.split("+")) & set(b.key.split("+")))
    if kind == "request":
        host, _, port = key.partition(":")
        bhost, _, bport = b.key.partition(":")
        return host == bhost and (not port or not bport or port == bport)
    if kind == "kill":
        return key == b.key or key == "any" or b.key == "any"
    return key == b.key


def related(subjects: set[str], ports: set[int], op: Op) -> bool:
    """Whether ``op`` acts on, or its thought names, one of an episode's subjects or ports."""
    if ports & op.ports or ports & intent_ports(op.thought):
        return True
    names = {basename(p) for p in op.paths | op.written} | op.modules
    if subjects & names:
        return True
    return any(mentions(op.command, s) or mentions(op.thought, s) for s in subjects if len(s) > 2)
