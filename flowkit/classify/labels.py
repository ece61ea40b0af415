"""A consultant's labelled sample: read it, attach verbatims, split it for honest evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from flowkit.errors import FlowkitError

__all__ = ["contacts_from_text", "read_labels", "split_labels"]


def read_labels(path: str | Path, contacts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Columns ``text``, ``demand`` and optional ``failure_type`` (and ``contact_id`` if known).

    A file with ``contact_id`` but no ``text`` (an answer key) takes its verbatims from
    ``contacts``; labels for contacts that are not there are dropped.
    """
    path = Path(path)
    if not path.is_file():
        raise FlowkitError(f"{path}: no such labelled file")
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    if "demand" not in df.columns:
        raise FlowkitError(f"{path}: needs a 'demand' column (value or failure); it has {', '.join(df.columns)}")
    if "text" not in df.columns:
        if "contact_id" not in df.columns or contacts is None:
            raise FlowkitError(f"{path}: needs a 'text' column, or 'contact_id' matching the contacts")
        df = df.merge(contacts[["contact_id", "text"]].astype({"contact_id": str}), on="contact_id", how="inner")
    df["demand"] = df["demand"].str.strip().str.lower()
    bad = ~df["demand"].isin(["value", "failure", "unknown"]) & df["demand"].notna()
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2
        raise FlowkitError(f"{path}: line {row}: demand {df['demand'][bad].iloc[0]!r}; use value or failure")
    if "failure_type" not in df.columns:
        df["failure_type"] = None
    return df


def split_labels(labels: pd.DataFrame, fraction: float, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test): a seeded random split, ``fraction`` for training."""
    if not 0 < fraction < 1:
        raise ValueError(f"split must be between 0 and 1, got {fraction}")
    rng = np.random.default_rng(seed)
    train = rng.random(len(labels)) < fraction
    return labels[train], labels[~train]


def contacts_from_text(text: pd.Series) -> pd.DataFrame:
    """A minimal contact table around bare verbatims, to classify a labelled file on its own."""
    n = len(text)
    return pd.DataFrame(
        {
            "contact_id": [f"L{i}" for i in range(n)],
            "received_at": pd.Timestamp("2000-01-01"),
            "channel": "unknown",
            "text": text.to_numpy(),
            "source": "labelled",
        }
    )
