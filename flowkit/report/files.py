"""The report's files beside the page: PNG charts and CSV tables, written safely.

Charts and tables are written atomically (flowkit.safewrite); CSVs are formula-escaped.
Labels that come from the log (demand types, channels, field names) are text, never
mathtext or TeX: ``$x^2$`` in a demand type is shown as typed and cannot break a chart.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from flowkit.report.charts import figure_of, plain_text
from flowkit.safewrite import save_figure, write_csv

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["figure_file", "table_file"]


def figure_file(ax: Axes, path: Path) -> str:
    """Write the chart on ``ax`` as PNG at ``path``; return it as a data: URI for the page."""
    fig = figure_of(ax)
    plain_text(fig)
    # ticks made while drawing take their settings from rcParams, not from the ticks above
    with plt.rc_context({"text.parse_math": False, "text.usetex": False}):
        data = save_figure(fig, path)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


#: columns that hold shares or rates, shown as percentages; every other number is shown as it is
_PERCENT = (
    "share",
    "rate",
    "relative",
    "resolved_with",
    "resolved_without",
    "resolved_diff",
    "resolved_at_contact",
    "one_stop",
    "service_level",
)


def _cell(value: object, percent: bool) -> str:
    if isinstance(value, (float, np.floating)):
        if value != value:
            return ""
        return f"{value:.1%}" if percent else (f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table_file(df: pd.DataFrame, path: Path, index: bool = True) -> dict:
    """Write ``df`` as CSV at ``path``; return it as rows of formatted cells for the page."""
    write_csv(df, path, index=index)
    shown = df.reset_index() if index else df
    columns = [str(c) for c in shown.columns]
    percent = [any(k in c for k in _PERCENT) for c in columns]
    # a metric-per-row table (model fit) says per row whether its value is a share
    row_percent = (
        shown["metric"].astype(str).map(lambda m: any(k in m for k in _PERCENT)) if "metric" in shown else None
    )
    rows = []
    for i, row in enumerate(shown.itertuples(index=False)):
        pct_row = bool(row_percent.iloc[i]) if row_percent is not None else False
        rows.append(
            [
                _cell(v, p or (pct_row and c in ("real", "simulated", "difference", "value")))
                for v, p, c in zip(row, percent, columns, strict=True)
            ]
        )
    return {"columns": columns, "rows": rows, "csv": path.name}
