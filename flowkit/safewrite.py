"""Every file flowkit writes goes through here: whole or not at all, and safe to open in Excel.

*Atomic.* A file is written under a temporary name in its own folder and renamed over the
target only when complete, so a run killed mid-write leaves the old file or none, never a
valid-looking half. *Formula injection* (OWASP "CSV injection"): a text cell beginning with
``=``, ``+``, ``-``, ``@``, tab or carriage return is run as a formula by spreadsheet programs,
so such cells get a leading ``'``; numbers stay numbers (a negative number in a numeric
column is untouched, the text ``-1+2`` is not).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, overload

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "FORMULA_TRIGGERS",
    "atomic_path",
    "escape_cell",
    "escape_formulas",
    "remove_stale_temporaries",
    "save_figure",
    "unescape_formulas",
    "write_bytes",
    "write_csv",
    "write_excel",
    "write_parquet",
    "write_text",
]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: temporary names: .<target>.<pid>.<random>.tmp<suffix> (the suffix keeps writers that look at it happy)
_TMP = re.compile(r"^\..+\.(\d+)\.[0-9a-f]{8}\.tmp")


@contextmanager
def atomic_path(path: str | Path, mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on failure it goes.

    ``mode`` (e.g. 0o600) is set on the file before anything is written into it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp{path.suffix}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if mode is None else mode)
    os.close(fd)
    if mode is not None:
        os.chmod(tmp, mode)  # whatever the umask
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete temporaries left in ``folder`` by runs that died (their pid is gone)."""
    removed = []
    for p in Path(folder).glob(".*.tmp*"):
        m = _TMP.match(p.name)
        if m and not _alive(int(m.group(1))):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_Cell = TypeVar("_Cell")


def escape_cell(value: _Cell) -> _Cell | str:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@overload
def _escape_values(values: pd.Series) -> pd.Series: ...
@overload
def _escape_values(values: pd.Index) -> pd.Index: ...
def _escape_values(values: pd.Series | pd.Index) -> pd.Series | pd.Index:
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values
    if pd.api.types.is_datetime64_any_dtype(values.dtype) or pd.api.types.is_timedelta64_dtype(values.dtype):
        return values
    if not any(isinstance(v, str) and v.startswith(FORMULA_TRIGGERS) for v in values):
        return values
    escaped = [escape_cell(v) for v in values.astype(object)]
    if isinstance(values, pd.Index):
        return pd.Index(escaped, name=values.name, dtype=object)
    return pd.Series(escaped, index=values.index, name=values.name, dtype=object)


def escape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and index labels cannot run as formulas."""
    out = df.copy()
    for i in range(out.shape[1]):
        out.isetitem(i, _escape_values(out.iloc[:, i]).array)
    if isinstance(out.columns, pd.MultiIndex) or isinstance(out.index, pd.MultiIndex):
        return out  # flowkit writes none; levels would need escaping one by one
    out.columns = _escape_values(out.columns.astype(object)) if len(out.columns) else out.columns
    out.index = _escape_values(out.index)
    return out


def unescape_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`escape_formulas` on text read back from a CSV flowkit wrote (its own tables round-trip)."""
    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype):
            text = col.astype("string")
            quoted = text.str.match(r"^'[=+\-@\t\r]").fillna(False).astype(bool)
            if quoted.any():
                out.isetitem(i, col.mask(quoted, text.str.slice(1)).array)
    return out


def write_csv(df: pd.DataFrame, path: str | Path, index: bool = False, mode: int | None = None, **kwargs: Any) -> Path:
    """CSV for people and spreadsheets: formula-escaped, written atomically.

    ``kwargs`` go unchanged to ``DataFrame.to_csv`` (hence ``Any``: pandas types each option itself).
    """
    path = Path(path)
    with atomic_path(path, mode) as tmp:
        escape_formulas(df).to_csv(tmp, index=index, **kwargs)
    return path


def write_excel(df: pd.DataFrame, path: str | Path, index: bool = False, **kwargs: Any) -> Path:
    """XLSX, formula-escaped (openpyxl would otherwise store ``=...`` as a live formula), atomically.

    ``kwargs`` go unchanged to ``DataFrame.to_excel`` (hence ``Any``).
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        escape_formulas(df).to_excel(tmp, index=index, engine="openpyxl", **kwargs)
    return path


PARQUET_ROWS = 1 << 20  # rows converted and written together: one row group each


def write_parquet(df: pd.DataFrame, path: str | Path, index: bool = False) -> Path:
    """Parquet keeps values as they are (no spreadsheet opens it), written atomically.

    Large tables are converted and written a row group at a time (pyarrow's ParquetWriter),
    so writing costs one row group of memory, not a second copy of the table. The file is
    what ``DataFrame.to_parquet`` writes: the same schema, pandas metadata and ``attrs``.
    """
    path = Path(path)
    if index or len(df) <= PARQUET_ROWS:
        with atomic_path(path) as tmp:
            df.to_parquet(tmp, index=index)
        return path
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.Schema.from_pandas(df, preserve_index=False)
    if df.attrs:  # as pandas does: the attrs travel in the schema metadata
        schema = schema.with_metadata({**(schema.metadata or {}), b"PANDAS_ATTRS": json.dumps(df.attrs).encode()})
    with atomic_path(path) as tmp, pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, len(df), PARQUET_ROWS):
            part = df.iloc[start : start + PARQUET_ROWS]
            writer.write_table(pa.Table.from_pandas(part, schema=schema, preserve_index=False))
    return path


def write_text(path: str | Path, text: str, encoding: str = "utf-8", mode: int | None = None) -> Path:
    path = Path(path)
    with atomic_path(path, mode) as tmp:
        tmp.write_text(text, encoding=encoding)
    return path


def write_bytes(path: str | Path, data: bytes, mode: int | None = None) -> Path:
    path = Path(path)
    with atomic_path(path, mode) as tmp:
        tmp.write_bytes(data)
    return path


def save_figure(fig: Figure, path: str | Path) -> bytes:
    """Render ``fig`` as PNG once, write it atomically, and return the bytes (for a data: URI)."""
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    data = buf.getvalue()
    write_bytes(path, data)
    return data
