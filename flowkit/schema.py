"""The contact table: the one shape every pipeline stage takes and gives.

An ingested log, a classified log and a simulated log all have these columns, so every
analysis runs on each of them and "does the model reproduce the real log?" is one
comparison. Strings are pyarrow-backed (fast kernels, low memory on millions of rows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from flowkit.errors import SchemaError

if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    from pandas.api.extensions import ExtensionDtype

    #: the dtypes the contract uses (named, so pandas' typed ``astype`` knows what each gives)
    Dtype: TypeAlias = ExtensionDtype | Literal["datetime64[ns]", "Float64", "boolean", "Int64"]

__all__ = [
    "CHANNELS",
    "CLASSIFICATION_COLUMNS",
    "COLUMNS",
    "DEMAND",
    "FAILURE_TYPES",
    "HANDLING",
    "REQUIRED",
    "STRING",
    "conform",
    "empty",
    "problems",
    "validate",
]

CHANNELS = ("phone", "email", "web", "chat", "sms", "letter", "visit", "social", "fax", "unknown")
HANDLING = ("one_stop", "pass_on", "pass_back")
DEMAND = ("value", "failure", "unknown")
FAILURE_TYPES = ("progress_chasing", "not_done", "not_resolved", "done_wrong", "unclear", "complaint")

STRING = pd.StringDtype("pyarrow")
_CHANNEL = pd.CategoricalDtype(list(CHANNELS))
_HANDLING = pd.CategoricalDtype(list(HANDLING))

#: column -> dtype, in the order of the design's contract. ``closed_at`` (when the source
#: closed or resolved the demand) extends the design: end-to-end time needs it on logs
#: such as NYC 311 and ServiceNow, where one request is one contact.
COLUMNS: dict[str, Dtype] = {
    "contact_id": STRING,
    "received_at": "datetime64[ns]",
    "channel": _CHANNEL,
    "customer_id": STRING,
    "text": STRING,
    "reason_code": STRING,
    "wait_s": "Float64",
    "handle_s": "Float64",
    "abandoned": "boolean",
    "resolved": "boolean",
    "case_id": STRING,
    "agent_id": STRING,
    "team": STRING,
    "data_used": STRING,
    "handling": _HANDLING,
    "closed_at": "datetime64[ns]",
    "source_file": STRING,  # where the row came from: the export's file name (and [sheet])
    "source_line": "Int64",  # ... and its line or record number there (empty for generated rows)
}

#: columns classification adds (see flowkit.classify).
CLASSIFICATION_COLUMNS: dict[str, Dtype] = {
    "demand": pd.CategoricalDtype(list(DEMAND)),
    "demand_type": STRING,
    "failure_type": pd.CategoricalDtype(list(FAILURE_TYPES)),
    "rule": STRING,
    "confidence": "Float64",
}

#: columns that may never be missing.
REQUIRED = ("contact_id", "received_at", "channel", "source_file")


def empty() -> pd.DataFrame:
    """A contact table with no rows and the contract's dtypes."""
    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in COLUMNS.items()})


def conform(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with every contract column present (missing ones all-null) and cast.

    Extra columns (classification, simulation extras) are kept after the contract ones.
    Casting errors raise :class:`SchemaError` naming the column.
    """
    out = {}
    for name, dtype in COLUMNS.items():
        if name in df.columns:
            try:
                out[name] = _cast(df[name], dtype)
            except (TypeError, ValueError) as exc:
                raise SchemaError(f"column {name!r} cannot be cast to {dtype}: {exc}") from exc
        else:
            out[name] = pd.Series(None, index=df.index, dtype=dtype)  # all missing, in the contract's dtype
    result = pd.DataFrame(out, index=df.index)
    result.attrs = dict(df.attrs)  # e.g. the UTC offsets ingest found: the table's local zone travels with it
    extras = [c for c in df.columns if c not in COLUMNS]
    for name in extras:
        extra = CLASSIFICATION_COLUMNS.get(name)
        result[name] = _cast(df[name], extra) if extra is not None else df[name]
    return result


def _cast(series: pd.Series, dtype: Dtype) -> pd.Series:
    if _already(series, dtype):  # a conformed table passes through conform without a re-cast
        return series.copy()
    if dtype == "datetime64[ns]":
        s = series
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            s = s.dt.tz_localize(None)
        return s.astype("datetime64[ns]")
    if isinstance(dtype, pd.CategoricalDtype):
        if series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
            # Python strings (or missing): the categories' own lookup, no pyarrow copy; the same result
            return pd.Series(pd.Categorical(series, dtype=dtype), index=series.index, name=series.name)
        text = series.astype(STRING)
        return text.where(text.isin(dtype.categories)).astype(dtype)
    return series.astype(dtype)


def _already(series: pd.Series, dtype: Dtype) -> bool:
    """True when ``series`` already has ``dtype`` (categoricals: the same categories in the same order)."""
    if isinstance(dtype, pd.CategoricalDtype):
        have = series.dtype
        return (
            isinstance(have, pd.CategoricalDtype)
            and have.ordered == dtype.ordered
            and list(have.categories) == list(dtype.categories)
        )
    # dtype objects, not their names: "string" names both the python and the pyarrow storage
    return not isinstance(series.dtype, pd.CategoricalDtype) and series.dtype == pd.Series([], dtype=dtype).dtype


def problems(df: pd.DataFrame) -> list[str]:
    """Every way ``df`` breaks the contract, as sentences a user can act on (empty = valid)."""
    found: list[str] = []
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        found.append(f"missing columns: {', '.join(missing)} (flowkit.schema.conform adds them as empty)")
    for name, dtype in COLUMNS.items():
        if name not in df.columns:
            continue
        col = df[name]
        if str(col.dtype) != str(pd.Series([], dtype=dtype).dtype):
            found.append(f"column {name!r} has dtype {col.dtype}, the contract says {dtype}")
            continue
        if isinstance(dtype, pd.CategoricalDtype) and list(col.cat.categories) != list(dtype.categories):
            found.append(
                f"column {name!r} has categories {list(col.cat.categories)}, expected {list(dtype.categories)}"
            )
    for name in REQUIRED:
        if name in df.columns:
            n_null = int(df[name].isna().sum())
            if n_null:
                first = _first_labels(df, df[name].isna())
                found.append(f"column {name!r} is required but missing in {n_null} rows (first: {first})")
    if "contact_id" in df.columns:
        dup = df["contact_id"].duplicated(keep=False) & df["contact_id"].notna()
        if dup.any():
            ids = df.loc[dup, "contact_id"].unique()[:5]
            found.append(f"contact_id must be unique; {int(dup.sum())} rows share ids, e.g. {', '.join(map(str, ids))}")
    for name in ("wait_s", "handle_s"):
        if name in df.columns and pd.api.types.is_numeric_dtype(df[name]):
            neg = df[name] < 0
            neg = neg.fillna(False).astype(bool)
            if neg.any():
                found.append(
                    f"column {name!r} has {int(neg.sum())} negative durations (first: {_first_labels(df, neg)})"
                )
    return found


def _first_labels(df: pd.DataFrame, mask: pd.Series, k: int = 3) -> str:
    """Name the first offending rows by their provenance when there is one."""
    rows = df.loc[mask]
    if "source_file" in df.columns and rows["source_file"].notna().any():
        where = rows["source_file"].astype(str)
        if "source_line" in df.columns:
            where = where + rows["source_line"].map(lambda v: "" if pd.isna(v) else f" line {v}")
        return ", ".join(where[rows["source_file"].notna()].head(k))
    return ", ".join(f"row {i}" for i in rows.index[:k])


def validate(df: pd.DataFrame) -> pd.DataFrame:
    """Raise :class:`SchemaError` listing every violation; return ``df`` unchanged if valid."""
    found = problems(df)
    if found:
        raise SchemaError("not a valid contact table:\n- " + "\n- ".join(found))
    return df
