"""What an upload reads: a path, a bytes-like object or a binary file object,
read by offset so chunks can be read (and read again) in any order."""

from __future__ import annotations

import io
import os
import threading
from typing import Any, Optional, Union

#: A file path, bytes-like data, or a seekable binary file opened for reading
#: (the upload covers it from its current position to its end).
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, io.BufferedIOBase, io.RawIOBase, Any]


class UploadSource:
    """Random access to an upload's bytes, with the size and name they have."""

    def __init__(self, source: Source, name: Optional[str] = None) -> None:
        self._fd: Optional[int] = None
        self._buf: Optional[memoryview] = None
        self._file: Any = None
        self._lock = threading.Lock()
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._buf = memoryview(source).cast("B")
            self.size = len(self._buf)
            self.name = _required_name(name, "bytes")
        elif isinstance(source, (str, os.PathLike)):
            self._fd = os.open(os.fspath(source), os.O_RDONLY | getattr(os, "O_BINARY", 0))
            self.size = os.fstat(self._fd).st_size
            self.name = name or os.path.basename(os.fspath(source))
        elif hasattr(source, "read") and hasattr(source, "seek"):
            if isinstance(source, io.TextIOBase) or isinstance(source.read(0), str):
                raise TypeError("upload source: a text file; open it in binary mode ('rb')")
            if not getattr(source, "seekable", lambda: True)():
                raise TypeError("upload source: a file object that cannot seek; pass bytes, or a path")
            self._file = source
            self._start = source.tell()
            self.size = source.seek(0, io.SEEK_END) - self._start
            source.seek(self._start)
            self.name = name or _required_name(getattr(source, "name", None) and os.path.basename(str(source.name)), "a file object")
        else:
            raise TypeError(
                f"upload source: {type(source).__name__}; give a path, bytes or a binary file object opened for reading"
            )

    def read_at(self, offset: int, length: int) -> bytes:
        """``length`` bytes at ``offset`` (fewer only at the end)."""
        if self._buf is not None:
            return bytes(self._buf[offset : offset + length])
        if self._fd is not None:
            return _pread_all(self._fd, offset, length)
        with self._lock:
            self._file.seek(self._start + offset)
            pieces = []
            left = length
            while left > 0:
                got = self._file.read(left)
                if not got:
                    break
                pieces.append(got)
                left -= len(got)
            return b"".join(pieces)

    def close(self) -> None:
        # A file object stays the caller's to close.
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "UploadSource":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _pread_all(fd: int, offset: int, length: int) -> bytes:
    data = os.pread(fd, length, offset)
    if len(data) == length or not data:
        return data
    # pread may return fewer bytes than asked before the end (pipes, some
    # network filesystems): read on until the length or the end.
    pieces = [data]
    got = len(data)
    while got < length:
        more = os.pread(fd, length - got, offset + got)
        if not more:
            break
        pieces.append(more)
        got += len(more)
    return b"".join(pieces)


def _required_name(name: Optional[str], what: str) -> str:
    if not name:
        raise ValueError(f"an upload from {what} needs name=")
    return name
