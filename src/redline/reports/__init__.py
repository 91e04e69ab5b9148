"""Reports: self-contained HTML (plotly inlined), plus the figures it is built from."""

from .render import build_report_data, write_html

__all__ = ["build_report_data", "write_html"]
