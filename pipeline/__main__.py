"""``python -m pipeline`` runs the ``orderflow`` command line."""
from pipeline.cli import main

main()
