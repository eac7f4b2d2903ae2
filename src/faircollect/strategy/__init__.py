"""Collection strategy: playbooks as data, the planner, champion/challenger experiments.

The planner is a pure core over Polars frames; the daily cycle (`faircollect.cycle`) loads its
inputs from the store and writes its plan to the outbox.
"""
