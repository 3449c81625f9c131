"""Members and invitations of workspaces, shares and orgs, reached as
``client.members``. Each method names one core call (``{"members": {"op":
...}}``); e-mail addresses go into the path encoded by the core."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Optional

from .caller import Caller



def _entity(workspace: Optional[str], share: Optional[str], org: Optional[str]) -> Dict[str, str]:
    given = [(k, v) for k, v in (("workspace", workspace), ("share", share), ("org", org)) if v is not None]
    if len(given) != 1:
        raise ValueError("give exactly one of workspace=, share= or org=")
    return {given[0][0]: given[0][1]}  # type: ignore[dict-item]


class Members:
    def __init__(self, client: Caller) -> None:
        self._client = client

    def _call(self, op: str, entity: Dict[str, str], **fields: Any) -> Any:
        body = {"op": op, "entity": entity, **{k: v for k, v in fields.items() if v is not None}}
        return self._client.call({"members": body})

    def list(self, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None) -> Iterator[Dict[str, Any]]:
        """Every member, page after page."""
        return self._client.items({"members": {"op": "list", "entity": _entity(workspace, share, org)}})

    def add(self, who: str, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None, permissions: str = "member") -> Dict[str, Any]:
        """Adds a user by id, or invites an e-mail address; returns the
        answer (a ``member`` or an ``invitation``)."""
        return self._call("add", _entity(workspace, share, org), member=who, permissions=permissions)

    def update(self, member: str, permissions: str, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None) -> Dict[str, Any]:
        return self._call("update", _entity(workspace, share, org), member_id=member, permissions=permissions)["member"]

    def details(self, member: str, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None) -> Dict[str, Any]:
        return self._call("details", _entity(workspace, share, org), member_id=member)["member"]

    def remove(self, member: str, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None) -> None:
        self._call("remove", _entity(workspace, share, org), member_id=member)

    def transfer_ownership(self, member: str, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None) -> Any:
        return self._call("transfer_ownership", _entity(workspace, share, org), member_id=member)

    def leave(self, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None) -> None:
        self._call("leave", _entity(workspace, share, org))

    def invitations(self, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None, state: Optional[str] = None) -> Any:
        return self._call("invitations", _entity(workspace, share, org), state=state)["invitations"]

    def revoke(self, invitation: str, workspace: Optional[str] = None, *, share: Optional[str] = None, org: Optional[str] = None) -> None:
        self._call("revoke_invitation", _entity(workspace, share, org), invitation_id=invitation)
