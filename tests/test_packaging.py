"""flowkit as an installed library: samples shipped as package data, no chart backend forced, pins that hold.

The full check (build the wheel, install it in a fresh venv, run the demo elsewhere) is `.ci/wheel_demo.py`,
run by `.ci/run`; these tests are the cheap guards that keep it passing.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import flowkit.samples as bundled
from flowkit.cli import main
from flowkit.errors import FlowkitError
from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _headless_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    return env | extra


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_every_sample_file_is_package_data():
    # a file added to samples/ that no package-data pattern names would be missing from the wheel
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["flowkit"]
    shipped = {Path(p) for pattern in patterns for p in glob.glob(pattern, root_dir=ROOT / "flowkit")}
    on_disk = {
        Path("data/samples") / p.relative_to(ROOT / "samples")
        for p in (ROOT / "samples").rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert on_disk, "samples/ is empty"
    assert not on_disk - shipped, f"not shipped in the wheel: {sorted(map(str, on_disk - shipped))}"


def test_samples_path_is_the_one_copy_in_the_repository():
    found = bundled.path()
    assert (found / "manifest.yaml").samefile(ROOT / "samples" / "manifest.yaml")
    assert bundled.manifest().samefile(ROOT / "samples" / "manifest.yaml")
    # every export and mapping the manifest names is there
    entries = yaml.safe_load(bundled.manifest().read_text(encoding="utf-8"))["exports"]
    assert len(entries) == 4
    for entry in entries:
        assert (found / entry["file"]).is_file() and (found / entry["mapping"]).is_file()


def test_missing_samples_are_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setattr(bundled, "files", lambda _package: tmp_path / "site-packages" / "flowkit")
    monkeypatch.setattr(bundled, "__file__", str(tmp_path / "site-packages" / "flowkit" / "samples.py"))
    with pytest.raises(FlowkitError, match="bundled samples not found; reinstall flowkit"):
        bundled.path()
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "report")])
    assert result.exit_code == 1
    assert "bundled samples not found" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "report").exists()


def test_charts_leave_the_backend_to_the_caller():
    # a notebook's inline backend must survive importing flowkit's charts and report (issue 15: 0 images)
    code = (
        "import matplotlib; matplotlib.use('svg'); "
        "import flowkit.report.charts, flowkit.report, flowkit.report.html; print(matplotlib.get_backend())"
    )
    assert _python(code, _headless_env()) == "svg"


def test_headless_charts_work_without_a_chosen_backend(tmp_path):
    # no display, no MPLBACKEND: matplotlib falls back to Agg by itself and a chart is saved
    code = (
        "import matplotlib, pandas as pd; from flowkit.report import charts; "
        "t = pd.DataFrame({'value': [6, 4], 'failure': [4, 1], 'failure_share': [0.4, 0.2]}, index=['phone', 'chat']); "
        "ax = charts.failure_by(t, 'channel'); "
        f"ax.figure.savefig({str(tmp_path / 'c.png')!r}); print(matplotlib.get_backend().lower())"
    )
    assert _python(code, _headless_env()) == "agg"
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_cli_draws_with_agg_even_under_a_notebooks_backend(tmp_path):
    # `!flowkit ...` from a notebook inherits MPLBACKEND=inline; the CLI only writes files
    code = (
        "import matplotlib; from flowkit.cli import main; "
        f"main(['samples', 'make', '--contacts', '50', '--out', {str(tmp_path)!r}], standalone_mode=False); "
        "print(matplotlib.get_backend().lower())"
    )
    out = _python(code, _headless_env(MPLBACKEND="module://matplotlib_inline.backend_inline"))
    assert out.splitlines()[-1] == "agg"


def test_simpy_pin_matches_the_private_api_the_model_uses():
    # sim/model.py schedules straight onto SimPy's heap (env._now, env._queue, env._eid, simpy.core.NORMAL)
    import simpy
    import simpy.core

    pin = next(d for d in PYPROJECT["project"]["dependencies"] if d.lower().startswith("simpy"))
    assert "<5" in pin.replace(" ", ""), f"pin SimPy's major version: {pin}"
    assert simpy.__version__.split(".")[0] == "4"
    env = simpy.Environment()
    assert {"_now", "_queue", "_eid"} <= set(vars(env))
    assert isinstance(simpy.core.NORMAL, int)
