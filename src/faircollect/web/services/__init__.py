"""Services of the web faces: staff sign-in, sessions, contact-person links (each command one
transaction with its audit entry)."""
