"""The publication rule's table, written out independently of its code, and every
combination of what it reads (run status × programme status × public flag × kind)."""

from __future__ import annotations

import itertools

from programmes.vocabulary import ProgrammeKind, PublicationStatus

STATUSES = list(PublicationStatus)
COMBINATIONS = list(itertools.product(STATUSES, STATUSES, (True, False), list(ProgrammeKind)))

#: The table of `publication`'s docstring: which statuses (of run and programme) each rule shows.
EXPECTED_STATUSES = {
    "listed": {"published", "cancelled"},
    "registration": {"published"},
    "private feed": {"published", "cancelled", "archived"},
    "enrolled": {"draft", "published", "cancelled", "archived"},
}
PUBLIC_ONLY = {"listed": True, "registration": True, "private feed": False, "enrolled": False}


def expected(
    name: str,
    run: PublicationStatus,
    programme: PublicationStatus,
    is_public: bool,
    kind: ProgrammeKind,
) -> bool:
    statuses = EXPECTED_STATUSES[name]
    public = is_public and kind is not ProgrammeKind.rucksack
    return run in statuses and programme in statuses and (public or not PUBLIC_ONLY[name])


def combination_id(combination: tuple[object, ...]) -> str:
    run, programme, is_public, kind = combination
    return f"run-{run}-programme-{programme}-{'public' if is_public else 'internal'}-{kind}"
