"""The vectorised classifier gives the row-by-row definition's verdict on every row.

``classify`` runs cue families once per distinct normal form, the combiner once per
distinct feature row and the text through Arrow; ``benchmarks/_classify_loop.py`` does the
same one text at a time with Python's ``re``. Speed may change nothing: language, demand
and failure type must agree row for row on the held-out files and on generated,
all-distinct texts (numbers, apostrophes, empty and blank text, other scripts).
"""

import sys
from pathlib import Path

import pandas as pd
import pytest

from flowkit.classify import builtin_rules, classify
from flowkit.synth import generate

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _classify_loop import RowByRow  # noqa: E402

DATA = Path(__file__).parent / "data"


def _texts() -> dict[str, list]:
    held = [
        pd.read_csv(f, dtype=str, keep_default_na=False)["text"].tolist() for f in sorted(DATA.glob("heldout_*.csv"))
    ]
    log = generate(2500, seed=21)
    distinct = [
        f"{t} #{i} ref {i * 7919 % 100000}" if i % 3 else f"{t} it's {i}'s order, we're waiting"
        for i, t in enumerate(log["text"].fillna("").astype(str))
    ]
    dirt = ["", "   ", "\u2003\t", None, "???", "12345", "didn't arrive, won't pay!!", "nie dotarła — again?"]
    return {"heldout": [t for h in held for t in h], "generated distinct": distinct + dirt}


@pytest.mark.parametrize("name", ["heldout", "generated distinct"])
def test_vectorised_verdicts_equal_the_row_by_row_definition(name):
    texts = _texts()[name]
    contacts = pd.DataFrame({"contact_id": [str(i) for i in range(len(texts))], "text": texts})
    got = classify(contacts, use_flow=False, discover=False).contacts
    loop = RowByRow(builtin_rules())
    want = pd.DataFrame([loop.classify(t) for t in texts], columns=["language", "demand", "failure_type"])
    have = pd.DataFrame(
        {
            "language": got["language"].astype(str).to_numpy(),
            "demand": got["demand"].astype(str).to_numpy(),
            "failure_type": got["failure_type"].astype(object).where(got["failure_type"].notna(), None).to_numpy(),
        }
    )
    has = pd.Series([isinstance(t, str) and bool(t.strip()) for t in texts])
    want.loc[~has, "language"] = have.loc[~has, "language"]  # no text: the language does not matter
    differ = (have.fillna("-") != want.fillna("-")).any(axis=1)
    assert not differ.any(), pd.concat([pd.Series(texts)[differ], have[differ], want[differ]], axis=1).head(10)
    assert have["demand"].nunique() == 3  # the data exercises value, failure and unknown
