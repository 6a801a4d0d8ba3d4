"""The ceiling for bench/feeds.py: a bare Litestar app that serves fixed bytes.

`BENCH_BODY_FILE` names a file with the feed's bytes and `BENCH_ETAG` its ETag. Routes:
`/feed` (the bytes, as text/calendar), `/feed` with a matching If-None-Match (304), and
`/ok`. Served by `python bench/bare_app.py PORT` exactly as `programmes serve` serves the
real app (uvicorn, uvloop, httptools, the same log config, no access log).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import uvicorn
from litestar import Litestar, Request, get
from litestar.response.base import ASGIResponse

from programmes.logging_config import uvicorn_log_config

BODY = Path(os.environ.get("BENCH_BODY_FILE", "/dev/null")).read_bytes()
ETAG = os.environ.get("BENCH_ETAG", '"x"')
HEADERS = {"etag": ETAG, "content-type": "text/calendar; charset=utf-8"}


@get("/feed")
async def feed(request: Request) -> ASGIResponse:  # type: ignore[type-arg]
    if request.headers.get("if-none-match") == ETAG:
        return ASGIResponse(status_code=304, headers={"etag": ETAG})
    return ASGIResponse(body=BODY, headers=HEADERS)


@get("/ok")
async def ok() -> bytes:
    return b"ok"


app = Litestar([feed, ok])

if __name__ == "__main__":
    uvicorn.run(
        "bare_app:app",
        host="127.0.0.1",
        port=int(sys.argv[1]),
        workers=1,
        loop="uvloop",
        http="httptools",
        log_config=uvicorn_log_config(),
        access_log=False,
    )
