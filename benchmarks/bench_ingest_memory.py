"""Peak memory of ``flowkit ingest`` on a generated log of a given size (issue 14 item 9).

Run by hand:  .venv/bin/python benchmarks/bench_ingest_memory.py            (1 GB log)
              .venv/bin/python benchmarks/bench_ingest_memory.py --mb 50    (quick run)
The log is written in blocks (the generator itself never holds it), then ingested in a fresh
process; the figure is that process's peak RSS (VmHWM) over the whole run, imports included,
divided by the contacts kept, against the bound 300 MB + 1 KB per contact.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
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


def _ingest(path: str, out: str, queue) -> None:
    from _memory import peak_rss

    from flowkit.ingest import ingest
    from flowkit.store import write_table

    t0 = time.perf_counter()
    result = ingest(path)
    write_table(result.contacts, out)
    queue.put((result.kept, result.reconciles, time.perf_counter() - t0, peak_rss()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=1024.0, help="size of the generated log in MB (default 1 GB)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "log.csv"
        written = write_log(path, args.mb)
        size = path.stat().st_size
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_ingest, args=(str(path), str(Path(tmp) / "contacts.parquet"), queue))
        proc.start()
        proc.join()  # the result is a small tuple: it fits the queue's pipe before the child exits
        if proc.exitcode != 0:
            raise SystemExit(f"the ingest process failed (exit code {proc.exitcode}); see its traceback above")
        kept, reconciles, seconds, peak = queue.get()
    bound = BOUND_FIXED + BOUND_PER_CONTACT * kept
    print(f"ingest memory: {size / 1e6:,.0f} MB log, {written:,} rows, {kept:,} kept, reconciles={reconciles}")
    print(f"  time {seconds:,.1f} s; peak RSS {peak / 2**20:,.0f} MB = {peak / max(kept, 1):,.0f} B/contact")
    print(
        f"  bound 300 MB + 1 KB/contact = {bound / 2**20:,.0f} MB -> {'within' if peak <= bound else 'OVER'} "
        f"({peak / bound:.2f}x the bound)"
    )


if __name__ == "__main__":
    main()
