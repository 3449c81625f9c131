"""Files written safely: created exclusively beside their destination, and
replaced whole, durably, or not at all."""

from __future__ import annotations

import os
import secrets
from typing import Any, Tuple


def create_beside(path: Any, suffix: str, mode: int) -> Tuple[str, Any]:
    """A new file beside ``path`` (``.NAME.<random><suffix>``), created
    exclusively so it is never a file the user has, nor a link planted at the
    name; ``mode`` less the umask, as for any file the user creates."""
    target = os.fspath(path)
    folder, name = os.path.split(target)
    for _ in range(16):
        tmp = os.path.join(folder, f".{name}.{secrets.token_hex(6)}{suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
        except FileExistsError:
            continue
        return tmp, os.fdopen(fd, "wb")
    raise FileExistsError(f"no free temporary name beside {target}")


def write_atomic(path: Any, text: str) -> None:
    """Replaces ``path`` with ``text`` durably: written beside it, flushed and
    synced, renamed over it, and the rename synced where the system allows,
    so a crash at any moment leaves the old token or the new one, whole."""
    # A resume token names the session: readable by its owner only.
    tmp, f = create_beside(path, ".tmp", 0o600)
    try:
        with f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    fsync_dir(os.path.dirname(os.path.abspath(os.fspath(path))))


def fsync_dir(folder: str) -> None:
    """Syncs a directory's entries (the rename); a no-op where directories
    cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
