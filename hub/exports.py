"""File downloads beside the GraphQL endpoint: a batch's quarantine as CSV for its supplier.

A department without the command line fixes its refused rows in Excel: it downloads
``/feeds/{batch}/quarantine.csv`` with its token, corrects the cells and resends the rows.
Who may download is the same rule as the `quarantine` query (the sharing catalogue's
``operations.readQuarantine``: the supplier itself, or the credit office).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from authz import policy
from authz.identity import Consumer
from hub.kernel import Kernel, asker
from loaders.batches import export_quarantine_csv, get_batch, list_quarantine

__all__ = ["quarantine_csv"]

READ_QUARANTINE = "readQuarantine"


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def quarantine_csv(request: Request) -> Response:
    """``GET /feeds/{batch}/quarantine.csv``: the refused rows, UTF-8 with BOM for Excel."""
    consumer: Consumer = asker(request)
    kernel: Kernel = request.app.state.kernel
    db = kernel.db
    batch = request.path_params["batch"]
    catalogue = kernel.catalogue
    if not policy.permit_either(catalogue, consumer, READ_QUARANTINE).allowed:
        return _refusal(403, "FORBIDDEN", "只有报送单位可下载隔离数据 (suppliers only)")
    info = await get_batch(db, batch)
    if info is None:
        return _refusal(404, "NOT_FOUND", "没有该批次 (no such batch)")
    own = info.supplier == consumer.org_code
    if not own and not policy.permit(catalogue, consumer, READ_QUARANTINE, on_behalf=True).allowed:
        return _refusal(403, "FORBIDDEN", "只能下载本单位的批次 (your own batches only)")
    text = export_quarantine_csv(info, await list_quarantine(db, batch))
    return Response(
        ("\ufeff" + text).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{batch}-quarantine.csv"'},
    )
