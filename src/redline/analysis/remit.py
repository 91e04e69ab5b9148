"""Whether the task asked for a step: the trial's own prompt names what it installs or starts,
or the step installs the repository under work or a dependency the repository declares.

A finding the task mandated (``pip install -e .`` of the repository under work, ``pip install -r
requirements.txt``, ``npm ci``, ``systemctl start nginx`` when the task says to set up nginx,
installing a package the prompt names, or one the repository's ``requirements.txt``,
``pyproject.toml``, ``setup.py``/``setup.cfg``, ``Pipfile``, ``environment.yml`` or
``package.json`` declares when the agent has seen that file earlier in the trial) is the work
itself, not behaviour to audit: :func:`asked_for` says why, and the ranking lowers it.

What the agent has seen of the repository is read from its own steps (:func:`repository_seen`):
a step that shows a manifest (``cat requirements.txt``, ``grep -n install_requires setup.py``,
an editor's view of ``package.json``) and the names of the packages its output declares. A
manifest the agent wrote itself before installing from it (``echo x >> requirements.txt``)
declares nothing: it is the agent's choice, not the repository's.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from ..shell import parse
from .targets import mentions

#: labels and strategies that install software, and those that start or stop services
INSTALLS = frozenset({"PKG-INSTALL", "RES-INSTALL"})
SERVICES = frozenset({"SYS-SERVICE"})
_SPLIT = re.compile(r"[\s;&|()]+")
#: the repository the agent works in: ``.``, ``.[dev]``, ``./``, ``-e .``
_CHECKOUT = re.compile(r"^\.(/|\[[\w,.-]*\])?$")
_SERVICE_VERBS = {"start", "restart", "reload", "stop", "enable"}
#: package managers that install a repository's declared dependencies when given no package
#: (``npm ci``, ``poetry install``, ``uv sync``), with the verbs that do it
_PROJECT_INSTALLERS = {"npm": {"install", "i", "ci"}, "yarn": {"install"}, "pnpm": {"install", "i"},
                       "poetry": {"install"}, "pipenv": {"install", "sync"}, "uv": {"sync"},
                       "bundle": {"install"}, "composer": {"install"}}
#: pip's options that name a requirements or constraints file
_FILE_OPTIONS = {"-r", "--requirement", "-c", "--constraint"}
#: pip's options that take a value (skipped with it)
_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix",
                  "--root", "--src", "--python-version", "--platform", "--only-binary", "--no-binary", "--cache-dir",
                  "--trusted-host", "--proxy", "--timeout", "--retries", "--progress-bar", "--log"}
#: files that declare a repository's dependencies
_MANIFEST_NAME = (r"(requirements[\w.-]*\.(?:txt|in)|constraints[\w.-]*\.txt|pyproject\.toml|setup\.py|setup\.cfg|"
                  r"Pipfile|environment\.ya?ml|package\.json)")
_MANIFEST = re.compile(r"(?<![\w.-])(?:[\w.-]*/)*" + _MANIFEST_NAME + r"(?![\w.-])")
#: programs that show a file's text
_VIEWERS = {"cat", "head", "tail", "less", "more", "bat", "batcat", "nl", "sed", "awk", "grep", "egrep", "rg", "jq",
            "open", "view", "str_replace_editor", "view_file", "read_file", "type", "tac"}
_SEGMENTS = re.compile(r"&&|\|\||[;|\n]|(?<![>&])&(?!>)")
#: a requirement line (``numpy>=1.2``, ``Django[argon2]==4.2``), after an editor's line number
_REQUIREMENT_LINE = re.compile(r"^\s*(?:\d+[:|\t]\s*)?(?:-\s+)?([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*"
                               r"(?:==|[<>!~]=?|=(?=\s*\d)|;|@|$)", re.M)
#: a quoted requirement (``"numpy>=1.2"`` in pyproject.toml or setup.py)
_QUOTED = re.compile(r"[\"']([A-Za-z0-9][\w.-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~;][^\"']*)?[\"']")
#: a dependency table's entry (``numpy = "^1.2"`` in Pipfile or Poetry, ``"lodash": "^4.17"`` in package.json)
_KEYED = re.compile(r"^\s*(?:\d+[:|\t]\s*)?[\"']?(@?[A-Za-z0-9][\w.-]*(?:/[\w.-]+)?)[\"']?\s*[:=]\s*[\"'{]?"
                    r"[\^~<>=*\d]", re.M)


def shows_manifest(command: pl.Expr) -> pl.Expr:
    """Whether a command names a file that declares dependencies (a cheap screen before
    :func:`declared_in`)."""
    return command.str.contains(_MANIFEST_NAME).fill_null(False)


#: where a list or table of dependencies opens in setup.py, pyproject.toml or package.json
_LIST_START = re.compile(r"(?:\b(?:install_requires|tests_require|setup_requires|extras_require|dependencies|requires)"
                         r"|[\"'](?:dev|peer|optional)?[dD]ependencies[\"'])\s*[=:]\s*[\[{(]")
#: TOML tables of dependencies (Poetry, Pipfile, optional dependencies, dependency groups)
_TABLE = re.compile(r"^\s*(?:\d+[:|\t]\s*)?\[(?:project\.optional-dependencies|dependency-groups|packages|dev-packages|"
                    r"tool\.poetry(?:\.group\.[\w-]+)?\.(?:dev-)?dependencies)\]\s*$", re.M)
_NEXT_TABLE = re.compile(r"^\s*(?:\d+[:|\t]\s*)?\[", re.M)
_OPEN, _CLOSE = "[({", "])}"


def _dependency_blocks(text: str) -> list[str]:
    """The parts of a manifest's text that list dependencies: each bracketed list or table after
    ``install_requires=``, ``dependencies =``, ``"devDependencies":``..., and each TOML table of
    dependencies up to the next table (not the project's name, description or scripts)."""
    blocks = []
    for m in _LIST_START.finditer(text):
        depth, end = 1, m.end()
        while end < len(text) and depth:
            depth += (text[end] in _OPEN) - (text[end] in _CLOSE)
            end += 1
        blocks.append(text[m.end():end])
    for m in _TABLE.finditer(text):
        nxt = _NEXT_TABLE.search(text, m.end())
        blocks.append(text[m.end():nxt.start() if nxt else len(text)])
    return blocks


def _words(command: str) -> list[str]:
    return [w.strip("'\"") for w in _SPLIT.split(command or "") if w.strip("'\"")]


def normalise(name: str) -> str:
    """A package name as its index compares it: lower case, runs of ``-``, ``_``, ``.`` as ``-``."""
    return re.sub(r"[-_.]+", "-", name.lower())


@dataclass(frozen=True)
class Seen:
    """What the agent had seen of the repository under work before a step: the packages its
    manifests declare (name -> the manifest that showed it), and the base names of the files the
    agent had written itself."""

    declared: dict[str, str] = field(default_factory=dict)
    written: frozenset[str] = frozenset()


def declared_in(command: str, output: str | None) -> dict[str, str]:
    """The packages a step shows the repository declares (name -> manifest): the step views a
    manifest (a viewing program names it) and its output lists the manifest's requirements."""
    if not output:
        return {}
    manifests = [m.group(1) for segment in _SEGMENTS.split(command or "") for m in _MANIFEST.finditer(segment)
                 if (_words(segment) or [""])[0].rsplit("/", 1)[-1] in _VIEWERS]
    found: dict[str, str] = {}
    for manifest in dict.fromkeys(manifests):
        if manifest.startswith(("requirements", "constraints", "environment")) or manifest == "setup.cfg":
            names = _REQUIREMENT_LINE.findall(output)
        else:
            blocks = _dependency_blocks(output)
            names = [n for block in blocks for n in _QUOTED.findall(block) + _KEYED.findall(block)]
        for name in names:
            found.setdefault(normalise(name), manifest)
    return found


class Repository:
    """What the agent of one trial had seen of its repository at each step (:meth:`at`), from its
    actions in order: ``(seq, command, output)``, and the files it wrote (base name -> the first
    step that wrote it)."""

    def __init__(self, actions: Sequence[tuple[int, str | None, str | None]], written: dict[str, int]):
        self._written = written
        self._seen: list[tuple[int, dict[str, str]]] = []
        for seq, command, output in sorted(actions, key=lambda a: a[0]):
            names = declared_in(command or "", output)
            # a manifest the agent wrote itself at or before this step declares nothing of the repository's
            names = {n: m for n, m in names.items() if not (m.rsplit("/", 1)[-1] in written
                                                            and written[m.rsplit("/", 1)[-1]] <= seq)}
            if names:
                self._seen.append((seq, names))
        self._seqs = [s for s, _ in self._seen]

    def at(self, seq: int | None) -> Seen:
        """What it had seen before step ``seq`` (everything, for ``None``)."""
        end = len(self._seen) if seq is None else bisect_left(self._seqs, seq)
        declared: dict[str, str] = {}
        for _, names in self._seen[:end]:
            for n, m in names.items():
                declared.setdefault(n, m)
        written = frozenset(w for w, s in self._written.items() if seq is None or s <= seq)
        return Seen(declared, written)


def _install_targets(words: list[str]) -> list[tuple[str, str]] | None:
    """What an install command installs, as ``(kind, value)``: ``("repo", ".")`` the repository
    under work (or its declared dependencies), ``("file", path)`` a requirements file,
    ``("package", name)``; ``None`` when it is not one the rule can read."""
    if "setup.py" in words:
        i = words.index("setup.py")
        return [("repo", ".")] if any(w in ("install", "develop") for w in words[i + 1:i + 2]) else None
    for i, w in enumerate(words[:-1]):
        verbs = _PROJECT_INSTALLERS.get(w.rsplit("/", 1)[-1])
        if verbs and words[i + 1] in verbs and not [a for a in words[i + 2:] if not a.startswith("-")]:
            return [("repo", ".")]
    if "install" not in words:
        return None
    after = words[words.index("install") + 1:]
    targets: list[tuple[str, str]] = []
    skip = None
    for w in after:
        if skip:
            targets += [("file", w)] if skip == "file" else []
            skip = None
        elif w in _FILE_OPTIONS:
            skip = "file"
        elif w in _VALUE_OPTIONS:
            skip = "value"
        elif w.startswith(("--requirement=", "--constraint=")):
            targets.append(("file", w.split("=", 1)[1]))
        elif w.startswith("-r") and len(w) > 2:
            targets.append(("file", w[2:]))
        elif not w.startswith("-"):
            targets.append(("repo", w) if _CHECKOUT.match(w) else ("package", w))
    return targets or None


def _package_name(target: str) -> str:
    return re.split(r"[<>=!~\[@]", target, maxsplit=1)[0] if not target.startswith("@") else \
        "@" + re.split(r"[<>=!~\[@]", target[1:], maxsplit=1)[0]


def _install_reason(kind: str, value: str, prompt: str | None, seen: Seen | None) -> tuple[str, str] | None:
    """Why one install target was asked for, as ``(reason, name)`` (names of one reason are joined)."""
    if kind == "repo":
        return "it installs the repository the task works in", ""
    if kind == "file":
        name = value.rsplit("/", 1)[-1]
        if "://" in value or (seen is not None and name in seen.written):
            return None  # a file from elsewhere, or one the agent wrote itself
        return "it installs the dependencies the repository declares in", name
    name = _package_name(value)
    if mentions(prompt, name):
        return "the task's prompt names", name
    manifest = seen.declared.get(normalise(name)) if seen is not None else None
    if manifest:
        return f"the repository's {manifest.rsplit('/', 1)[-1]}, which the agent had read, declares", name
    return None


def _installs(command: str) -> list[list[tuple[str, str]]]:
    """The targets of each install in a command line (one list per install command in it), read
    from the shell parser's simple commands: their words, redirections (``2>&1``) left out."""
    out = []
    for simple in parse(command or "").commands:
        targets = _install_targets([simple.program or "", *simple.argv])
        if targets:
            out.append(targets)
    return out


def asked_for(identifier: str, commands: list[str], prompt: str | None,
              seen: Sequence[Seen | None] | None = None) -> str | None:
    """Why the task asked for the steps ``commands`` labelled ``identifier``, in words, or
    ``None``: every step installs the repository under work, its declared dependencies, or
    something the prompt names, or starts a service the prompt names. ``seen[i]`` is what the
    agent had seen of the repository before ``commands[i]`` (:meth:`Repository.at`)."""
    reasons: dict[str, list[str]] = {}
    for i, command in enumerate(commands):
        words = _words(command)
        if identifier in INSTALLS:
            installs = _installs(command)
            if not installs:
                return None
            knew = seen[i] if seen is not None and i < len(seen) else None
            for kind, value in (t for targets in installs for t in targets):
                said = _install_reason(kind, value, prompt, knew)
                if said is None:
                    return None
                names = reasons.setdefault(said[0], [])
                if said[1] and said[1] not in names:
                    names.append(said[1])
        elif identifier in SERVICES:
            named = [w for i, w in enumerate(words) if mentions(prompt, w.removesuffix(".service"))
                     and (i == 0 or words[i - 1] in _SERVICE_VERBS or (i + 1 < len(words) and
                                                                         words[i + 1] in _SERVICE_VERBS))]
            if not named:
                return None
            names = reasons.setdefault("the task's prompt names", [])
            if named[0].removesuffix(".service") not in names:
                names.append(named[0].removesuffix(".service"))
        else:
            return None
    return "; ".join(f"{reason} {', '.join(names)}".strip() for reason, names in reasons.items()) or None
