"""The contact-table contract: conform() casts, validate() explains every violation."""

import pandas as pd
import pytest

from flowkit import schema
from flowkit.errors import SchemaError


def table(**overrides):
    base = {
        "contact_id": ["c1", "c2"],
        "received_at": pd.to_datetime(["2026-01-05 09:00", "2026-01-05 09:05"]),
        "channel": ["phone", "email"],
        "source_file": ["a.csv", "a.csv"],
        "source_line": [2, 3],
    }
    base.update(overrides)
    return schema.conform(pd.DataFrame(base))


def test_conform_gives_every_column_its_contract_dtype():
    df = table()
    assert list(df.columns)[: len(schema.COLUMNS)] == list(schema.COLUMNS)
    assert schema.problems(df) == []
    assert str(df["contact_id"].dtype) == "string" and df["contact_id"].dtype.storage == "pyarrow"
    assert list(df["channel"].cat.categories) == list(schema.CHANNELS)
    assert df["wait_s"].isna().all() and str(df["wait_s"].dtype) == "Float64"


def test_empty_table_is_valid():
    assert schema.problems(schema.empty()) == []


def test_validate_lists_every_violation_at_once():
    df = table(contact_id=["c1", "c1"], wait_s=[-5.0, 3.0])
    df.loc[1, "received_at"] = pd.NaT
    df = df.drop(columns=["team"])
    with pytest.raises(SchemaError) as err:
        schema.validate(df)
    message = str(err.value)
    assert "missing columns: team" in message
    assert "'received_at' is required but missing in 1 rows (first: a.csv line 3)" in message
    assert "contact_id must be unique" in message and "c1" in message
    assert "'wait_s' has 1 negative durations" in message


def test_wrong_dtype_is_named():
    df = table()
    df["wait_s"] = df["wait_s"].astype(object)
    assert any("'wait_s' has dtype object" in p for p in schema.problems(df))


def test_unknown_channel_cannot_sneak_in():
    df = table(channel=["phone", "carrier pigeon"])
    assert df["channel"].isna().sum() == 1
    assert any("'channel' is required" in p for p in schema.problems(df))
