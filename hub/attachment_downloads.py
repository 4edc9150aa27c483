"""``GET /attachments/{sha256}?of=<id>``: one 证明材料 file of an objection, a repair
application or a voluntary registration.

Whoever asks — by bearer token or a signed-in session — is decided by the `attachment` query
(hub/api/attachments_api.py) run through `Kernel.execute`: the sharing catalogue's
`operations.readAttachment` / `readVoluntaryAttachment` answer, the request is audited like any
other, and a refusal is a 403 that cites the catalogue. Only then is the file read from the
store, its SHA-256 checked again, and sent as a download (never rendered inline).
"""

from __future__ import annotations

import asyncio
from typing import Final
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from authz.identity import Consumer
from graph.attachments import AttachmentCorrupt, AttachmentStore
from hub.kernel import Kernel, asker

__all__ = ["attachment_routes"]

QUERY: Final = """query Attachment($sha256: String!, $of: ID!) {
  attachment(sha256: $sha256, of: $of) { fileName mediaType size sha256 } }"""

_STATUS: Final = {"FORBIDDEN": 403, "NOT_FOUND": 404}

HEADERS: Final = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Vary": "Authorization, Cookie",
}


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=HEADERS
    )


def attachment_routes(kernel: Kernel) -> list[Route]:
    """The download route on the hub's kernel."""
    store = AttachmentStore(kernel.settings.attachments_dir)

    async def download(request: Request) -> Response:
        consumer: Consumer = asker(request)
        sha256 = request.path_params["sha256"].lower()
        owner = request.query_params.get("of", "")
        if not owner:
            return _refusal(400, "INVALID_ARGUMENT", "缺少参数 of (the submission's id)")
        execution = await kernel.execute(
            consumer,
            QUERY,
            {"sha256": sha256, "of": owner},
            action="read_attachment",
            detail=f"{owner}:{sha256}",
        )
        if execution.errors:
            error = execution.errors[0]
            code = str((error.extensions or {}).get("code", "BAD_REQUEST"))
            return _refusal(_STATUS.get(code, 400), code, error.message)
        found = (execution.data or {}).get("attachment") or {}
        try:
            content = await asyncio.to_thread(store.get, sha256)
        except (FileNotFoundError, AttachmentCorrupt, ValueError):
            return _refusal(
                500, "ATTACHMENT_UNAVAILABLE", "附件文件缺失或已损坏，请联系信用管理部门"
            )
        name = str(found.get("fileName") or sha256)
        return Response(
            content,
            media_type=str(found.get("mediaType") or "application/octet-stream"),
            headers={
                **HEADERS,
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
                "ETag": f'"{sha256}"',
            },
        )

    return [Route("/attachments/{sha256}", download, methods=["GET"])]
