"""Files and folders that hold personal data: files 0600, folders 0700, whatever the umask.

A file is written to a temporary file created 0600 beside it, fsynced and renamed over the
target, so a target that existed with wider permissions is replaced, never left readable.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from faircollect.errors import InputError

FILE_MODE = 0o600
DIR_MODE = 0o700
log = logging.getLogger("faircollect.private")
_warned: set[Path] = set()  # one warning per folder per process, however often it is opened


def ensure_private_dir(path: Path, what: str = "folder") -> Path:
    """Create `path` 0700 if missing; warn in one line when it exists open to group/others."""
    try:
        path.mkdir(mode=DIR_MODE, parents=True)
        os.chmod(path, DIR_MODE)  # mkdir's mode is cut by the umask; say it exactly
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077 and path not in _warned:
            _warned.add(path)
            log.warning("%s %s is open to group or others (mode %o); run chmod 700 %s",
                        what, path, mode, path)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` to `path` with mode 0600 (replacing any file there); returns the path."""
    if path.exists() and not path.is_file():  # a device or pipe (/dev/stdout): just write
        with path.open("wb") as fh:
            fh.write(data)
        return path
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(f"cannot write {path}: {exc.strerror}", field="out") from None
    return path


def wrote(path: Path) -> str:
    """The one line a command prints after writing a private file."""
    return f"wrote {path} ({stat.S_IMODE(path.stat().st_mode):04o})"
