"""A minimal HTTP/1.1 keep-alive client for the timed requests of the benchmarks.

Why not httpx: on the 2-core bench machine the client shares the cores with the hub, the peer
and Neo4j, so whatever the client spends per request is taken from the servers being compared.
httpx measured 2.1–2.3 ms of CPU per GraphQL request (bench/journeys.py's CPU table, 8
clients), more than the raw side's driver and Neo4j together; this client spends a fraction of
that. It speaks just what the benchmarks send — POST of a JSON body, answers with
Content-Length or chunked bodies, keep-alive — over asyncio streams, one request per
connection at a time, idle connections reused. Anything else fails loudly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson


class HttpError(Exception):
    """The server's answer could not be read (closed early, malformed, timed out)."""


@dataclass(frozen=True)
class Answer:
    """A status and a body."""

    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return orjson.loads(self.body)

    @property
    def text(self) -> str:
        """The body as text (for error messages)."""
        return self.body.decode("utf-8", errors="replace")


@dataclass
class LeanClient:
    """Keep-alive connections to one origin (``http://host:port``)."""

    base_url: str
    timeout: float = 60.0
    _idle: dict[tuple[str, int], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]] = field(
        default_factory=dict
    )

    async def post_json(
        self, url: str, payload: Any, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """POST `payload` as JSON to `url` (absolute, or a path on the base URL)."""
        target = url if "://" in url else self.base_url + url
        parts = urlsplit(target)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        body = orjson.dumps(payload)
        head = [
            f"POST {parts.path or '/'} HTTP/1.1",
            f"Host: {host}:{port}",
            "Content-Type: application/json",
            "Accept: application/json",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        async with asyncio.timeout(self.timeout):
            reader, writer = await self._connection(host, port)
            try:
                writer.write(request)
                answer, keep = await _read_answer(reader)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                writer.close()
                raise HttpError(f"{type(error).__name__}: {error}") from None
            except BaseException:
                writer.close()
                raise
        if keep:
            self._idle.setdefault((host, port), []).append((reader, writer))
        else:
            writer.close()
        return answer

    async def _connection(
        self, host: str, port: int
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        idle = self._idle.get((host, port), [])
        while idle:
            reader, writer = idle.pop()
            if not writer.is_closing() and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(host, port)

    async def aclose(self) -> None:
        """Close the idle connections."""
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """One response: (answer, whether the connection may be reused)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x status line: {lines[0]!r}")
    status = int(rest.split(" ", 1)[0])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent to us
                break
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
    elif "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    else:
        body = await reader.read()  # delimited by the server closing
        return Answer(status, body), False
    keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
    return Answer(status, body), keep
