"""Done when (issue 14): no output file of ``demo`` or ``analyze`` holds a planted phone number, e-mail,
IBAN, PESEL or NI number, whether it was planted in customer ids or in free text; and a log's labels
reach the charts as text.

Every file is read the way a person or a program would: text files as text, Parquet through pandas
(its pages are compressed, so a byte scan would miss a leak), PNG by its metadata chunks.
The one exception is the quarantine file, which keeps rows as read by design: it must be owner-only.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

import flowkit.samples
from flowkit.classify import classify
from flowkit.cli import main
from flowkit.privacy import KEY_FILE
from flowkit.report import build_report
from flowkit.synth import generate, write_exports

#: planted personal data: (as written into the log, and the forms a leak could take)
PLANTED = {
    "phone": ("+48 601 234 567", ["601 234 567", "601234567", "48601234567"]),
    "email": ("anna.nowak@example.pl", ["anna.nowak@example.pl"]),
    "iban": ("PL61 1090 1014 0000 0712 1981 2874", ["1090 1014 0000 0712 1981 2874", "61109010140000071219812874"]),
    "pesel": ("44051401359", ["44051401359"]),
    "ni": ("AB 12 34 56 C", ["AB 12 34 56 C", "AB123456C"]),
}
NEEDLES = sorted({n for _, forms in PLANTED.values() for n in forms})


def _planted_log(n: int = 1500, seed: int = 5) -> pd.DataFrame:
    log = generate(n, seed=seed)
    values = [v for v, _ in PLANTED.values()]
    for i, channel in enumerate(["phone", "email", "web", "chat"]):
        rows = log.index[log["channel"].eq(channel)][:10]
        for j, row in enumerate(rows):
            secret = values[(i + j) % len(values)]
            if j % 2:
                log.loc[row, "customer_id"] = secret  # a customer id that is itself personal data
            before = "" if pd.isna(log.loc[row, "text"]) else log.loc[row, "text"]
            log.loc[row, "text"] = f"{before} contact: {values[(i + j + 1) % len(values)]}"
    return log


def _texts_of(path: Path) -> str:
    if path.suffix == ".parquet":
        df = pd.read_parquet(path)
        return df.astype(str).to_csv() + str(df.attrs) + " ".join(map(str, df.columns))
    if path.suffix == ".png":
        with Image.open(path) as img:
            return " ".join(f"{k}={v}" for k, v in {**img.info, **getattr(img, "text", {})}.items())
    return path.read_bytes().decode("utf-8", errors="replace")


def _assert_nothing_leaks(out: Path) -> list[str]:
    seen = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.name == KEY_FILE:
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            continue
        if path.name.endswith(".quarantine.csv"):  # raw rows by design: owner-only
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            continue
        text = _texts_of(path)
        for needle in NEEDLES:
            assert needle not in text, f"{needle!r} leaked into {path.relative_to(out)}"
        seen.append(path.suffix)
    return seen


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("planted")
    written = write_exports(_planted_log(), folder, seed=5)
    raw = "".join(p.read_bytes().decode("latin-1") for p in written.exports.values() if p.suffix != ".xlsx")
    assert all(v.encode().decode("latin-1") in raw for v, _ in PLANTED.values())  # really planted
    return folder


def test_analyze_outputs_carry_no_planted_personal_data(planted, tmp_path):
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["analyze", str(planted / "manifest.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    kinds = _assert_nothing_leaks(out)
    assert {".html", ".csv", ".png"} <= set(kinds)
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "[phone]" in html or "[e-mail]" in html or "[ID number]" in html  # masked, not dropped
    assert re.search(r"C-[0-9a-f]{12}", html)  # customer ids are pseudonyms


def test_demo_outputs_carry_no_planted_personal_data(planted, tmp_path, monkeypatch):
    monkeypatch.setattr(flowkit.samples, "path", lambda: planted)
    out = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "mode 0600" in result.output
    kinds = _assert_nothing_leaks(out)
    assert {".html", ".csv", ".png", ".parquet", ".yaml"} <= set(kinds)
    ids = pd.read_parquet(out / "contacts.parquet")["customer_id"].dropna()
    assert len(ids) and ids.str.fullmatch(r"C-[0-9a-f]{12}").all()


def test_show_ids_is_the_only_way_to_get_raw_ids(planted, tmp_path):
    out = tmp_path / "shown"
    result = CliRunner().invoke(
        main, ["classify", str(planted / "manifest.yaml"), "--out", str(out / "c.parquet"), "--show-ids"]
    )
    assert result.exit_code == 0, result.output
    df = pd.read_parquet(out / "c.parquet")
    assert df["customer_id"].isin([v for v, _ in PLANTED.values()]).any()
    assert not df["text"].dropna().str.contains("anna.nowak@example.pl", regex=False).any()  # text still masked


LABELS = ["$x^2$ {0} %s", r"cost $\frac{$ 100%"]


def test_labels_from_the_log_are_text_on_every_chart(tmp_path):
    import matplotlib.pyplot as plt

    with pytest.raises(ValueError):  # guard: drawn as mathtext, the second label kills a chart
        fig, ax = plt.subplots()
        ax.set_title(LABELS[1])
        fig.savefig(tmp_path / "guard.png")
    plt.close("all")
    log = generate(2500, seed=4)
    log = classify(log.drop(columns=["demand", "demand_type", "failure_type", "language"])).contacts
    value = log.index[log["demand"].astype(str).eq("value")]
    log.loc[value[: len(value) // 3], "demand_type"] = LABELS[0]
    log.loc[value[len(value) // 3 : 2 * len(value) // 3], "demand_type"] = LABELS[1]
    report = build_report(log, tmp_path / "r")
    html = report.path.read_text(encoding="utf-8")
    assert "$x^2$ {0} %s" in html and r"cost $\frac{$ 100%" in html
    types = pd.read_csv(tmp_path / "r" / "demand_types.csv")["type"].tolist()
    assert set(LABELS) <= set(types)
    assert report.charts["pareto"].stat().st_size > 0
