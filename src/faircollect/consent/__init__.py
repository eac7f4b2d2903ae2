"""Consent: the purposes catalogue, the append-only ledger, validity and signed receipts.

Public surface: `ConsentLedger` (grant, renew, withdraw, review, valid, decision_consents,
valid_frame), the pure `record.valid` / `record.decision_entries`, the vectorised
`frame.valid_frame`, and `receipt.verify_receipt` for offline checks.
"""
