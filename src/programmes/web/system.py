"""Operational endpoints: health."""

from __future__ import annotations

from litestar import Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from programmes.domain import health
from programmes.web.guards import PUBLIC


@get("/health", opt=PUBLIC, cache_control=None, tags=["system"], summary="Service health")
async def health_check() -> Response[dict[str, str]]:
    """200 when the database answers, 503 when it does not."""
    if await health.database_ok():
        return Response({"status": "ok"}, status_code=HTTP_200_OK)
    return Response(
        {"status": "unavailable", "database": "unreachable"},
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
    )
