"""Shared fixtures: where the real third-party logs are, and small helpers."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
SAMPLES = ROOT / "samples"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that reads the real logs carries the ``real_logs`` marker, so a machine without
    them can leave them out on purpose (``-m "not real_logs"``) rather than have them pass unseen."""
    for item in items:
        if "real_logs" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.real_logs)


@pytest.fixture
def real_logs() -> Path:
    """The shared real logs. Absent, a test using this fails and says how to leave it out: a skip
    would let the suite pass without ever reading a real log."""
    if not REAL.is_dir():
        pytest.fail(
            f"real third-party logs not present at {REAL} (they live in ../shared, beside the clone); "
            'to run without them, leave these tests out: -m "not real_logs"'
        )
    return REAL
