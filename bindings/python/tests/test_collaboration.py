"""Notes, comments and members from Python against the local devserver, each
in a few lines, as the README shows them."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

import fastio_core as fc
from fastio_core import Client, NoteConflict

from conftest import workspace_of


@pytest.fixture(scope="module")
def env(devserver: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    client = Client(devserver.api_key, base_url=devserver.base_url, timeout=60)
    ws = workspace_of(client, "collab")
    src = tmp_path_factory.mktemp("collab") / "review.pdf"
    src.write_bytes(b"%PDF-1.4 review")
    return client, ws, client.upload(src, workspace=ws).node_id


def test_a_note_is_written_read_and_guarded_by_its_version(env: Any) -> None:
    client, ws, _ = env
    node = client.notes.create("Plan.md", "# Plan\n- ship", workspace=ws)
    text, note = client.notes.read(node["id"], workspace=ws)
    assert text == "# Plan\n- ship" and note["type"] == "note"
    first = note["version"]
    second = client.notes.update(node["id"], workspace=ws, content="# Plan v2", if_version=first)
    assert second["version"] != first
    with pytest.raises(NoteConflict) as lost:
        client.notes.update(node["id"], workspace=ws, content="# stale", if_version=first)
    assert lost.value.current["version_id"] == second["version"]
    assert lost.value.current["content"] == "# Plan v2"
    assert client.notes.read(node["id"], workspace=ws, version=first)[0] == "# Plan\n- ship"
    with pytest.raises(fc.FastioError.InvalidInput):
        client.notes.create("Plan.txt", "x", workspace=ws)


def test_comments_reply_react_list_and_delete(env: Any) -> None:
    client, ws, node = env
    c = client.comments.add(node, "Check the totals on page 2", workspace=ws, reference={"page": 2})
    reply = client.comments.add(node, "Done", workspace=ws, reply_to=c["id"])
    assert reply["parent_id"] == c["id"] and c["reference"] == {"page": 2}
    assert client.comments.react(c["id"], "👍")["reactions"] == [{"emoji": "👍", "count": 1}]
    assert client.comments.react(c["id"], None)["reactions"] == []
    assert client.comments.edit(c["id"], "Check page 3")["body"] == "Check page 3"
    assert [x["id"] for x in client.comments.list(node, workspace=ws)] == [c["id"], reply["id"]]
    assert [x["id"] for x in client.comments.list(node, workspace=ws, newest_first=True)] == [reply["id"], c["id"]]
    assert {x["id"] for x in client.comments.list(workspace=ws)} >= {c["id"], reply["id"]}
    other = client.comments.add(node, "another", workspace=ws)
    client.comments.delete(c["id"], other["id"])
    assert list(client.comments.list(node, workspace=ws)) == []
    with pytest.raises(fc.FastioError.InvalidInput):
        client.comments.add(node, "  ", workspace=ws)


def test_a_teammate_is_invited_joins_and_is_managed(env: Any, devserver: Any) -> None:
    client, ws, _ = env
    owner = next(iter(client.members.list(ws)))
    assert owner["permissions"] == "owner"
    invited = client.members.add("pat+team@example.com", ws, permissions="admin")["invitation"]
    assert [i["email"] for i in client.members.invitations(ws, state="pending")] == ["pat+team@example.com"]
    # The invitee follows the mailed link (this server shows the key instead of mailing it).
    joined = client.call({"members": {"op": "answer_invitation", "workspace_id": ws,
                                      "invitation_key": invited["invitation_key"], "action": "accept"}})["member"]
    assert joined["email"] == "pat+team@example.com" and joined["permissions"] == "admin"
    assert [m["email"] for m in client.members.list(ws)] == ["dev@localhost", "pat+team@example.com"]
    assert client.members.update(joined["id"], "guest", ws)["permissions"] == "guest"
    assert client.members.details(joined["id"], ws)["permissions"] == "guest"
    with pytest.raises(fc.FastioError.Api) as owner_stays:
        client.members.leave(ws)
    assert owner_stays.value.status == 403
    client.members.remove(joined["id"], ws)
    assert [m["email"] for m in client.members.list(ws)] == ["dev@localhost"]
    again = client.members.add("sam@example.com", ws)["invitation"]
    client.members.revoke(again["id"], ws)
    assert client.members.invitations(ws, state="pending") == []
