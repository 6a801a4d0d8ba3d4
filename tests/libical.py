"""libical's own validator, as calendar servers and Evolution run it: parse a calendar
(`icalcomponent_new_from_string`), apply the RFC 5545/5546 restrictions
(`icalrestriction_check`) and count the problems both left behind as X-LIC-ERROR
properties (`icalcomponent_count_errors`).

Debian's `libical3` (`apt-get install libical-dev`; `.ci/run` installs it), called through
ctypes. Without it the tests that use it are skipped on a developer's machine and fail in
CI (`CI` set), like the browser tests.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os
import re

import pytest

_ERROR = re.compile(r"^X-LIC-ERROR[^:]*:(.*)$", re.MULTILINE)


@functools.lru_cache(maxsize=1)
def _library() -> ctypes.CDLL | None:
    for name in ("libical.so.3", ctypes.util.find_library("ical")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.icalcomponent_new_from_string.restype = ctypes.c_void_p
        lib.icalcomponent_new_from_string.argtypes = [ctypes.c_char_p]
        lib.icalrestriction_check.restype = ctypes.c_int
        lib.icalrestriction_check.argtypes = [ctypes.c_void_p]
        lib.icalcomponent_count_errors.restype = ctypes.c_int
        lib.icalcomponent_count_errors.argtypes = [ctypes.c_void_p]
        lib.icalcomponent_as_ical_string.restype = ctypes.c_char_p
        lib.icalcomponent_as_ical_string.argtypes = [ctypes.c_void_p]
        lib.icalcomponent_free.restype = None
        lib.icalcomponent_free.argtypes = [ctypes.c_void_p]
        return lib
    return None


def require_libical() -> ctypes.CDLL:
    lib = _library()
    if lib is None:
        message = "libical.so.3 is missing: apt-get install libical-dev"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return lib


def problems(body: bytes) -> list[str]:
    """Everything libical's validator finds wrong with a calendar; empty when it is valid."""
    lib = require_libical()
    component = lib.icalcomponent_new_from_string(body)
    if not component:
        return ["libical could not parse the calendar at all"]
    try:
        restrictions_hold = lib.icalrestriction_check(component) == 1
        count = lib.icalcomponent_count_errors(component)
        written = (lib.icalcomponent_as_ical_string(component) or b"").decode("utf-8")
    finally:
        lib.icalcomponent_free(component)
    unfolded = written.replace("\r\n ", "").replace("\n ", "")
    found = [match.strip() for match in _ERROR.findall(unfolded)]
    if count and not found:
        found = [f"{count} errors"]
    if not restrictions_hold and not found:
        found = ["the iTIP/RFC 5545 restrictions do not hold"]
    return found
