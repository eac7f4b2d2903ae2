"""Industry sharing without handing over customer lists.

Private set intersection between lenders (ECDH over ristretto255, `psi`), its HTTP protocol
(`protocol`, `framing`), the consent gate that decides who may enter a shared set, and
differentially private aggregate reports with an epsilon budget ledger. docs/sharing.md has
the security model.
"""
