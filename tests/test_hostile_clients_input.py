"""Hostile clients' input (issue 20, items 3, 4, 5 and 7): every mistake a client can make is
answered as a coded client error, never an internal one, and a page on another site cannot make
a visitor's browser send the hub a request it would act on.

Items 3, 4 and 7 ask the hub over HTTP in-process (as tests/test_guards.py does); item 5 asks a
real `credithub serve` over a socket, as a browser would.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from authz.identity import Consumer, OrgKind
from authz.tokens import TokenConfig, mint
from graph.database import Connection
from hub.guards.cross_site import CrossSiteRequests
from hub.projection import encode_cursor
from tests.fixtures import B2, CONSENT_PURPOSE, E1, PERSON_SECRET
from tests.processes import free_port, hub_env, serving_hub

ROOT = Path(__file__).resolve().parent.parent
JSON = {"content-type": "application/json"}

RECORDS_AFTER = f"""query($after: String) {{
  enterprise(uscc: "{E1}") {{ records(first: 1, after: $after) {{
    edges {{ cursor }} pageInfo {{ endCursor hasNextPage }} }} }} }}"""


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def _raw(http: httpx.AsyncClient, body: bytes) -> httpx.Response:
    response = await http.post("/graphql", content=body, headers=JSON)
    assert response.status_code < 500 and "Traceback" not in response.text, response.text
    return response


def _http_error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The hub's HTTP error shape `{"error": {"code", "message"}}` with `status`."""
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert _has_chinese(error["message"]), error
    return error


def _only_error(response: httpx.Response) -> dict[str, Any]:
    """The one GraphQL error of a 200 answer, with a code and a Chinese message."""
    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] != "INTERNAL_ERROR", error
    assert _has_chinese(error["message"]), error
    return dict(error)


# --- item 3: internal errors from ordinary bad input ---------------------------------------


@pytest.mark.parametrize("where", ["variables", "query", "operationName", "key"])
async def test_a_lone_surrogate_is_refused_as_invalid_unicode(
    anon: httpx.AsyncClient, where: str
) -> None:
    document = "query Q($q: String!) { searchEnterprises(query: $q) { totalCount } }"
    bodies = {
        "variables": json.dumps({"query": document, "variables": {"q": "QX"}}).replace(
            "QX", "舞\\ud800"
        ),
        "query": json.dumps({"query": "{ __typename }"}).replace(
            "__typename", "__typename \\udfff"
        ),
        "operationName": json.dumps({"query": document, "operationName": "QX"}).replace(
            "QX", "Q\\ud800"
        ),
        "key": json.dumps({"query": document, "variables": {"q": "x"}, "extensions": {"k": 1}}),
    }
    body = bodies[where]
    if where == "key":
        body = body.replace('"k"', '"\\ud800"')
    assert "\\ud800" in body or "\\udfff" in body
    error = _http_error(await _raw(anon, body.encode()), 400)
    assert error["code"] == "INVALID_UNICODE"


async def test_a_paired_surrogate_is_a_character_and_is_searched(anon: httpx.AsyncClient) -> None:
    body = json.dumps(
        {
            "query": "query($q: String!) { searchEnterprises(query: $q) { totalCount } }",
            "variables": {"q": "舞钢😀"},
        }
    )  # json.dumps escapes 😀 as the pair \ud83d\ude00
    assert "\\ud83d\\ude00" in body
    answer = (await _raw(anon, body.encode())).json()
    assert "errors" not in answer, answer


async def test_an_integer_beyond_64_bits_is_no_unicode_problem(anon: httpx.AsyncClient) -> None:
    """The fast encoding check (orjson) refuses such a number too; only a real surrogate makes
    INVALID_UNICODE, so the number reaches GraphQL, which says what is wrong with it."""
    body = json.dumps(
        {
            "query": 'query($n: Int!) { searchEnterprises(query: "舞钢", first: $n) '
            "{ totalCount } }",
            "variables": {"n": 2**70},
        }
    )
    response = await _raw(anon, body.encode())
    assert response.status_code != 400 or "INVALID_UNICODE" not in response.text, response.text
    [error] = response.json()["errors"]
    assert "INVALID_UNICODE" not in json.dumps(error)
    assert "$n" in error["message"] or "Int" in error["message"], error


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


FORGED_CURSORS = {
    "offset 2^63": _cursor(f"offset:{2**63}"),
    "offset 2^64": _cursor(f"offset:{2**64}"),
    "offset beyond any list": _cursor(f"offset:{10**15 + 1}"),
    "plus sign": _cursor("offset:+3"),
    "full-width digit": _cursor("offset:３"),
    "Arabic-Indic digit": _cursor("offset:٣"),
    "leading zero": _cursor("offset:03"),
    "spaces": _cursor("offset: 3"),
    "underscore": _cursor("offset:1_0"),
    "negative": _cursor("offset:-1"),
    "padding left off": _cursor("offset:3").rstrip("="),
    "stray characters": _cursor("offset:3") + "!!",
    "another kind": _cursor("page:3"),
    "not base64": "zzz",
}


@pytest.mark.parametrize("cursor", FORGED_CURSORS.values(), ids=FORGED_CURSORS.keys())
async def test_a_forged_cursor_is_invalid_cursor(client: httpx.AsyncClient, cursor: str) -> None:
    body = json.dumps({"query": RECORDS_AFTER, "variables": {"after": cursor}}).encode()
    error = _only_error(await _raw(client, body))
    assert error["extensions"]["code"] == "INVALID_CURSOR"


async def test_the_cursors_the_hub_hands_out_still_page(client: httpx.AsyncClient) -> None:
    body = json.dumps({"query": RECORDS_AFTER}).encode()
    first = (await _raw(client, body)).json()["data"]["enterprise"]["records"]
    end = first["pageInfo"]["endCursor"]
    assert first["pageInfo"]["hasNextPage"] and end == first["edges"][0]["cursor"]
    body = json.dumps({"query": RECORDS_AFTER, "variables": {"after": end}}).encode()
    second = (await _raw(client, body)).json()
    assert "errors" not in second, second
    # An offset cursor of an older hub (keyset cursors since issue 18) continues at its offset.
    body = json.dumps({"query": RECORDS_AFTER, "variables": {"after": encode_cursor(0)}}).encode()
    old = (await _raw(client, body)).json()
    assert "errors" not in old, old
    assert old["data"] == second["data"] and second["data"]["enterprise"]["records"]["edges"] != [
        {"cursor": end}
    ]


# --- item 4: every error a client can cause carries a code and a Chinese message ------------

CLIENT_MISTAKES: dict[str, tuple[dict[str, Any], str]] = {
    "syntax": ({"query": "{ enterprise("}, "GRAPHQL_PARSE_FAILED"),
    "unknown field": ({"query": "{ nope }"}, "GRAPHQL_VALIDATION_FAILED"),
    "Date literal": (
        {
            "query": f'{{ enterprise(uscc: "{E1}") {{ records(decidedFrom: "2026-13-01") '
            "{ totalCount } } }"
        },
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "Date variable": (
        {
            "query": f'query($d: Date) {{ enterprise(uscc: "{E1}") '
            "{ records(decidedFrom: $d) { totalCount } } }",
            "variables": {"d": "2026-02-30"},
        },
        "BAD_USER_INPUT",
    ),
    "null in a non-null list (variable)": (
        {
            "query": f'query($k: [RecordKind!]) {{ enterprise(uscc: "{E1}") '
            "{ records(kinds: $k) { totalCount } } }",
            "variables": {"k": ["PENALTY", None]},
        },
        "BAD_USER_INPUT",
    ),
    "null in a non-null list (literal)": (
        {"query": f'{{ enterprise(uscc: "{E1}") {{ records(kinds: [null]) {{ totalCount }} }} }}'},
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "missing variable": (
        {"query": "query($q: String!) { searchEnterprises(query: $q) { totalCount } }"},
        "BAD_USER_INPUT",
    ),
    "introspection too deep": (
        {
            "query": "{ __schema { types { fields { type { fields { type { fields { type "
            "{ fields { name } } } } } } } } } }"
        },
        "GRAPHQL_VALIDATION_FAILED",
    ),
    "invalid after cursor": (
        {"query": RECORDS_AFTER, "variables": {"after": "not-a-cursor"}},
        "INVALID_CURSOR",
    ),
}


@pytest.mark.parametrize(
    ("body", "code"), CLIENT_MISTAKES.values(), ids=list(CLIENT_MISTAKES.keys())
)
async def test_each_client_mistake_has_a_code_and_chinese_words(
    client: httpx.AsyncClient, anon: httpx.AsyncClient, body: dict[str, Any], code: str
) -> None:
    for http in (client, anon):
        error = _only_error(await _raw(http, json.dumps(body).encode()))
        assert error["extensions"]["code"] == code, error


async def test_validation_aborted_is_coded_too(client: httpx.AsyncClient) -> None:
    many = "{ " + " ".join(f"x{i}" for i in range(120)) + " }"
    answer = (await _raw(client, json.dumps({"query": many}).encode())).json()
    aborted = answer["errors"][-1]
    assert "Validation aborted." in aborted["message"]
    assert all(e["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" for e in answer["errors"])
    assert all(_has_chinese(e["message"]) for e in answer["errors"])


# --- item 7: ambiguous bodies and out-of-range page sizes ---------------------------------


async def test_a_member_named_twice_is_refused(anon: httpx.AsyncClient) -> None:
    twice = b'{"query": "{ __typename }", "query": "{ departments { code } }"}'
    error = _http_error(await _raw(anon, twice), 400)
    assert error["code"] == "DUPLICATE_KEY" and "'query'" in error["message"]
    nested = (
        b'{"query": "query($q: String!) { searchEnterprises(query: $q) { totalCount } }", '
        b'"variables": {"q": "a", "q": "b"}}'
    )
    assert _http_error(await _raw(anon, nested), 400)["code"] == "DUPLICATE_KEY"


async def test_a_get_parameter_named_twice_is_refused(anon: httpx.AsyncClient) -> None:
    response = await anon.get(
        "/graphql", params=[("query", "{ __typename }"), ("query", "{ departments { code } }")]
    )
    assert _http_error(response, 400)["code"] == "DUPLICATE_KEY"


@pytest.mark.parametrize("first", [0, -1, -100, 101, 1000])
async def test_a_page_size_out_of_range_is_refused(client: httpx.AsyncClient, first: int) -> None:
    document = (
        f'{{ enterprise(uscc: "{E1}") {{ records(first: {first}) {{ edges {{ cursor }} }} }} }}'
    )
    error = _only_error(await _raw(client, json.dumps({"query": document}).encode()))
    assert error["extensions"]["code"] == "INVALID_ARGUMENT"
    assert "1 到 100" in error["message"]
    search = 'query($n: Int) { searchEnterprises(query: "舞钢", first: $n) { totalCount } }'
    body = json.dumps({"query": search, "variables": {"n": first}}).encode()
    assert _only_error(await _raw(client, body))["extensions"]["code"] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("first", [1, 100])
async def test_the_page_sizes_at_the_ends_of_the_range_are_served(
    client: httpx.AsyncClient, first: int
) -> None:
    document = (
        f'{{ enterprise(uscc: "{E1}") {{ records(first: {first}) {{ edges {{ cursor }} }} }} }}'
    )
    answer = (await _raw(client, json.dumps({"query": document}).encode())).json()
    assert "errors" not in answer, answer
    assert 1 <= len(answer["data"]["enterprise"]["records"]["edges"]) <= first


# --- item 5: cross-site requests, against a real hub over a socket -------------------------

SECRET = "hostile-clients-test-secret-of-at-least-32-bytes!"
BANK = Consumer(subject="loan-officer", org_kind=OrgKind.BANK, org_code=B2, purpose=CONSENT_PURPOSE)
UPLOAD = """mutation($file: Upload!) { submitFeed(file: $file, fileName: "许可.csv") {
  batch { id } } }"""


@pytest.fixture(scope="module")
def hub_url(
    neo4j_connection: Connection, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A real `credithub serve` on a free loopback port, on the suite's Neo4j."""
    port = free_port()
    env = hub_env(
        neo4j_connection,
        tmp_path_factory.mktemp("hostile-hub"),
        CREDITHUB_JWT_SECRET=SECRET,
        CREDITHUB_PERSON_KEY_SECRET=PERSON_SECRET.decode(),
        CREDITHUB_RATE_ORG_PER_MINUTE="0",
        CREDITHUB_RATE_PUBLIC_PER_MINUTE="0",
    )
    with serving_hub(port, env, ROOT) as url:
        yield url


def _bank() -> dict[str, str]:
    token = mint(TokenConfig(hs256_secret=SECRET.encode()), BANK, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


def _multipart(
    url: str, document: str, *, headers: dict[str, str], with_file: bool
) -> httpx.Response:
    """A multipart POST as an HTML form with `enctype="multipart/form-data"` sends it (with a
    file input, or without), plus `headers`, which a script could add but a form cannot."""
    operations = {"query": document, "variables": {"file": None} if with_file else {}}
    fields = {
        "operations": json.dumps(operations),
        "map": json.dumps({"0": ["variables.file"]} if with_file else {}),
    }
    boundary = "----formboundary7MA4YWxkTrZu0gW"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    if with_file:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="x.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n".encode()
            + "许可编号\n1\n".encode("gbk")
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return httpx.post(
        f"{url}/graphql",
        content=b"".join(parts),
        headers={**headers, "content-type": f"multipart/form-data; boundary={boundary}"},
        timeout=30,
    )


@pytest.mark.parametrize("with_file", [False, True], ids=["no file", "a file"])
@pytest.mark.parametrize("who", ["public", "bank"])
def test_multipart_without_the_preflight_header_is_refused(
    hub_url: str, with_file: bool, who: str
) -> None:
    headers = _bank() if who == "bank" else {}
    for document in ("mutation { __typename }", UPLOAD, "{ __typename }"):
        if document == UPLOAD and not with_file:
            continue
        response = _multipart(hub_url, document, headers=headers, with_file=with_file)
        assert _http_error(response, 400)["code"] == "PREFLIGHT_REQUIRED"
    # Not a mistake of the body: a cross-site form sending nothing readable is refused as well.
    form = httpx.post(
        f"{hub_url}/graphql",
        content=b"--x\r\nbroken",
        headers={**headers, "content-type": "multipart/form-data; boundary=x"},
    )
    assert _http_error(form, 400)["code"] == "PREFLIGHT_REQUIRED"


@pytest.mark.parametrize("header", ["X-Credithub-Request", "Apollo-Require-Preflight"])
def test_multipart_with_the_header_but_no_file_is_refused(hub_url: str, header: str) -> None:
    response = _multipart(
        hub_url, "mutation { __typename }", headers={header: "1"}, with_file=False
    )
    assert _http_error(response, 400)["code"] == "UPLOAD_REQUIRED"
    empty_header = _multipart(
        hub_url, "mutation { __typename }", headers={header: ""}, with_file=False
    )
    assert _http_error(empty_header, 400)["code"] == "PREFLIGHT_REQUIRED"


@pytest.mark.parametrize("header", ["X-Credithub-Request", "Apollo-Require-Preflight"])
def test_an_upload_with_the_header_reaches_graphql(hub_url: str, header: str) -> None:
    # The bank may not submit feeds: FORBIDDEN is GraphQL's answer, so the request passed the
    # cross-site and multipart rules and the upload was parsed (a department's upload itself
    # is tests/test_feeds_api.py's).
    response = _multipart(hub_url, UPLOAD, headers={**_bank(), header: "1"}, with_file=True)
    assert response.status_code == 200, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"


def test_the_forms_a_cross_site_page_can_send_are_not_graphql(hub_url: str) -> None:
    for content_type in ("application/x-www-form-urlencoded", "text/plain"):
        response = httpx.post(
            f"{hub_url}/graphql",
            content=b'{"query": "mutation { __typename }"}',
            headers={"content-type": content_type},
        )
        assert response.status_code == 415, response.text
    mutation_by_get = httpx.get(f"{hub_url}/graphql", params={"query": "mutation { __typename }"})
    assert mutation_by_get.status_code == 400


async def test_no_cookie_reaches_graphql_without_the_header() -> None:
    """A GraphQL operation never runs on a cookie that a cross-site page could have made the
    browser send; the site's pages do get the session cookie (their forms carry CSRF tokens,
    hub/signin/csrf.py)."""

    async def cookies(request: Request) -> JSONResponse:
        return JSONResponse({"cookie": request.headers.get("cookie")})

    inner = Starlette(
        routes=[
            Route("/graphql", cookies, methods=["GET", "POST"]),
            Route("/account", cookies, methods=["GET", "POST"]),
        ]
    )
    transport = httpx.ASGITransport(app=CrossSiteRequests(inner))
    async with httpx.AsyncClient(transport=transport, base_url="http://hub.test") as http:
        for method in ("GET", "POST"):
            bare = await http.request(method, "/graphql", headers={"Cookie": "session=s"})
            assert bare.json() == {"cookie": None}
            marked = await http.request(
                method, "/graphql", headers={"Cookie": "session=s", "X-Credithub-Request": "1"}
            )
            assert marked.json() == {"cookie": "session=s"}
            page = await http.request(method, "/account", headers={"Cookie": "session=s"})
            assert page.json() == {"cookie": "session=s"}


async def test_no_cookie_reaches_a_websocket_either() -> None:
    """A browser opens a WebSocket from any site with the hub's cookies and cannot add the
    header: a WebSocket transport added later never sees a cookie."""
    seen: list[dict[bytes, bytes]] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(dict(scope["headers"]))

    async def receive() -> Message:
        return {"type": "websocket.connect"}

    async def send(message: Message) -> None:
        pass

    handshake = {"type": "websocket", "path": "/ws", "headers": [(b"cookie", b"session=s")]}
    await CrossSiteRequests(inner)(handshake, receive, send)
    assert seen == [{}]
