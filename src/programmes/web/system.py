"""Operational endpoints: health."""

from __future__ import annotations

from litestar import Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from programmes import health
from programmes.web.guards import PUBLIC

#: A probe neither signs in nor submits forms: no session lookup, no CSRF cookie.
HEALTH_OPT = {**PUBLIC, "skip_authentication": True, "exclude_from_csrf": True}


@get("/health", opt=HEALTH_OPT, cache_control=None, tags=["system"], summary="Service health")
async def health_check() -> Response[dict[str, str]]:
    """200 when the database answers, 503 when it does not. Load balancers call it every
    few seconds, so it costs one trivial query and sets no cookie."""
    if await health.database_ok():
        return Response({"status": "ok"}, status_code=HTTP_200_OK)
    return Response(
        {"status": "unavailable", "database": "unreachable"},
        status_code=HTTP_503_SERVICE_UNAVAILABLE,
    )
