"""Built-in rule families, one module per family of the behaviour catalogue."""

from . import code, evade, expl, fs, msg, net, obs, persist, pkg, priv, proc, repl, system, trial, util

#: every family module, in the catalogue's order; each exposes ``RULES``
FAMILIES = [expl, proc, system, pkg, net, repl, evade, persist, priv, fs, code, util, obs, msg, trial]
