"""The vault: personal data encrypted field by field, found by blind indexes, masked for display."""
