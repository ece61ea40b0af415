"""Where the bundled samples live: package data, so an installed flowkit runs its demo with nothing else.

The files are kept once, in the repository's ``samples/`` folder (README commands, tests and notebooks name
that path). ``flowkit/data/samples`` is a link to it, which the wheel build follows and copies, so an
installed package carries the same files and finds them with ``importlib.resources``. We ship the files
rather than regenerate them at run time because the README's figures, the answer key and the mappings for
real logs describe these exact files, and regenerating would tie the demo to byte-identical output of
numpy, pandas and openpyxl across versions.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from flowkit.errors import FlowkitError

__all__ = ["manifest", "path"]


def path() -> Path:
    """The folder holding the bundled exports, mappings, manifest and answer key."""
    bundled = files("flowkit") / "data" / "samples"
    if isinstance(bundled, Path) and bundled.is_dir():
        return bundled
    # a checkout made without symbolic links (git on Windows by default) has the link as a small text file
    clone = Path(__file__).resolve().parents[1] / "samples"
    if clone.is_dir():
        return clone
    raise FlowkitError(
        f"{bundled}: bundled samples not found; reinstall flowkit from its wheel "
        "(a zipped or partial install does not carry them)"
    )


def manifest() -> Path:
    """The manifest that ingests all four sample exports together."""
    return path() / "manifest.yaml"
