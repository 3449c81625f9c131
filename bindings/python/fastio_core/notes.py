"""Notes: markdown files the service versions, reached as ``client.notes``.

A compare-and-swap update (``if_version=``) that lost the race raises
``NoteConflict`` carrying the note as it now is, as the core reads it from
the answer.
"""

from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

from . import fastio_core as _ffi
from .caller import Caller


class NoteConflict(Exception):
    """The note changed since ``if_version``; ``current`` is its state now
    (``version_id``, ``content``, … as the service sends it)."""

    def __init__(self, current: Dict[str, Any], error: Exception) -> None:
        super().__init__(f"the note is at version {current.get('version_id')!r} now")
        self.current = current
        self.error = error


class Notes:
    def __init__(self, client: Caller) -> None:
        self._client = client

    @staticmethod
    def _profile(workspace: Optional[str], share: Optional[str]) -> Dict[str, str]:
        if (workspace is None) == (share is None):
            raise ValueError("give exactly one of workspace= or share=")
        return {"workspace": workspace} if workspace is not None else {"share": share}  # type: ignore[dict-item]

    def create(self, name: str, content: str, workspace: Optional[str] = None, *, share: Optional[str] = None, parent: str = "root") -> Dict[str, Any]:
        """A new note (``name`` ends in ``.md``; at most 100 KB); returns its node."""
        call = {"op": "create_note", "profile": self._profile(workspace, share), "parent": parent, "name": name, "content": content}
        return self._client.call({"storage": call})["node"]

    def update(
        self,
        node: str,
        workspace: Optional[str] = None,
        *,
        share: Optional[str] = None,
        content: Optional[str] = None,
        name: Optional[str] = None,
        if_version: Optional[str] = None,
    ) -> Dict[str, Any]:
        """Rewrites and/or renames a note; returns its node. With
        ``if_version`` only a note still at that version changes."""
        call: Dict[str, Any] = {"op": "update_note", "profile": self._profile(workspace, share), "node": node}
        for k, v in (("content", content), ("name", name), ("if_version_id", if_version)):
            if v is not None:
                call[k] = v
        try:
            return self._client.call({"storage": call})["node"]
        except _ffi.FastioError.Api as e:
            # The core decides what a version conflict is and where its state is.
            current = _ffi.version_conflict(e.detail_json)
            if current is not None:
                raise NoteConflict(json.loads(current), e) from e
            raise

    def read(self, node: str, workspace: Optional[str] = None, *, share: Optional[str] = None, version: Optional[str] = None) -> Tuple[str, Dict[str, Any]]:
        """The note's text and its node (``version`` reads an older one)."""
        call: Dict[str, Any] = {"op": "read_note", "profile": self._profile(workspace, share), "node": node}
        if version is not None:
            call["version_id"] = version
        got = self._client.call({"storage": call})
        return got["content"], got["note"]
