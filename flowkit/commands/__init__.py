"""The click commands, grouped by theme; each parses, calls the library (mostly :mod:`flowkit.pipeline`), prints."""
