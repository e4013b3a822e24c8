"""``python -m placement.cli``: the same as the ``placement`` command."""

from placement.cli import main

main()
