"""KiTas: the partner kindergartens."""

from __future__ import annotations

from programmes.domain.errors import N_, NotFound
from programmes.domain.types import id_from_text
from programmes.tables import Kita


async def kita_id_for(reference: str) -> int:
    """A KiTa named by its id or its exact name (as typed on the command line)."""
    reference = reference.strip()
    query = Kita.select(Kita.id)
    kita_id = id_from_text(reference)
    if kita_id is not None:
        row = await query.where(Kita.id == kita_id).first()
    else:
        row = await query.where(Kita.name == reference).first()
    if row is None:
        raise NotFound(N_("There is no KiTa %(kita)s."), field="kita", kita=reference)
    return int(row["id"])
