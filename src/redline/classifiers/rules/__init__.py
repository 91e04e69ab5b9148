"""Built-in rule families, one module per family of the behaviour catalogue."""

from . import proc, obs, expl, system, pkg, priv, util, msg, fs, code, net, evade, persist, repl, trial

#: every family module; each exposes ``RULES``
FAMILIES = [proc, obs, expl, system, pkg, priv, util, msg, fs, code, net, evade, persist, repl, trial]
