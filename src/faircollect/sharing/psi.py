"""ECDH private set intersection, both sides, as pure state: no I/O, no clock.

The querier Q holds set A and secret scalar a; the server S holds set B and secret b; both
hash into ristretto255 under the session's separator (`group.session_separator`).

1. Q sends  X = [H(x)^a for x in A], in A's order.
2. S answers Y = [X_i^b], and sends its own set once as W = sorted(H(y)^b for y in B).
3. Q computes Z = {W_j^a}. Element x_i of A is in the intersection iff Y_i is in Z, because
   H(x)^(ab) = H(y)^(ba) exactly when x = y (and otherwise with negligible probability).

Modes:
- `intersection`: Y keeps A's order, so Q learns which of its elements S holds.
- `cardinality`: S sorts Y by its bytes before answering. Q then holds the multiset
  {H(x)^(ab)} with no order tying a value to an element of A; the sorted order of
  pseudorandom values is a uniformly random permutation (under DDH), so Q's whole view is the
  same for any ordering of A and Q learns |A ∩ B| (and |B|), nothing about which elements. The
  result object carries only the count.

S learns |A| and nothing else: X is uniformly distributed in the group whatever A holds. Both
sides learn the other's set size. This is the semi-honest model: see docs/sharing.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from faircollect.errors import InputError
from faircollect.sharing import group
from faircollect.sharing.parallel import GroupEngine, OnProgress

MODES = ("intersection", "cardinality")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r} (intersection or cardinality)", field="mode")
    return mode


@dataclass(frozen=True)
class Result:
    """What the querier learns. `members` is empty in cardinality mode (never filled)."""

    mode: str
    querier_size: int
    server_size: int
    count: int
    members: tuple[str, ...] = field(default=(), repr=False)


class Querier:
    """The side that asks: blinds its set, then reads the answer."""

    def __init__(self, items: Sequence[str], mode: str, scalar: bytes | None = None,
                 suite: str = group.DEFAULT_SUITE) -> None:
        self.mode = check_mode(mode)
        self.suite = group.check_suite(suite)
        self.items = list(dict.fromkeys(items))
        self._scalar = scalar or group.new_scalar()

    def __repr__(self) -> str:
        return f"Querier(mode={self.mode!r}, suite={self.suite!r}, size={len(self.items)})"

    def blind(self, dst: bytes, engine: GroupEngine,
              on_progress: OnProgress | None = None) -> list[bytes]:
        """Step 1: H(x)^a for each element, in the set's order."""
        return engine.hash_and_raise(dst, self._scalar, [i.encode() for i in self.items],
                                     on_progress, self.suite)

    def finish(self, answer: Sequence[bytes], server_set: Sequence[bytes], engine: GroupEngine,
               on_progress: OnProgress | None = None) -> Result:
        """Step 3: compare the server's answer with its set raised to our scalar."""
        if len(answer) != len(self.items):
            raise InputError(f"the server answered {len(answer)} elements for "
                             f"{len(self.items)} sent", field="answer")
        if len(answer) < len(server_set) and group.can_invert(self.suite):
            # Fewer multiplications the other way round: unblind the answer, H(x)^(ab) ->
            # H(x)^b, and compare with the server's set as sent. Same result, same view.
            answer = engine.raise_all(group.invert(self._scalar), answer, on_progress,
                                      self.suite)
            z = set(server_set)
        else:
            z = set(engine.raise_all(self._scalar, server_set, on_progress, self.suite))
        if self.mode == "cardinality":
            return Result(self.mode, len(self.items), len(server_set),
                          sum(1 for y in answer if y in z))
        members = tuple(x for x, y in zip(self.items, answer, strict=True) if y in z)
        return Result(self.mode, len(self.items), len(server_set), len(members), members)


class Server:
    """The side that answers: raises what it is sent, and publishes its own blinded set."""

    def __init__(self, items: Sequence[str], scalar: bytes | None = None,
                 suite: str = group.DEFAULT_SUITE) -> None:
        self.suite = group.check_suite(suite)
        self.items = list(dict.fromkeys(items))
        self._scalar = scalar or group.new_scalar()

    def __repr__(self) -> str:
        return f"Server(size={len(self.items)})"

    def own_set(self, dst: bytes, engine: GroupEngine,
                on_progress: OnProgress | None = None) -> list[bytes]:
        """Step 2b: H(y)^b for each element, sorted (the order says nothing of B's)."""
        return sorted(engine.hash_and_raise(dst, self._scalar,
                                            [i.encode() for i in self.items], on_progress,
                                            self.suite))

    def answer(self, blinded: Sequence[bytes], mode: str, engine: GroupEngine,
               on_progress: OnProgress | None = None) -> list[bytes]:
        """Step 2a: X_i^b; sorted in cardinality mode, so no value points at an element."""
        out = engine.raise_all(self._scalar, blinded, on_progress, self.suite)
        return sorted(out) if check_mode(mode) == "cardinality" else out


def run_local(querier_items: Sequence[str], server_items: Sequence[str], mode: str,
              dst: bytes, engine: GroupEngine, suite: str = group.DEFAULT_SUITE) -> Result:
    """Both sides in one process (tests, benchmarks): the same steps the HTTP protocol runs."""
    q = Querier(querier_items, mode, suite=suite)
    s = Server(server_items, suite=suite)
    blinded = q.blind(dst, engine)
    return q.finish(s.answer(blinded, mode, engine), s.own_set(dst, engine), engine)
