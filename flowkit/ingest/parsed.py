"""What every column parser returns, and the helpers they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flowkit.schema import STRING

__all__ = ["Parsed", "map_distinct"]


@dataclass
class Parsed:
    """Values parsed from one column, and which non-empty cells could not be read."""

    values: pd.Series
    bad: pd.Series  # bool, True where the cell had text we could not interpret
    note: str = ""  # e.g. the date format chosen
    ambiguous: str = ""  # why the column cannot be read without a decision from the user (e.g. day/month order)


def _as_text(raw: pd.Series) -> pd.Series:
    """Cells as pyarrow strings with NA for missing (whatever dtype they came in)."""
    if raw.dtype == STRING:
        return raw
    cells = raw.astype(object)
    cells[raw.isna().to_numpy()] = None
    return cells.astype(STRING)


def map_distinct(raw: pd.Series, fn: Callable[[str | None], object]) -> pd.Series:
    """``fn`` applied once per distinct value, not per row: codes are few, rows are millions."""
    codes, uniques = pd.factorize(_as_text(raw))
    mapped = np.asarray([fn(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=raw.index, dtype=object)
