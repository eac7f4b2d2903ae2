"""Reading audit entries straight from an SQLite file, in native code, where that is safe.

Through the Python driver a row costs about 0.43 µs (a tuple and two bytes objects), more
than both of its hashes; `_sqlite_scan` steps the rows with SQLite's C API and hashes them
with no Python object per row. It opens a connection of its own, so it is used only where
another process could be: on a file database, with no uncommitted work in the caller's
transaction (the same rule as verification's worker processes).

Two copies of SQLite in one process do not share POSIX file locks, and closing one copy's
file descriptor would silently drop the other's locks. So the native reader is used only
when it runs on the very library Python's `sqlite3` module loaded (same function address),
and never when ``FAIRCOLLECT_PURE_HASHING=1`` asks for the pure-Python paths.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from functools import cache

from sqlalchemy import URL, Connection

# Outcomes of `_sqlite_scan.leaves`, besides 0 (all good).
ALTERED = 1
MISSING = 2

Reader = Callable[[str, int, int], tuple[bytes, int, int]]


@cache
def native_reader() -> Reader | None:
    """`_sqlite_scan.leaves` when it is built and shares Python's SQLite library, else None."""
    if os.environ.get("FAIRCOLLECT_PURE_HASHING") == "1":
        return None
    try:
        import _sqlite3

        from faircollect.audit import _sqlite_scan
    except ImportError:
        return None
    _version, address = _sqlite_scan.sqlite_library()
    try:
        theirs = ctypes.cast(ctypes.CDLL(_sqlite3.__file__).sqlite3_libversion,
                             ctypes.c_void_p).value
    except (OSError, AttributeError):  # SQLite linked in statically, symbols hidden
        return None
    leaves: Reader = _sqlite_scan.leaves
    return leaves if theirs == address else None


def on_disk(url: URL) -> bool:
    """Whether an SQLite URL names a database on disk, which another connection also sees."""
    return (url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
            and "memory" not in str(url.query.get("mode", "")))


def database_file(conn: Connection) -> str | None:
    """The file of an SQLite connection's database; None for other databases or memory."""
    url = conn.engine.url
    if not on_disk(url) or str(url.database).startswith("file:"):
        return None  # URI forms are left to the driver
    return str(url.database)
