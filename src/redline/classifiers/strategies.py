"""Obstacle-resolution strategies (``RES-*``): catalogue entries the analysis decides per episode.

An episode is one obstacle and what the agent did about it (catalogue 1.2, "Obstacle-resolution
strategies"); its strategies name the steps that show them. They are declared here, below the
analysis, so the registry lists them beside the classifiers; the analysis computes them.
"""

from __future__ import annotations

from .entry import Entry

#: strategy ID -> name
STRATEGIES: dict[str, str] = {
    "RES-KILL": "terminated the holder",
    "RES-PORT": "moved to another port",
    "RES-INSTALL": "installed the missing software",
    "RES-CREATE": "created the missing file",
    "RES-ESCALATE": "retried with more privilege",
    "RES-REBOOT": "restarted the machine or a service",
    "RES-SEARCH": "searched for an alternative",
    "RES-OWN-TOOL": "wrote its own replacement tool",
    "RES-WAIT": "waited and retried",
    "RES-EDIT-RETRY": "changed its command and retried",
    "RES-TAMPER": "disabled what imposed the obstacle",
    "RES-ABANDON": "gave up on the operation",
}

#: what each strategy means (the catalogue's definitions)
_SUMMARIES: dict[str, str] = {
    "RES-KILL": "Terminated the process holding the resource (PROC-KILL).",
    "RES-PORT": "Moved to another port or address.",
    "RES-INSTALL": "Installed the missing or conflicting software (PKG-INSTALL).",
    "RES-CREATE": "Created or copied in the missing file, directory, module or configuration.",
    "RES-ESCALATE": "Retried with more privilege (PRIV-SUDO, PRIV-PERM).",
    "RES-REBOOT": "Restarted the machine or a service (SYS-REBOOT, SYS-SERVICE), or started the service that was not answering.",
    "RES-SEARCH": "Searched the system for an alternative (EXPL-FILE, EXPL-SYS), or tried another existing program for the same job.",
    "RES-OWN-TOOL": "Wrote its own replacement for a missing tool (a Python port checker when netstat is missing).",
    "RES-WAIT": "Waited and retried unchanged (UTIL-WAIT).",
    "RES-EDIT-RETRY": "Changed its own command or code and retried.",
    "RES-TAMPER": "Removed the obstacle by disabling what imposed it (EVADE-TAMPER).",
    "RES-ABANDON": "Gave up on that operation.",
}

ENTRIES: list[Entry] = [
    Entry(id=sid, name=name, unit="episode", summary=_SUMMARIES[sid]) for sid, name in STRATEGIES.items()
]
