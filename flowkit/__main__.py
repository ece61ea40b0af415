"""``python -m flowkit``: the same command line as the ``flowkit`` script (useful where scripts are not on PATH)."""

from flowkit.cli import main

main()
