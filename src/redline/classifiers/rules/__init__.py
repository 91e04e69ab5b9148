"""Built-in rule families, one module per family of the behaviour catalogue.

They are declared under :func:`~redline.classifiers.rule.deferred_checks`: ``DECLARED`` holds
every rule they declare, for the registry to check once per source
(:mod:`redline.classifiers.registry`)."""

from ..rule import deferred_checks

with deferred_checks() as DECLARED:
    from . import code, evade, expl, fs, msg, net, obs, persist, pkg, priv, proc, repl, system, trial, util

#: every family module, in the catalogue's order; each exposes ``RULES``
FAMILIES = [expl, proc, system, pkg, net, repl, evade, persist, priv, fs, code, util, obs, msg, trial]
