"""Dispatch: the transactional outbox, the worker that drains it, and the channels it sends by."""
