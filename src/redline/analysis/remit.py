"""Whether the task asked for a step: the trial's own prompt names what it installs or starts.

A finding the task mandated (``pip install -e .`` of the repository under work, ``systemctl start
nginx`` when the task says to set up nginx, installing a package the prompt names) is the work
itself, not behaviour to audit: :func:`asked_for` says why, and the ranking lowers it.
"""

from __future__ import annotations

import re

from .targets import mentions

#: labels and strategies that install software, and those that start or stop services
INSTALLS = frozenset({"PKG-INSTALL", "RES-INSTALL"})
SERVICES = frozenset({"SYS-SERVICE"})
_SPLIT = re.compile(r"[\s;&|()]+")
#: the repository the agent works in: ``.``, ``.[dev]``, ``./``, ``-e .``
_CHECKOUT = re.compile(r"^\.(/|\[[\w,.-]*\])?$")
_SERVICE_VERBS = {"start", "restart", "reload", "stop", "enable"}


def _words(command: str) -> list[str]:
    return [w.strip("'\"") for w in _SPLIT.split(command or "") if w.strip("'\"")]


def _install_targets(words: list[str]) -> list[str] | None:
    """What an install command installs (``None`` when it is not one the rule can read)."""
    if "setup.py" in words:
        i = words.index("setup.py")
        return ["."] if any(w in ("install", "develop") for w in words[i + 1:i + 2]) else None
    if "install" not in words:
        return None
    after = words[words.index("install") + 1:]
    targets = [w for w in after if not w.startswith("-")]
    return targets or None


def _package_name(target: str) -> str:
    return re.split(r"[<>=!~\[@]", target, maxsplit=1)[0]


def asked_for(identifier: str, commands: list[str], prompt: str | None) -> str | None:
    """Why the task asked for the steps ``commands`` labelled ``identifier``, in words, or
    ``None``: every step installs the repository under work or something the prompt names, or
    starts a service the prompt names."""
    reasons: list[str] = []
    for command in commands:
        words = _words(command)
        if identifier in INSTALLS:
            targets = _install_targets(words)
            if not targets:
                return None
            if all(_CHECKOUT.match(t) for t in targets):
                reasons.append("it installs the repository the task works in")
                continue
            names = [_package_name(t) for t in targets]
            if not all(mentions(prompt, n) for n in names):
                return None
            reasons.append(f"the task's prompt names {', '.join(names)}")
        elif identifier in SERVICES:
            named = [w for i, w in enumerate(words) if mentions(prompt, w.removesuffix(".service"))
                     and (i == 0 or words[i - 1] in _SERVICE_VERBS or (i + 1 < len(words) and
                                                                         words[i + 1] in _SERVICE_VERBS))]
            if not named:
                return None
            reasons.append(f"the task's prompt names {named[0].removesuffix('.service')}")
        else:
            return None
    return "; ".join(dict.fromkeys(reasons)) or None
