#!/usr/bin/env python3
"""Set up flowkit in a local virtual environment and run the demo or the tests.

    python3 bootstrap.py demo     # install what is needed, run `flowkit demo`
    python3 bootstrap.py test     # install what is needed, run the whole test suite
    python3 bootstrap.py lint     # install what is needed, run ruff (lint and format check) and mypy

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
    if sys.version_info < (3, 11):  # noqa: UP036 - bootstrap runs under whatever python3 the user has
        sys.exit(f"flowkit needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating virtual environment in {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    print("installing flowkit and its dependencies (first run only) ...", flush=True)
    pip = [str(PY), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def ensure_chromium() -> None:
    """The report is checked in a real browser: install Debian's Chromium if it is missing."""
    import shutil

    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("installing Chromium for the browser test (Debian package) ...", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    else:
        print(
            "note: Chromium is not installed and cannot be installed here (needs root and apt-get); "
            "the browser test will fail until it is: apt-get install chromium",
            flush=True,
        )


def lint(rest: list[str]) -> int:
    """The checks CI runs before the tests; each one's exit code counts. Extra arguments go to ruff;
    mypy checks the whole package as pyproject.toml's [tool.mypy] says (a type error fails CI)."""
    checks = [
        [str(BIN / "ruff"), "check", *rest, "."],
        [str(BIN / "ruff"), "format", "--check", *rest, "."],
        [str(BIN / "mypy")],
    ]
    failed = 0
    for cmd in checks:
        print("$ " + " ".join([Path(cmd[0]).name, *cmd[1:]]), flush=True)
        failed |= subprocess.call(cmd, cwd=ROOT) != 0
    return int(failed)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "lint"):
        print(__doc__)
        return 2
    ensure_env()
    task, rest = argv[0], argv[1:]
    if task == "lint":
        return lint(rest)
    if task == "demo":
        cmd = [str(BIN / "flowkit"), "demo", *rest]
    else:
        ensure_chromium()
        cmd = [str(PY), "-m", "pytest", *rest]
    return subprocess.call(cmd, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
