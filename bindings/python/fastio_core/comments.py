"""Comments on files, reached as ``client.comments``. Each method names one
core call (``{"comments": {"op": ...}}``); the core builds the JSON body and
refuses bad input before anything is sent."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional

from .caller import Caller



def _profile(workspace: Optional[str], share: Optional[str]) -> Dict[str, str]:
    if (workspace is None) == (share is None):
        raise ValueError("give exactly one of workspace= or share=")
    return {"workspace": workspace} if workspace is not None else {"share": share}  # type: ignore[dict-item]


class Comments:
    def __init__(self, client: Caller) -> None:
        self._client = client

    def _call(self, op: str, **fields: Any) -> Any:
        return self._client.call({"comments": {"op": op, **{k: v for k, v in fields.items() if v is not None}}})

    def add(
        self,
        node: str,
        body: str,
        workspace: Optional[str] = None,
        *,
        share: Optional[str] = None,
        reply_to: Optional[str] = None,
        reference: Optional[Dict[str, Any]] = None,
        properties: Optional[Dict[str, Any]] = None,
    ) -> Dict[str, Any]:
        """A comment on a file, or a reply to ``reply_to``; returns it."""
        got = self._call(
            "create", profile=_profile(workspace, share), node=node, body=body,
            parent_id=reply_to, reference=reference, properties=properties,
        )
        return got["comment"]

    def list(self, node: Optional[str] = None, workspace: Optional[str] = None, *, share: Optional[str] = None, newest_first: bool = False) -> Iterator[Dict[str, Any]]:
        """The comments on ``node``, or every comment of the workspace or share."""
        call: Dict[str, Any] = {"profile": _profile(workspace, share), "sort": "desc" if newest_first else "asc"}
        if node is None:
            call["op"] = "list_all"
        else:
            call.update(op="list", node=node)
        return self._client.items({"comments": call})

    def edit(self, comment: str, body: str) -> Dict[str, Any]:
        return self._call("update", comment_id=comment, body=body)["comment"]

    def delete(self, *comments: str) -> None:
        """Deletes one comment, or several in one call."""
        if len(comments) == 1:
            self._call("delete", comment_id=comments[0])
        else:
            self._call("bulk_delete", comment_ids=list(comments))

    def react(self, comment: str, emoji: Optional[str]) -> Dict[str, Any]:
        """Sets the caller's reaction; ``None`` removes it."""
        if emoji is None:
            return self._call("unreact", comment_id=comment)["comment"]
        return self._call("react", comment_id=comment, emoji=emoji)["comment"]

    def attach(self, comment: str, *targets: str) -> Dict[str, Any]:
        if len(targets) == 1:
            return self._call("attach", comment_id=comment, target_id=targets[0])["comment"]
        return self._call("attach", comment_id=comment, target_ids=list(targets))["comment"]

    def attachments(self, comment: str) -> List[Dict[str, Any]]:
        return self._call("attachments", comment_id=comment)["attachments"]
