"""Peak memory of ``flowkit ingest`` on a generated log of a given size (issue 14 item 9).

Run by hand:  .venv/bin/python benchmarks/bench_ingest_memory.py            (1 GB log)
              .venv/bin/python benchmarks/bench_ingest_memory.py --mb 50    (quick run)
The log is written in blocks (the generator itself never holds it), then ``flowkit ingest LOG
--out contacts.parquet`` runs as its own process; the figure is that process's peak RSS over
the whole run (imports, reading, building, writing), divided by the contacts kept, against the
bound 300 MB + 1 KB per contact.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BOUND_FIXED = 300 * 2**20
BOUND_PER_CONTACT = 1024
_TEXTS = np.array(
    [
        "where is my order, it was due on Monday",
        "please refund the second payment",
        "cannot log in to my account since the update",
        "Zgłoszenie reklamacji: przesyłka nie dotarła",
        "Где мой заказ? Жду уже неделю",
        "I want to change my delivery address",
    ]
)
_CHANNELS = np.array(["phone", "email", "chat", "web"])


def write_log(path: Path, megabytes: float, seed: int = 1, block: int = 200_000) -> int:
    """A contact log of about ``megabytes`` MB, block by block; returns the rows written."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2026-01-05").value // 10**9
    rows = 0
    target = megabytes * 1e6
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("id,date,channel,customer,text,wait,handle\n")
        while fh.tell() < target:
            n = block
            ids = np.arange(rows, rows + n)
            seconds = start + np.sort(rng.integers(0, 90 * 86400, n))
            frame = pd.DataFrame(
                {
                    "id": ids,
                    "date": pd.to_datetime(seconds, unit="s").strftime("%Y-%m-%d %H:%M:%S"),
                    "channel": _CHANNELS[rng.integers(0, len(_CHANNELS), n)],
                    "customer": "C" + pd.Series(rng.integers(0, max(n, 10**6), n)).astype(str),
                    "text": _TEXTS[rng.integers(0, len(_TEXTS), n)],
                    "wait": rng.integers(0, 900, n),
                    "handle": rng.integers(30, 1200, n),
                }
            )
            frame.to_csv(fh, header=False, index=False)
            rows += n
    return rows


_TOTAL = re.compile(r"TOTAL: read ([\d,]+) = kept ([\d,]+) .*\[(reconciles|DOES NOT RECONCILE)\]")


def run_cli(path: Path, out: Path) -> tuple[int, bool, float, int, str]:
    """``flowkit ingest PATH --out OUT`` in its own process: (kept, reconciles, seconds, peak RSS bytes, output).

    The peak is the child's own ru_maxrss from wait4 (the whole process: interpreter, imports,
    reading, building, writing the Parquet file, the quarantine and the summary).
    """
    cmd = [sys.executable, "-c", "from flowkit.cli import main; main()", "ingest", str(path), "--out", str(out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"flowkit ingest failed (exit code {proc.returncode}):\n{output}")
    m = _TOTAL.search(output)
    if not m:
        raise SystemExit(f"no ledger total in the output of flowkit ingest:\n{output}")
    return int(m.group(2).replace(",", "")), m.group(3) == "reconciles", seconds, usage.ru_maxrss * 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1024.0, help="size of the generated log in MB (default 1 GB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        written = write_log(path, args.mb)
        size = path.stat().st_size
        kept, reconciles, seconds, peak, _ = run_cli(path, Path(tmp) / "contacts.parquet")
    bound = BOUND_FIXED + BOUND_PER_CONTACT * kept
    print(f"ingest memory: {size / 1e6:,.0f} MB log, {written:,} rows, {kept:,} kept, reconciles={reconciles}")
    print(f"  flowkit ingest (whole process) time {seconds:,.1f} s; peak RSS {peak / 2**20:,.0f} MB")
    print(
        f"  = {peak / max(kept, 1):,.0f} B/contact; beyond the fixed 300 MB: {(peak - BOUND_FIXED) / max(kept, 1):,.0f} B/contact"
    )
    print(
        f"  bound 300 MB + 1 KB/contact = {bound / 2**20:,.0f} MB -> {'within' if peak <= bound else 'OVER'} "
        f"({peak / bound:.2f}x the bound)"
    )


if __name__ == "__main__":
    main()
