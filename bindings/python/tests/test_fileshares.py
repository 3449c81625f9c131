"""File Shares from Python against the local devserver: a member shares a
file with a password; an anonymous recipient downloads it with the password
and is refused without it; the preview's redirect is followed by the core
without credentials; grants are added and revoked. Then the other calls a
script reaches for beside them: a unified search and a version restore."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest

import fastio_core as fc
from fastio_core import Client

from conftest import workspace_of


@pytest.fixture(scope="module")
def shared(devserver: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    member = Client(devserver.api_key, base_url=devserver.base_url, timeout=60)
    ws = workspace_of(member, "fileshares")
    src = tmp_path_factory.mktemp("fs") / "report.pdf"
    src.write_bytes(bytes(i % 251 for i in range(300_000)))
    node = member.upload(src, workspace=ws).node_id
    anonymous = Client(None, base_url=devserver.base_url, timeout=60)
    return member, anonymous, ws, node, src.read_bytes()


def test_a_recipient_downloads_with_the_password_and_not_without(shared: Any, tmp_path: pathlib.Path) -> None:
    member, anonymous, ws, node, data = shared
    link = member.fileshares.create(ws, node, title="Report", password="open sesame", expires_in=3600)
    assert link["file"]["name"] == "report.pdf" and link["password_protected"] is True

    with pytest.raises(fc.FastioError.Api) as refused:
        anonymous.fileshares.details(link["id"])
    assert refused.value.status == 403
    out = tmp_path / "got.pdf"
    with pytest.raises(fc.FastioError.Api):
        anonymous.fileshares.download(link["id"], out, password="wrong")
    assert not out.exists() and not list(tmp_path.iterdir())

    details = anonymous.fileshares.details(link["id"], password="open sesame")
    assert details["effective_capability"] == "download"
    assert anonymous.fileshares.download(link["id"], out, password="open sesame") == len(data)
    assert out.read_bytes() == data
    version = anonymous.fileshares.versions(link["id"], password="open sesame")[0]["id"]
    old = tmp_path / "old.pdf"
    anonymous.fileshares.download(link["id"], old, password="open sesame", version=version)
    assert old.read_bytes() == data

    thumb = tmp_path / "thumb"
    assert anonymous.fileshares.preview(link["id"], "thumbnail", thumb, password="open sesame") == len(data)

    member.fileshares.update(link["id"], clear_password=True)
    anonymous.fileshares.download(link["id"], out)
    assert out.read_bytes() == data


def test_grants_listing_and_deletion(shared: Any) -> None:
    member, anonymous, ws, node, _ = shared
    link = member.fileshares.create(ws, node, access="named_people")
    member.fileshares.grant(link["id"], "view", email="pat+x@example.com")
    member.fileshares.grant(link["id"], "edit", user="1234567890123456789")
    assert {g.get("email") or g.get("user") for g in member.fileshares.grants(link["id"])} == {
        "pat+x@example.com",
        "1234567890123456789",
    }
    member.fileshares.revoke(link["id"], email="pat+x@example.com")
    assert [g["user"] for g in member.fileshares.grants(link["id"])] == ["1234567890123456789"]
    with pytest.raises(fc.FastioError.Api) as anon:
        anonymous.fileshares.details(link["id"])
    assert anon.value.status == 401
    assert link["id"] in [f["id"] for f in member.fileshares.list(ws)]
    member.fileshares.delete(link["id"])
    assert link["id"] not in [f["id"] for f in member.fileshares.list(ws)]


def test_bad_input_is_refused_before_sending(shared: Any) -> None:
    member, anonymous, ws, node, _ = shared
    with pytest.raises(fc.FastioError.InvalidInput):
        member.fileshares.create(ws, node, password="")
    with pytest.raises(fc.FastioError.InvalidInput):
        member.fileshares.create(ws, node, access="public")
    with pytest.raises(fc.FastioError.InvalidInput):
        anonymous.fileshares.grants("5000000000000000009")
    with pytest.raises(ValueError):
        member.fileshares.revoke("5000000000000000009")


def test_unified_search_walks_every_bucket(shared: Any) -> None:
    member, _, ws, node, _ = shared
    found = list(member.search("report", workspace=ws, page_size=1))
    assert {"bucket": "files", "id": node} in [{"bucket": f["bucket"], "id": f["id"]} for f in found]
    assert all(f["bucket"] in ("files", "metadata", "comments") for f in found)
    with pytest.raises(fc.FastioError.InvalidInput):
        list(member.search(" ", workspace=ws))


def test_a_version_is_restored_and_the_trash_undone(shared: Any, tmp_path: pathlib.Path) -> None:
    member, _, ws, _, _ = shared
    src = tmp_path / "draft.txt"
    src.write_bytes(b"one")
    node = member.upload(src, workspace=ws).node_id
    src.write_bytes(b"two, later")
    assert member.upload(src, workspace=ws).node_id == node
    p = {"workspace": ws}
    first = [v for v in member.call({"storage": {"op": "versions", "profile": p, "node": node}})["versions"] if v["size"] == 3][0]
    member.call({"storage": {"op": "restore_version", "profile": p, "node": node, "version_id": first["id"]}})
    member.download(node, tmp_path / "back.txt", workspace=ws)
    assert (tmp_path / "back.txt").read_bytes() == b"one"
    member.call({"storage": {"op": "trash", "profile": p, "node": node}})
    member.call({"storage": {"op": "restore", "profile": p, "node": node}})
    assert node in [n["id"] for n in member.list(ws)]
