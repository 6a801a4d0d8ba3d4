"""Constrained types shared by the domain's inputs (decoded and checked by msgspec)."""

from __future__ import annotations

from typing import Annotated

import msgspec

#: Largest id the database's INTEGER columns hold on both engines.
MAX_ID = 2_147_483_647

#: A row id as clients send it: positive and within the database's range.
Id = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
