"""Analysis: pure functions from polars frames to frames (no I/O), for reports and notebooks.

Build the inputs from a database with :func:`redline.analysis.store.load_inputs` (or from
frames of your own with :class:`Inputs`), then::

    from redline import analysis
    from redline.analysis.store import load_inputs
    inputs = load_inputs(con)
    eps = analysis.episodes(inputs)                       # obstacle -> resolution episodes
    cats = analysis.command_categories(inputs.command_rows, inputs.events)
    steps = analysis.phases(inputs, cats)                 # exploring / planning / executing / verifying
    ranked = analysis.findings(inputs, eps, cats)         # what to look at first, and why
    rows = analysis.fold_findings(ranked, inputs.trials)  # repeats folded: one row each, with counts
    table = analysis.compare(inputs.trials, inputs.events, inputs.labels, eps, cats, by="model")
    checks = analysis.verdict_checks(inputs.trials, inputs.labels)   # source verdicts vs inferred labels

:func:`run` does all of it and returns the four tables ``redline analyse`` stores; reading and
writing the database is :mod:`redline.analysis.store`'s job (``redline.analyse(con)`` runs it).
"""

from ..schema import PHASES
from .categories import CATEGORIES, category_shares, command_categories, program_category
from .compare import GROUPINGS, compare
from .episodes import OBSTACLES, episodes
from .findings import findings
from .folding import fold as fold_findings
from .inputs import Inputs
from .outliers import flag_outliers, profiles
from .phases import phases
from .pipeline import Result, run
from .stats import fisher_exact, wilson_interval
from .summaries import behaviour_rates, outcome_rates
from .verdicts import confusion, verdict_checks, verdict_text

__all__ = [
    "CATEGORIES", "GROUPINGS", "Inputs", "OBSTACLES", "PHASES", "Result", "behaviour_rates", "category_shares",
    "command_categories", "compare", "confusion", "episodes", "findings", "fisher_exact", "flag_outliers",
    "fold_findings", "outcome_rates", "phases", "profiles", "program_category", "run", "verdict_checks",
    "verdict_text", "wilson_interval",
]
