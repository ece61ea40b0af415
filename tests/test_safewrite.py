"""Outputs are safe to open and never half-written: OWASP formula escaping, atomic replace under
``kill -9``, and one run per output folder (a live holder is named, a dead one's lock is taken over)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from flowkit.outlock import LOCK_FILE, OutputFolderBusy, output_lock
from flowkit.safewrite import escape_formulas, write_csv, write_excel

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ['=HYPERLINK("http://x")', "+1+2", "-1+2", "@SUM(A1)", "\tx", "\rx", "plain", "a=b", None]


def test_text_cells_that_would_run_as_formulas_get_a_quote_and_numbers_stay_numbers():
    df = pd.DataFrame({"text": pd.Series(HOSTILE, dtype="string"), "n": [-1.5, 2, -3, 4, 5, 6, 7, 8, None]})
    out = escape_formulas(df)
    assert out["text"].tolist()[:7] == [
        '\'=HYPERLINK("http://x")',
        "'+1+2",
        "'-1+2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "plain",
    ]
    assert out["text"].iloc[7] == "a=b" and pd.isna(out["text"].iloc[8])
    assert out["n"].tolist()[:3] == [-1.5, 2, -3] and out["n"].dtype == df["n"].dtype


def test_column_names_index_labels_and_mixed_columns_are_escaped_too(tmp_path):
    df = pd.DataFrame({"=cmd": ["-2", -2, 3.5]}, index=pd.Index(["@x", "ok", "+y"], name="type"))
    path = write_csv(df, tmp_path / "t.csv", index=True)
    text = path.read_text(encoding="utf-8").splitlines()
    assert text == ["type,'=cmd", "'@x,'-2", "ok,-2", "'+y,3.5"]


def test_xlsx_cells_are_text_not_formulas(tmp_path):
    df = pd.DataFrame({"text": ["=1+1", "fine"], "n": [-4, 2]})
    path = write_excel(df, tmp_path / "t.xlsx")
    ws = openpyxl.load_workbook(path).active
    assert ws["A2"].value == "'=1+1" and ws["A2"].data_type == "s"
    assert ws["B2"].value == -4 and ws["B2"].data_type == "n"


def _python(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


WRITER = """
    import sys
    import pandas as pd
    import flowkit.safewrite as sw

    real = pd.DataFrame.to_csv

    def slow(self, path, *a, **k):  # write half, say so, then hang: the parent kills us mid-write
        with open(path, "w") as fh:
            fh.write("id,text\\n1,half a file\\n")
            fh.flush()
        print("writing", flush=True)
        import time
        time.sleep(60)

    pd.DataFrame.to_csv = slow
    sw.write_csv(pd.DataFrame({"id": [1]}), sys.argv[1])
"""


def test_a_run_killed_mid_write_leaves_the_old_file_and_no_partial_one(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("id,text\n1,old and complete\n2,old and complete\n", encoding="utf-8")
    proc = _python(WRITER, str(target))
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert target.read_text(encoding="utf-8") == "id,text\n1,old and complete\n2,old and complete\n"
    fresh = tmp_path / "fresh.csv"
    proc = _python(WRITER, str(fresh))
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not fresh.exists()  # none, rather than a valid-looking half
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert len(leftovers) == 2  # the dead runs' temporaries ...
    with output_lock(tmp_path):  # ... are cleared by the next run that holds the folder
        assert not [p for p in tmp_path.iterdir() if p.name.startswith(".") and p.name != LOCK_FILE]


HOLDER = """
    import sys, time
    from flowkit.outlock import output_lock
    with output_lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(60)
"""


def test_a_second_run_into_a_held_folder_gets_a_clean_error_and_a_dead_holder_is_taken_over(tmp_path):
    proc = _python(HOLDER, str(tmp_path))
    try:
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(OutputFolderBusy) as err, output_lock(tmp_path):
            pass
        message = str(err.value)
        assert str(tmp_path.resolve()) in message and f"pid {proc.pid}" in message and "\n" not in message
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert (tmp_path / LOCK_FILE).read_text().strip() == str(proc.pid)  # stale: the dead run's pid
    with output_lock(tmp_path) as held:
        assert (held / LOCK_FILE).read_text().strip() == str(os.getpid())
        with output_lock(tmp_path):  # re-entrant in one process (demo holds it, build_report nests)
            pass
        assert (held / LOCK_FILE).exists()
    assert not (tmp_path / LOCK_FILE).exists()


def test_two_cli_runs_into_one_folder_do_not_mix(tmp_path):
    """The CLI turns a held folder into one line naming it and the holder."""
    from click.testing import CliRunner

    from flowkit.cli import main

    proc = _python(HOLDER, str(tmp_path / "report"))
    try:
        assert proc.stdout.readline().strip() == "locked"
        started = time.monotonic()
        log = tmp_path / "log.csv"
        log.write_text("id,date,channel,wait\n1,2026-01-05 10:00,phone,30\n", encoding="utf-8")
        result = CliRunner().invoke(main, ["analyze", str(log), "--out", str(tmp_path / "report")])
        assert result.exit_code != 0 and result.output.strip().splitlines()[-1].startswith("Error:")
        assert f"pid {proc.pid}" in result.output and "Traceback" not in result.output
        assert time.monotonic() - started < 120
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def test_flowkits_own_csv_tables_read_back_as_written(tmp_path):
    """Escaping is for spreadsheets: a contact table written as CSV and read by flowkit is unchanged."""
    from flowkit import schema
    from flowkit.store import read_contacts, write_table

    df = schema.conform(
        pd.DataFrame(
            {
                "contact_id": ["1", "2"],
                "received_at": pd.to_datetime(["2026-01-05 10:00", "2026-01-05 11:00"]),
                "channel": ["phone", "email"],
                "customer_id": ["-1", "KL-2"],
                "text": ["=cmd|' /C calc'!A0", "- my bill is wrong"],
                "source": ["a.csv:2", "a.csv:3"],
            }
        )
    )
    path = write_table(df, tmp_path / "c.csv")
    assert "'=cmd" in path.read_text(encoding="utf-8")
    back = read_contacts(path)
    assert back["customer_id"].tolist() == ["-1", "KL-2"]
    assert back["text"].tolist() == ["=cmd|' /C calc'!A0", "- my bill is wrong"]
