"""Shapes of JSON requests and responses (msgspec Structs): what the API promises."""

from __future__ import annotations

from msgspec import Struct


class StaffOut(Struct):
    id: int
    email: str
    name: str
    role: str
    kita_id: int | None
