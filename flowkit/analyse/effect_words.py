"""Adjusted data effects in flowkit's one sign convention and in one plain phrase each: what the
report, the CLI and the simulator's data fields read, apart from how the effects are estimated."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["add_saved", "verdict"]


def add_saved(eff: pd.DataFrame) -> pd.DataFrame:
    """flowkit's one sign convention, beside the with-minus-without columns: ``saved`` is positive
    when the field is good - seconds of handle time saved per contact, or resolution gained (0-1)."""
    eff = eff.copy()
    sign = np.where(eff["outcome"].eq("handle_s"), -1.0, 1.0)
    eff["saved"] = sign * eff["adjusted"]
    lo, hi = sign * eff["ci_low"], sign * eff["ci_high"]
    eff["saved_ci_low"], eff["saved_ci_high"] = np.minimum(lo, hi), np.maximum(lo, hi)
    return eff


def verdict(row: pd.Series) -> str:
    """One plain phrase per row, in the saved convention; never 'increases' without evidence."""
    if not np.isfinite(row["adjusted"]):
        return "too few contacts to say"
    if not row["significant"]:
        return "no evidence either way"
    if row["outcome"] == "handle_s":
        return (
            f"saves {row['saved']:.0f} s per contact"
            if row["saved"] > 0
            else f"costs {-row['saved']:.0f} s more per contact"
        )
    return (
        f"resolves {row['saved']:.1%} more at first contact"
        if row["saved"] > 0
        else f"resolves {-row['saved']:.1%} fewer at first contact"
    )
