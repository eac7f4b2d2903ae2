"""ECDH-PSI in one process: exact intersections, and what cardinality mode lets out."""

from __future__ import annotations

import random

import pytest

from faircollect.errors import InputError
from faircollect.sharing import group
from faircollect.sharing.parallel import GroupEngine
from faircollect.sharing.psi import Querier, Server, run_local

DST = b"unit-test-session"


def _sets(rng: random.Random, n: int, overlap: float) -> tuple[list[str], list[str], set[str]]:
    pool = [f"phone:+86138{rng.randrange(10**8):08d}" for _ in range(3 * n)]
    pool = list(dict.fromkeys(pool))
    shared = pool[: int(n * overlap)]
    a = shared + pool[n: 2 * n - len(shared)]
    b = shared + pool[2 * n: 3 * n - len(shared)]
    rng.shuffle(a)
    rng.shuffle(b)
    return a, b, set(shared)


@pytest.mark.parametrize("suite", group.SUITES)
@pytest.mark.parametrize("overlap", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("mode", ["intersection", "cardinality"])
def test_exact_on_random_sets(overlap: float, mode: str, suite: str) -> None:
    rng = random.Random(f"{overlap}-{mode}")
    a, b, shared = _sets(rng, 300, overlap)
    assert len(shared) == int(300 * overlap)
    with GroupEngine(workers=1) as engine:
        result = run_local(a, b, mode, DST, engine, suite)
    assert (result.querier_size, result.server_size) == (len(a), len(b))
    assert result.count == len(shared)
    if mode == "intersection":
        assert set(result.members) == shared
        assert list(result.members) == [x for x in a if x in shared]  # the querier's order
    else:
        assert result.members == ()


@pytest.mark.parametrize("suite", group.SUITES)
@pytest.mark.parametrize("mode", ["intersection", "cardinality"])
def test_unequal_sizes_both_ways(mode: str, suite: str) -> None:
    """|A| < |B| unblinds the answer; |A| > |B| raises the server's set: both exact."""
    rng = random.Random(mode)
    a, b, shared = _sets(rng, 400, 0.5)
    small = [x for x in a if x in shared][:50] + [x for x in a if x not in shared][:30]
    with GroupEngine(workers=1) as engine:
        for q_set, s_set in ((small, b), (b, small)):
            result = run_local(q_set, s_set, mode, DST, engine, suite)
            assert result.count == len(set(q_set) & set(s_set)) == 50
            if mode == "intersection":
                assert set(result.members) == set(q_set) & set(s_set)


def test_pool_gives_the_same_answer_as_one_process() -> None:
    rng = random.Random(7)
    a, b, shared = _sets(rng, 5000, 0.5)
    s = group.new_scalar()
    with GroupEngine(workers=2) as pooled, GroupEngine(workers=1) as single:
        assert pooled.hash_and_raise(DST, s, [x.encode() for x in a[:4500]]) == \
            single.hash_and_raise(DST, s, [x.encode() for x in a[:4500]])
        assert run_local(a, b, "intersection", DST, pooled).count == len(shared)


def _cardinality_view(a: list[str], b: list[str], qs: bytes, ss: bytes,
                      suite: str = group.DEFAULT_SUITE) -> tuple[list[bytes], list[bytes]]:
    """Everything the querier receives from the server in cardinality mode."""
    engine = GroupEngine(workers=1)
    q, s = Querier(a, "cardinality", qs, suite), Server(b, ss, suite)
    return s.answer(q.blind(DST, engine), "cardinality", engine), s.own_set(DST, engine)


@pytest.mark.parametrize("suite", group.SUITES)
def test_cardinality_view_is_the_same_for_every_order_of_the_querier_set(suite: str) -> None:
    """The precise claim: in cardinality mode the querier's view (the answer and the server's
    set) is a function of the *set* A, not of its order, so no received value can be tied to
    a position, hence to an element, of A. Intersection mode fails this (control)."""
    rng = random.Random(11)
    a, b, _ = _sets(rng, 200, 0.5)
    qs, ss = group.new_scalar(), group.new_scalar()
    shuffled = a[:]
    rng.shuffle(shuffled)
    assert _cardinality_view(a, b, qs, ss, suite) == _cardinality_view(shuffled, b, qs, ss, suite)
    engine = GroupEngine(workers=1)
    s = Server(b, ss, suite)
    plain = s.answer(Querier(a, "intersection", qs, suite).blind(DST, engine), "intersection",
                     engine)
    mixed = s.answer(Querier(shuffled, "intersection", qs, suite).blind(DST, engine),
                     "intersection", engine)
    assert plain != mixed


def test_cardinality_answer_positions_are_unlinkable() -> None:
    """Which positions of the answer match is spread over the answer, not where the shared
    elements sat in A: put every shared element first; the matches land everywhere."""
    rng = random.Random(5)
    a, b, shared = _sets(rng, 400, 0.25)
    a = sorted(a, key=lambda x: x not in shared)  # the 100 shared elements first
    engine = GroupEngine(workers=1)
    q, s = Querier(a, "cardinality"), Server(b)
    answer = s.answer(q.blind(DST, engine), "cardinality", engine)
    z = set(engine.raise_all(q._scalar, s.own_set(DST, engine)))
    hits = [i for i, y in enumerate(answer) if y in z]
    assert len(hits) == 100
    assert sum(1 for i in hits if i >= 100) > 50  # in A's order all 100 would be < 100
    assert q.finish(answer, s.own_set(DST, engine), engine).count == 100


def test_server_sees_only_uniform_points_and_sessions_do_not_mix() -> None:
    engine = GroupEngine(workers=1)
    a = ["phone:+8613812345699"]
    q1, q2 = Querier(a, "intersection"), Querier(a, "intersection")
    assert q1.blind(DST, engine) != q2.blind(DST, engine)  # fresh scalar each session
    s = Server(a)
    # The server's blinded set under another separator matches nothing.
    blinded = q1.blind(DST, engine)
    result = q1.finish(s.answer(blinded, "intersection", engine),
                       s.own_set(b"another-session", engine), engine)
    assert result.count == 0


def test_malformed_answers_are_refused() -> None:
    engine = GroupEngine(workers=1)
    q = Querier(["phone:+8613812345699", "phone:+8613812345600"], "intersection")
    q.blind(DST, engine)
    with pytest.raises(InputError, match="answered 1"):
        q.finish([b"\x00" * 32], [], engine)
    with pytest.raises(InputError):
        Querier([], "both")
