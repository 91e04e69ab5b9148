"""Analysis: pure functions from frames to frames (no I/O), used by reports and notebooks."""

from .summaries import behaviour_rates, outcome_rates
from .stats import wilson_interval

__all__ = ["behaviour_rates", "outcome_rates", "wilson_interval"]
