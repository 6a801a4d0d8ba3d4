"""Public pages (no personal data, no sign-in)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from programmes.web.guards import PUBLIC
from programmes.web.pages import page


@get("/", opt=PUBLIC, include_in_schema=False)
async def home(request: Request[Any, Any, Any]) -> Template:
    return page(request, "public/home.html")
