"""Retention: how long each kind of record is kept, and the run that shreds what is due."""
