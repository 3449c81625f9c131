"""What the call helpers (File Shares, notes, comments, members) need of a
client, so that they depend on this and not on the driver that holds them."""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Optional, Protocol, Tuple


class Caller(Protocol):
    """A client that builds, sends and decodes calls (``driver.Client``)."""

    _core: Any

    def call(self, call: Mapping[str, Any], decode: str = "payload") -> Any: ...

    def items(self, call: Mapping[str, Any], *, max_pages: Optional[int] = None) -> Iterator[Any]: ...

    def send(self, request: Any, stream: bool = False) -> Tuple[Any, Any]: ...
