"""Spreading the group work over the machine's cores.

Hashing to the group and raising points to a scalar dominate the protocol's time; each item
is independent, so chunks of them go to a pool of worker processes. They are `spawn`ed (safe
beside the threads of a web server) as children of this process, and on Linux each asks to
be sent SIGTERM when this process dies, so no worker outlives it, even a killed one. Chunks
travel packed (32 bytes a point) to keep pickling cheap. Small jobs stay in this process:
starting workers costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from types import TracebackType

from faircollect.sharing import group

OnProgress = Callable[[int, int], None]
SMALL = 4096  # fewer items than this: no pool
CHUNK = 4096


def _mult_chunk(suite: str, scalar: bytes, blob: bytes) -> bytes:
    return group.pack(group.mult_many(scalar, group.unpack(blob), suite))


def _hash_mult_chunk(suite: str, dst: bytes, scalar: bytes, items: list[bytes]) -> bytes:
    return group.pack(group.mult_many(scalar, group.hash_many(dst, items, suite), suite))


def _die_with_parent() -> None:
    """Worker initialiser: SIGTERM this worker when its parent goes (Linux prctl)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - not a glibc system
            pass


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else (os.cpu_count() or 1))


class GroupEngine:
    """Batch hashing and exponentiation, over `workers` processes (1: in this process)."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)
        self._pool: Executor | None = None

    def __repr__(self) -> str:
        return f"GroupEngine(workers={self.workers})"

    def __enter__(self) -> GroupEngine:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def _executor(self) -> Executor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=ctx,
                                             initializer=_die_with_parent)
        return self._pool

    def _run(self, fn: Callable[..., bytes], args: tuple[object, ...], chunks: list[object],
             sizes: list[int], on_progress: OnProgress | None) -> list[bytes]:
        total = sum(sizes)
        out: list[bytes] = []
        done = 0
        if self.workers == 1 or total < SMALL:
            for chunk, size in zip(chunks, sizes, strict=True):
                out.extend(group.unpack(fn(*args, chunk)))
                done += size
                if on_progress:
                    on_progress(done, total)
            return out
        pool = self._executor()
        futures = [pool.submit(fn, *args, chunk) for chunk in chunks]
        for fut, size in zip(futures, sizes, strict=True):
            out.extend(group.unpack(fut.result()))
            done += size
            if on_progress:
                on_progress(done, total)
        return out

    def hash_and_raise(self, dst: bytes, scalar: bytes, items: Sequence[bytes],
                       on_progress: OnProgress | None = None,
                       suite: str = group.DEFAULT_SUITE) -> list[bytes]:
        """[hash_to_group(dst, i) ** scalar for i in items] in `suite`, in order."""
        chunks = [list(items[i:i + CHUNK]) for i in range(0, len(items), CHUNK)]
        return self._run(_hash_mult_chunk, (group.check_suite(suite), dst, scalar),
                         list(chunks), [len(c) for c in chunks], on_progress)

    def raise_all(self, scalar: bytes, points: Sequence[bytes],
                  on_progress: OnProgress | None = None,
                  suite: str = group.DEFAULT_SUITE) -> list[bytes]:
        """[p ** scalar for p in points] in `suite`, in order."""
        chunks = [group.pack(points[i:i + CHUNK]) for i in range(0, len(points), CHUNK)]
        sizes = [len(c) // group.POINT_BYTES for c in chunks]
        return self._run(_mult_chunk, (group.check_suite(suite), scalar), list(chunks),
                         sizes, on_progress)
