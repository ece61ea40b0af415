#!/usr/bin/env python3
"""CI: flowkit installs like a library. Build the wheel, install it in a fresh venv, run the demo elsewhere.

    python3 .ci/wheel_demo.py [--keep DIR]

Fails (exit 1, one line saying which step) unless `flowkit demo --out report` run from an empty folder,
with only the wheel and its declared dependencies installed, writes report/index.html. The clone is
not on the path there, so the bundled samples must come from the package data. Each step's wall time
is printed. Dependencies come from pip's configured indexes (and find-links, so a local wheel cache is used).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def step(what: str, cmd: list[str], cwd: Path) -> None:
    start = time.monotonic()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    secs = time.monotonic() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        sys.exit(f"wheel check: {what} failed (exit {done.returncode}, {secs:.0f} s):\n{tail}")
    print(f"wheel check: {what}: {secs:.0f} s", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    work = args.keep or Path(tempfile.mkdtemp(prefix="flowkit-wheel-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        dist, env, elsewhere = work / "dist", work / "venv", work / "elsewhere"
        elsewhere.mkdir(exist_ok=True)
        pip = ["-m", "pip", "--disable-pip-version-check", "-q"]
        step("build the wheel", [sys.executable, *pip, "wheel", "--no-deps", "-w", str(dist), str(ROOT)], ROOT)
        (wheel,) = dist.glob("flowkit-*.whl")
        venv.EnvBuilder(with_pip=True, clear=True).create(env)
        py = env / "bin" / "python"
        # --no-compile: byte-compiling every dependency costs more than this one run saves
        step(f"install {wheel.name} in a fresh venv", [str(py), *pip, "install", "--no-compile", str(wheel)], work)
        step(
            "flowkit demo --out report (from an empty folder)",
            [str(env / "bin" / "flowkit"), "demo", "--out", "report"],
            elsewhere,
        )
        index = elsewhere / "report" / "index.html"
        if not index.is_file() or "<html" not in index.read_text(encoding="utf-8", errors="replace").lower():
            sys.exit(f"wheel check: {index} was not written")
        print(f"wheel check: ok, {index} ({index.stat().st_size:,} bytes)")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
