"""Compliance governance: training that gates collectors, reviewed strategies, regulator
reports and the personal-information impact assessment (issue #19).

Pure cores (`training`, `review`, `override`, `regulator`, `pia`) know no database or clock;
the `*_service` modules load state, call them and commit each command with its audit entry.
"""
