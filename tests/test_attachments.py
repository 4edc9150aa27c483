"""证明材料: files filed with objections and voluntary registrations, on the real Neo4j.

- Uploaded with the GraphQL multipart request spec; accepted by their content (PDF, JPEG, PNG,
  OFD), never by their name; stored once by content under CREDITHUB_HOME/attachments and
  checked against their SHA-256 when read.
- Refused, naming the file and the reason in Chinese: a renamed program or web page, a file
  over 10 MB, more than 5 files; nothing is filed then.
- Downloaded at /attachments/{sha256}?of=<id> by whom the catalogue lets read them
  (operations.readAttachment / readVoluntaryAttachment): the enterprise, the department that
  decides, the credit office; another enterprise, another department and the public get 403
  with the catalogue's reason.
- The enterprise's forms on /account send real files (multipart, with the session's CSRF
  token); the department's due page links them.

The module files objections; the fixture graph is restored after it.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from authz.identity import PUBLIC, Consumer
from graph.attachments import AttachmentCorrupt, AttachmentStore, sniff
from graph.database import Database
from graph.model import Label, Rel
from hub.settings import Settings
from tests.conftest import ClientFor
from tests.fixtures import E1, R1, R3, R4, load_fixture_graph
from tests.lifecycle import (
    AGENCY,
    DEVELOPMENT,
    ENTERPRISE_E1,
    ENTERPRISE_E2,
    MARKET,
    OFFICE,
    TAXATION,
)
from tests.test_signin import browser, sign_in

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
HTML = b"<!doctype html><html><script>alert(1)</script></html>"

FILE = """mutation($key: String, $files: [Upload!]) {
  fileObjection(recordKey: $key, grounds: WRONG_DATA, statement: "金额有误",
                attachments: $files) {
    id attachments { fileName mediaType size sha256 url } } }"""

REGISTER = """mutation($files: [Upload!]) {
  registerVoluntary(kind: CERTIFICATE, title: "质量管理体系认证", detail: "ISO 9001",
                    truthful: true, statement: "承诺真实", attachments: $files) {
    id attachments { fileName sha256 url } } }"""


@pytest.fixture(scope="module", autouse=True)
async def restore_fixture_graph(db: Database) -> AsyncIterator[None]:
    """Objections change records; put the fixture graph back afterwards."""
    yield
    await db.write("MATCH (n) WHERE NOT n:Migration DETACH DELETE n")
    await load_fixture_graph(db)


def ofd() -> bytes:
    """A minimal OFD package: a ZIP with OFD.xml at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("OFD.xml", "<ofd:OFD/>")
        package.writestr("Doc_0/Document.xml", "<ofd:Document/>")
    return buffer.getvalue()


async def upload(
    client_for: ClientFor,
    who: Consumer,
    document: str,
    files: list[tuple[str, bytes, str]],
    **variables: Any,
) -> dict[str, Any]:
    """Post `document` as a GraphQL multipart request with `files` as `$files`."""
    operations = {"query": document, "variables": {**variables, "files": [None] * len(files)}}
    mapping = {str(n): [f"variables.files.{n}"] for n in range(len(files))}
    async with client_for(who) as http:
        response = await http.post(
            "/graphql",
            data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
            files={str(n): file for n, file in enumerate(files)},
            headers={"X-Credithub-Request": "1"},
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def download(client_for: ClientFor, who: Consumer, url: str) -> httpx.Response:
    async with client_for(who) as http:
        return await http.get(url)


@pytest.fixture(scope="module")
async def filed(client_for: ClientFor) -> dict[str, Any]:
    """E1's objection to R1 (decided by the market regulator) with a PDF and a PNG."""
    body = await upload(
        client_for,
        ENTERPRISE_E1,
        FILE,
        [("缴款凭证.pdf", PDF, "application/pdf"), ("现场照片.png", PNG, "image/png")],
        key=R1["key"],
    )
    assert "errors" not in body, body
    objection: dict[str, Any] = body["data"]["fileObjection"]
    return objection


async def test_files_are_stored_once_by_content_and_verified(
    client_for: ClientFor, filed: dict[str, Any], settings: Settings, db: Database
) -> None:
    assert [(a["fileName"], a["mediaType"], a["size"]) for a in filed["attachments"]] == [
        ("缴款凭证.pdf", "application/pdf", len(PDF)),
        ("现场照片.png", "image/png", len(PNG)),
    ]
    pdf_hash = hashlib.sha256(PDF).hexdigest()
    assert filed["attachments"][0]["sha256"] == pdf_hash
    assert filed["attachments"][0]["url"] == f"/attachments/{pdf_hash}?of={filed['id']}"

    # The same PDF again, with a voluntary registration under another name: one file on disk,
    # two attachments in the graph, the first one unchanged.
    again = await upload(client_for, ENTERPRISE_E1, REGISTER, [("认证证书.pdf", PDF, "x/y")])
    assert "errors" not in again, again
    assert again["data"]["registerVoluntary"]["attachments"][0]["sha256"] == pdf_hash
    # The store is the session's (other modules file attachments too): judge only these two
    # contents, and that nothing but content-named files is left.
    names = [p.name for p in settings.attachments_dir.rglob("*") if p.is_file()]
    png_hash = hashlib.sha256(PNG).hexdigest()
    assert names.count(pdf_hash) == 1 and names.count(png_hash) == 1, "each content stored once"
    assert all(re.fullmatch(r"[0-9a-f]{64}", name) for name in names), "no temporary file left"
    store = AttachmentStore(settings.attachments_dir)
    assert store.get(pdf_hash) == PDF
    rows = await db.read(
        f"MATCH (o)-[:{Rel.HAS_ATTACHMENT}]->(a:{Label.ATTACHMENT} {{sha256: $sha}}) "
        "RETURN a.fileName AS name, a.uploadedBy AS by ORDER BY name",
        {"sha": pdf_hash},
    )
    assert rows == [{"name": "缴款凭证.pdf", "by": E1}, {"name": "认证证书.pdf", "by": E1}]


def test_a_stored_file_is_never_overwritten_only_a_damaged_one_restored(tmp_path: Path) -> None:
    store = AttachmentStore(tmp_path / "attachments")
    sha = store.put(PDF)
    path = store.path_of(sha)
    first = path.stat()
    assert store.put(PDF) == sha
    again = path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
    path.chmod(0o600)
    path.write_bytes(b"%PDF-damaged")
    with pytest.raises(AttachmentCorrupt):
        store.get(sha)
    store.put(PDF)  # the same content submitted again restores the name's content
    assert store.get(sha) == PDF
    assert [p.name for p in path.parent.iterdir()] == [sha], "no temporary file left"
    with pytest.raises(ValueError):
        store.path_of("../../etc/passwd")


def test_the_kind_of_file_is_judged_by_its_content() -> None:
    assert sniff(PDF) == "application/pdf"
    assert sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF") == "image/jpeg"
    assert sniff(PNG) == "image/png"
    assert sniff(ofd()) == "application/ofd"
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as package:
        package.writestr("word/document.xml", "<w/>")
    for other in (EXE, HTML, plain_zip.getvalue(), b"PK\x03\x04 broken", b" %PDF-1.4"):
        assert sniff(other) is None


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("营业执照.pdf", EXE, "文件内容不是 PDF、JPEG、PNG 或 OFD 格式"),
        ("扫描件.png", HTML, "文件内容不是 PDF、JPEG、PNG 或 OFD 格式"),
        ("超大扫描件.pdf", PDF + b"\x00" * (10 * 1024 * 1024), "文件超过大小上限 10 MB"),
        ("空文件.pdf", b"", "文件为空"),
    ],
    ids=["renamed-exe", "renamed-html", "over-10-mb", "empty"],
)
async def test_a_refused_file_is_named_with_its_reason_and_nothing_is_filed(
    client_for: ClientFor, settings: Settings, name: str, content: bytes, reason: str
) -> None:
    before = await _objections(client_for)
    body = await upload(
        client_for,
        ENTERPRISE_E1,
        FILE,
        [("好的.pdf", PDF, "application/pdf"), (name, content, "application/pdf")],
        key=R3["key"],
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "ATTACHMENT_REFUSED"
    assert f"附件“{name}”未接收" in error["message"] and reason in error["message"], error
    assert body["data"] is None
    assert await _objections(client_for) == before, "nothing was filed"
    stored = {p.name for p in settings.attachments_dir.rglob("*") if p.is_file()}
    assert hashlib.sha256(content).hexdigest() not in stored


async def test_more_than_five_files_or_30_mb_together_are_refused(client_for: ClientFor) -> None:
    files = [(f"第{n}页.pdf", PDF + bytes([n]), "application/pdf") for n in range(6)]
    body = await upload(client_for, ENTERPRISE_E1, FILE, files, key=R3["key"])
    [error] = body["errors"]
    assert "附件未接收：本次 6 个文件，每次最多上传 5 个附件" in error["message"]
    # Within the hub's 32 MB request limit, but over 30 MB together.
    part = PDF + b"\x00" * (31 * 1024 * 1024 // 4 - len(PDF) - 1)
    files = [(f"第{n}册.pdf", part + bytes([n]), "application/pdf") for n in range(4)]
    body = await upload(client_for, ENTERPRISE_E1, FILE, files, key=R3["key"])
    [error] = body["errors"]
    assert "附件未接收：本次 4 个文件合计 31.0 MB，超过每次提交的上限 30 MB" in error["message"]


async def test_an_ofd_file_is_accepted(client_for: ClientFor) -> None:
    body = await upload(
        client_for, ENTERPRISE_E1, REGISTER, [("电子证照.ofd", ofd(), "application/octet-stream")]
    )
    assert "errors" not in body, body
    [attachment] = body["data"]["registerVoluntary"]["attachments"]
    assert attachment["fileName"] == "电子证照.ofd"


async def _objections(client_for: ClientFor) -> list[str]:
    async with client_for(ENTERPRISE_E1) as http:
        response = await http.post("/graphql", json={"query": "{ objections { id } }"})
    return sorted(o["id"] for o in response.json()["data"]["objections"])


async def test_the_deciding_department_and_the_credit_office_download_it(
    client_for: ClientFor, filed: dict[str, Any]
) -> None:
    url = filed["attachments"][0]["url"]
    for who in (ENTERPRISE_E1, MARKET, OFFICE):
        response = await download(client_for, who, url)
        assert response.status_code == 200, response.text
        assert response.content == PDF
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
        assert "%E7%BC%B4" in response.headers["content-disposition"]  # 缴, percent-encoded
        assert response.headers["x-content-type-options"] == "nosniff"
    # The department sees it with the objection it must decide.
    async with client_for(MARKET) as http:
        due = await http.post(
            "/graphql", json={"query": "{ objections { id attachments { fileName url } } }"}
        )
    [mine] = [o for o in due.json()["data"]["objections"] if o["id"] == filed["id"]]
    assert [a["fileName"] for a in mine["attachments"]] == ["缴款凭证.pdf", "现场照片.png"]


@pytest.mark.parametrize(
    ("who", "cited"),
    [
        (ENTERPRISE_E2, "operations.readAttachment.subject.ENTERPRISE = ['own']"),
        (DEVELOPMENT, "operations.readAttachment.subject.DEPARTMENT = ['decider']"),
        (AGENCY, "operations.readAttachment.kinds"),
        (PUBLIC, "operations.readAttachment.kinds"),
    ],
    ids=["another-enterprise", "another-department", "credit-agency", "public"],
)
async def test_others_are_refused_with_the_catalogues_reason(
    client_for: ClientFor, filed: dict[str, Any], who: Consumer, cited: str
) -> None:
    response = await download(client_for, who, filed["attachments"][0]["url"])
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "FORBIDDEN"
    assert cited in error["message"], error
    assert PDF not in response.content


async def test_a_voluntary_registrations_files_follow_its_own_rule(
    client_for: ClientFor,
) -> None:
    body = await upload(client_for, ENTERPRISE_E1, REGISTER, [("证书.png", PNG, "image/png")])
    url = body["data"]["registerVoluntary"]["attachments"][0]["url"]
    assert (await download(client_for, AGENCY, url)).status_code == 200  # who verifies it
    refused = await download(client_for, ENTERPRISE_E2, url)
    assert refused.status_code == 403
    assert "operations.readVoluntaryAttachment.subject.ENTERPRISE" in refused.text

    # An amendment is a new version with its own files; the earlier files stay with the item,
    # each downloaded as the version's it was filed with.
    first = body["data"]["registerVoluntary"]["id"]
    amended = await upload(
        client_for,
        ENTERPRISE_E1,
        """mutation($id: ID!, $files: [Upload!]) {
             amendVoluntary(id: $id, detail: "ISO 9001:2015, 复审通过", truthful: true,
                            statement: "承诺真实", attachments: $files) {
               id attachments { fileName url } } }""",
        [("复审证书.pdf", PDF, "application/pdf")],
        id=first,
    )
    assert "errors" not in amended, amended
    version = amended["data"]["amendVoluntary"]
    assert version["id"] != first
    assert [(a["fileName"], a["url"].split("?of=")[1]) for a in version["attachments"]] == [
        ("证书.png", first.replace("#", "%23")),
        ("复审证书.pdf", version["id"].replace("#", "%23")),
    ]
    for attachment in version["attachments"]:
        assert (await download(client_for, ENTERPRISE_E1, attachment["url"])).status_code == 200


async def test_a_repair_applications_files_go_to_the_department_that_decides_it(
    client_for: ClientFor,
) -> None:
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 32
    body = await upload(
        client_for,
        ENTERPRISE_E1,
        """mutation($key: String, $files: [Upload!]) {
             applyForRepair(recordKey: $key, proof: "已补充申报", commitment: "依法诚信经营",
                            attachments: $files) {
               id decider attachments { fileName mediaType url } } }""",
        [("完税证明.jpg", jpeg, "image/jpeg")],
        key=R4["key"],
    )
    assert "errors" not in body, body
    applied = body["data"]["applyForRepair"]
    assert applied["decider"] == TAXATION.org_code
    [attachment] = applied["attachments"]
    assert attachment["mediaType"] == "image/jpeg"
    got = await download(client_for, TAXATION, attachment["url"])
    assert got.status_code == 200 and got.content == jpeg
    other = await download(client_for, MARKET, attachment["url"])
    assert other.status_code == 403
    assert "非本部门提供或认定的信息" in other.json()["error"]["message"]


async def test_an_unknown_or_mismatched_attachment_is_not_found(
    client_for: ClientFor, filed: dict[str, Any]
) -> None:
    other = hashlib.sha256(b"not attached").hexdigest()
    response = await download(client_for, MARKET, f"/attachments/{other}?of={filed['id']}")
    assert response.status_code == 404
    assert (await download(client_for, MARKET, f"/attachments/{other}")).status_code == 400


async def test_a_stored_file_that_no_longer_matches_its_hash_is_not_served(
    client_for: ClientFor, settings: Settings
) -> None:
    content = PDF + b"% to be damaged\n"
    body = await upload(client_for, ENTERPRISE_E1, REGISTER, [("受损.pdf", content, "x")])
    attachment = body["data"]["registerVoluntary"]["attachments"][0]
    path = AttachmentStore(settings.attachments_dir).path_of(attachment["sha256"])
    path.chmod(0o600)
    path.write_bytes(content.replace(b"damaged", b"DAMAGED"))
    response = await download(client_for, ENTERPRISE_E1, attachment["url"])
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "ATTACHMENT_UNAVAILABLE"


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "the page has no CSRF token"
    return unescape(found.group(1))


async def test_the_account_form_sends_files_with_the_sessions_csrf_token(
    hub_app: Starlette, client_for: ClientFor
) -> None:
    scan = PDF + b"% form upload\n"
    async with browser(hub_app) as http:
        await sign_in(http, E1, next_path="/account/objections")
        page = await http.get("/account/objections")
        assert page.status_code == 200, page.text
        assert 'enctype="multipart/form-data"' in page.text
        assert 'type="file"' in page.text and "multiple" in page.text
        token = _csrf(page.text)
        form = {"target": f"record:{R3['key']}", "grounds": "WRONG_DATA", "statement": "有误"}
        files = [("attachments", ("整改凭证.pdf", scan, "application/pdf"))]
        # Without the token, or from another site, nothing is filed.
        forged = await http.post("/account/objections", data=form, files=files)
        assert forged.status_code == 403
        # A refused file: the form again, saying which file and why.
        refused = await http.post(
            "/account/objections",
            data={**form, "csrf_token": token},
            files=[("attachments", ("照片.jpg", HTML, "image/jpeg"))],
        )
        assert refused.status_code == 400
        assert "附件“照片.jpg”未接收" in refused.text
        done = await http.post(
            "/account/objections", data={**form, "csrf_token": token}, files=files
        )
        assert done.status_code == 303, done.text
        listed = await http.get("/account/objections")
    sha = hashlib.sha256(scan).hexdigest()
    link = re.search(rf'href="(/attachments/{sha}\?of=[^"]+)"', listed.text)
    assert link is not None and "整改凭证.pdf" in listed.text
    url = unescape(link.group(1))
    # The department that provided R3 decides: it sees the file on its due page, downloads it.
    async with client_for(DEVELOPMENT) as http:
        due = await http.get("/department/due")
        assert "整改凭证.pdf" in due.text
        got = await http.get(url)
    assert got.status_code == 200 and got.content == scan
