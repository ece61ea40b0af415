"""The pyarrow fast paths of ingest give pandas' own values, cell for cell (they only save time)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from flowkit.ingest import dates
from flowkit.ingest.values import parse_duration
from flowkit.schema import STRING

# cells a fast path could misread: days and times that do not exist (pyarrow's strptime rolls
# them over), years pandas cannot hold, single digits, offsets, fractions, other separators
_STAMPS = [
    "2024-02-29 10:00:00",
    "2024-02-30 10:00:00",
    "2023-02-29 10:00:00",
    "2100-02-29 00:00:00",
    "2024-04-31",
    "2024-01-05 24:00:00",
    "2024-01-05 10:00:60",
    "2024-01-05 10:60:00",
    "2024-13-05 10:00:00",
    "2024-00-05 10:00:00",
    "9902-01-01 00:00:00",
    "1677-09-21 00:12:44",
    "2262-04-11 23:47:16",
    "1700-01-01 00:00:00",
    "2199-12-31 23:59:59",
    "2024-1-5 3:04:05",
    "2024-01-05",
    "2024-01-05 10:00",
    "2024-01-05T10:00:00",
    "2024-01-05 10:00:00.5",
    "2024-01-05 10:00:00+02:00",
    "2024-01-05 10:00:00Z",
    "05.01.2024 10:00:00",
    "31.04.2024 10:00:00",
    "5.1.2024 10:00",
    "12/31/2024 23:59",
    "02/30/2024 10:00",
    "20240105",
    "20240230",
    "２０２４-01-05 10:00:00",
    "garbage",
]
_FORMATS = ["ISO8601", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%Y%m%d"]


@pytest.mark.parametrize("fmt", _FORMATS)
@pytest.mark.parametrize("run", [4, 1 << 16])
def test_pyarrow_timestamps_are_pandas_timestamps(fmt, run, monkeypatch):
    monkeypatch.setattr(dates, "_CAST_ROWS", run)  # short runs: most of them hold no bad cell
    rng = np.random.default_rng(7)
    cells = pd.Series(rng.choice(_STAMPS, 6000), dtype=STRING, index=range(3, 6003))
    for local in (False, True):
        fast = dates._to_datetime(cells, fmt, local)
        slow = dates._to_datetime(cells, fmt, local, exact=False)
        pd.testing.assert_series_equal(fast, slow)
    if run == 4 and fmt in ("ISO8601", "%d.%m.%Y %H:%M:%S"):  # the fast path did take cells
        assert dates._exact_strptime(cells, fmt).notna().sum() > 100


_DURATIONS = ["90.0", " 12 ", "1,5", "-3", "+4", "-0", "-0.0", "0012", "99.98805868386149", "12345678901234.5"]
_DURATIONS += ["1234567890123456789", "3:30", "1:02:03", "12 min", "5s", "abc", "1:70", "１２", "1e3", None]


@pytest.mark.parametrize("unit", ["seconds", "minutes"])
def test_pyarrow_durations_are_pandas_numbers(unit):
    rng = np.random.default_rng(8)
    cells = pd.Series(rng.choice(np.array(_DURATIONS, dtype=object), 4000), dtype=STRING)
    got = parse_duration(cells, unit)
    text = cells.str.strip()
    scale = 60.0 if unit == "minutes" else 1.0
    bare = text.str.fullmatch(r"[+-]?\d+(?:[.,]\d+)?").fillna(False).astype(bool)
    want = pd.to_numeric(text[bare].str.replace(",", ".", regex=False)).astype("float64") * scale
    values = got.values[bare].astype("float64")
    assert np.array_equal(values.to_numpy(), want.to_numpy())  # to the bit, long numbers included
    assert np.array_equal(np.signbit(values.to_numpy()), np.signbit(want.to_numpy()))  # -0 stays -0
    assert not got.bad[bare].any()
