"""Stored words shown to people: marked here for translation, looked up in templates with
`_(value)` (e.g. a programme's kind or a cohort's status)."""

from __future__ import annotations

from programmes.domain.errors import N_

LABELS = (
    N_("rucksack"),
    N_("training"),
    N_("info_event"),
    N_("draft"),
    N_("published"),
    N_("cancelled"),
    N_("archived"),
    N_("scheduled"),
    N_("confirmed"),
    N_("waiting"),
    N_("new"),
    N_("unchanged"),
    N_("updated"),
    N_("past"),
    N_("present"),
    N_("excused"),
    N_("absent"),
    # how consent was given (`vocabulary.ConsentMethod`)
    N_("online"),
    N_("paper"),
    N_("verbal"),
)
