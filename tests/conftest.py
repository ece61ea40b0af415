"""Shared fixtures: where the real third-party logs are, and small helpers."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
SAMPLES = ROOT / "samples"


@pytest.fixture
def real_logs() -> Path:
    """The shared real logs; a test using this skips (saying why) when they are absent."""
    if not REAL.is_dir():
        pytest.skip(f"real third-party logs not present at {REAL} (they live in ../shared, beside the clone)")
    return REAL
