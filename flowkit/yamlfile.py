"""Reading the YAML files users write (mappings, manifests, rules, scenarios), one way.

Every loader wants the same two messages - no such file, not valid YAML - raised as its own
error type so callers can tell a bad mapping from a bad scenario.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from flowkit.errors import FlowkitError

__all__ = ["load_yaml"]


def load_yaml(path: str | Path, error: type[FlowkitError], what: str):
    """Parsed YAML from ``path``; ``error`` names the file for a missing file or a syntax error."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {exc}") from exc
