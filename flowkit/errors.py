"""One exception family, so the CLI can turn every user-caused error into one line.

Callers that must tell errors apart catch the subclass; everyone else catches
:class:`FlowkitError`. Messages name the file, row, column or key, and the fix.
"""

__all__ = ["FlowkitError", "IngestError", "MappingError", "ScenarioError", "SchemaError"]


class FlowkitError(Exception):
    """Base of every error flowkit raises on purpose."""


class MappingError(FlowkitError):
    """A source-mapping file (YAML) is wrong: unknown key, bad value, missing column."""


class SchemaError(FlowkitError):
    """A DataFrame does not satisfy the contact-table contract."""


class IngestError(FlowkitError):
    """An export cannot be read at all (missing file, unknown format, no header)."""


class ScenarioError(FlowkitError):
    """A scenario file is wrong: unknown key, wrong type or impossible value."""
