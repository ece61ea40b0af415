#!/usr/bin/env python3
"""Set up flowkit in a local virtual environment and run the demo or the tests.

    python3 bootstrap.py demo     # install what is needed, run `flowkit demo`
    python3 bootstrap.py test     # install what is needed, run the whole test suite

Needs only Python 3.11+. The environment lives in .venv/ and is reinstalled only when
pyproject.toml changes. Extra arguments are passed on (e.g. `test -k ingest`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".flowkit-installed"


def ensure_env() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"flowkit needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    print("installing flowkit and its dependencies (first run only) ...", flush=True)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(pip + ["install", "--upgrade", "pip"], check=True)
    subprocess.run(pip + ["install", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test"):
        print(__doc__)
        return 2
    ensure_env()
    task, rest = argv[0], argv[1:]
    if task == "demo":
        cmd = [str(BIN / "flowkit"), "demo", *rest]
    else:
        cmd = [str(PY), "-m", "pytest", *rest]
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
