"""flowkit: evidence about demand and flow from the contact logs an organisation already has.

The pipeline runs one way - ingest -> cases -> classify -> analyse -> simulate -> report -
and every stage hands the next the same contact table (see :mod:`flowkit.schema`).
"""

from flowkit.errors import FlowkitError, MappingError, ScenarioError, SchemaError

__all__ = ["FlowkitError", "MappingError", "ScenarioError", "SchemaError", "__version__"]
__version__ = "0.1.0"
