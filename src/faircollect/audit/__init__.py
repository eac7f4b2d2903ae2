"""The tamper-evident audit log: an RFC 6962/9162 Merkle tree over canonical entries.

Nothing is imported here on purpose: `python -m faircollect.audit.verify` must stay a
standalone program that needs only the standard library and `cryptography`.
"""
