"""Data-subject rights: export everything held on a borrower, and erase by crypto-shredding."""
