"""`python -m faircollect` runs the command line."""

from faircollect.cli import run

run()
