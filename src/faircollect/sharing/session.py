"""What a sharing session leaves behind: counts, never identifiers.

One `SessionRecord` per PSI session, on each side: who the peer was, the mode, both set sizes
and the result size where this side learns it (the server never does). It is the payload of
the session's audit entry.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session_id: str
    role: str  # "querier" or "server"
    peer: str  # the peer's allow-list name
    peer_key_id: str
    mode: str
    querier_size: int
    server_size: int
    result_size: int | None  # None: this side does not learn it (the server)
    outcome: str = "completed"  # or "abandoned" (a session that never finished)
    suite: str = "ristretto255"

    def payload(self) -> dict[str, Any]:
        return asdict(self)
