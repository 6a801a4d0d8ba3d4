"""Staff pages for KiTas, programmes and cohorts. Everyone on staff reads what is theirs;
coordinators get the forms."""

from __future__ import annotations

from datetime import datetime, time
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Template

from programmes.domain.access import Staff
from programmes.domain.catalogue import entries
from programmes.domain.catalogue import translations as texts
from programmes.domain.catalogue.entries import CohortInput, CohortView, ProgrammeInput
from programmes.domain.errors import N_
from programmes.domain.planning import org_closures, sessions
from programmes.domain.planning.recurrence import to_berlin
from programmes.web.confirm import confirmation, confirmed
from programmes.web.deps import PathId, QueryId
from programmes.web.forms import (
    Form,
    checkbox,
    int_list,
    optional_date,
    optional_int,
    required_int,
    submit,
    text,
)
from programmes.web.guards import requires_coordinator, requires_staff
from programmes.web.notices import done
from programmes.web.pages import page

_MIDNIGHT = time(0, 0)
_LAST_MINUTE = time(23, 59)
#: Monday first, as `date.weekday()` counts (translated in templates).
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


class KitaPages(Controller):
    path = "/staff/kitas"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def list_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]
    ) -> Template:
        return page(request, "staff/kitas.html", **await _kitas_context(staff))

    @post("/", guards=[requires_coordinator])
    async def create(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            kita = await entries.create_kita(
                staff=staff, name=text(form, "name"), address=text(form, "address"), now=now
            )
            return done(f"/staff/kitas/{kita.id}", "kita-created")

        return await submit(request, "staff/kitas.html", action, partial(_kitas_context, staff))

    @get("/{kita_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], kita_id: PathId
    ) -> Template:
        return page(request, "staff/kita.html", **await _kita_context(staff, kita_id))

    @post("/{kita_id:int}", guards=[requires_coordinator])
    async def update(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        kita_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await entries.update_kita(
                staff=staff,
                kita_id=kita_id,
                name=text(form, "name"),
                address=text(form, "address"),
                now=now,
            )
            return done(f"/staff/kitas/{kita_id}", "kita-saved")

        return await submit(
            request, "staff/kita.html", action, partial(_kita_context, staff, kita_id)
        )

    @post("/{kita_id:int}/archive", guards=[requires_coordinator])
    async def archive(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        kita_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str | Response[Any]:
            if not confirmed(form):
                await entries.get_kita(staff=staff, kita_id=kita_id)
                return confirmation(  # type: ignore[return-value]
                    request,
                    form,
                    what="kita-archive",
                    action=f"/staff/kitas/{kita_id}/archive",
                    back=f"/staff/kitas/{kita_id}",
                )
            await entries.archive_kita(staff=staff, kita_id=kita_id, now=now)
            return done("/staff/kitas", "kita-archived")

        return await submit(
            request, "staff/kita.html", action, partial(_kita_context, staff, kita_id)
        )


async def _kitas_context(staff: Staff) -> dict[str, Any]:
    return {"kitas": await entries.list_kitas(staff=staff)}


async def _kita_context(staff: Staff, kita_id: int) -> dict[str, Any]:
    return {
        "kita": await entries.get_kita(staff=staff, kita_id=kita_id),
        "cohorts": await entries.list_cohorts(staff=staff, kita_id=kita_id),
    }


def _programme_input(form: Form) -> ProgrammeInput:
    return ProgrammeInput(
        kind=text(form, "kind"),
        title=text(form, "title"),
        title_en=text(form, "title_en"),
        summary=text(form, "summary"),
        summary_en=text(form, "summary_en"),
        audience=text(form, "audience"),
        cost=text(form, "cost"),
        is_public=checkbox(form, "is_public"),
        min_age_years=optional_int(form, "min_age_years", high=120),
        max_age_years=optional_int(form, "max_age_years", high=120),
        certificate_threshold_percent=required_int(
            form, "certificate_threshold_percent", low=1, high=100
        ),
        themes=text(form, "themes").splitlines() if text(form, "themes").strip() else None,
        translations=_translations(form, texts.PROGRAMME_JSON_LANGUAGES, ("title", "summary")),
    )


def _translations(
    form: Form, languages: tuple[str, ...], fields: tuple[str, ...]
) -> dict[str, dict[str, str]]:
    """The form's `<field>_<language>` fields as `{language: {field: text}}`."""
    return {code: {name: text(form, f"{name}_{code}") for name in fields} for code in languages}


class ProgrammePages(Controller):
    path = "/staff/programmes"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def list_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]
    ) -> Template:
        return page(request, "staff/programmes.html", **await _programmes_context(staff))

    @post("/", guards=[requires_coordinator])
    async def create(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            programme = await entries.create_programme(
                staff=staff, data=_programme_input(form), now=now
            )
            return done(f"/staff/programmes/{programme.id}", "programme-created")

        return await submit(
            request, "staff/programmes.html", action, partial(_programmes_context, staff)
        )

    @get("/{programme_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], programme_id: PathId
    ) -> Template:
        return page(
            request, "staff/programme.html", **await _programme_context(staff, programme_id)
        )

    @post("/{programme_id:int}", guards=[requires_coordinator])
    async def update(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        programme_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await entries.update_programme(
                staff=staff, programme_id=programme_id, data=_programme_input(form), now=now
            )
            return done(f"/staff/programmes/{programme_id}", "programme-saved")

        return await submit(
            request,
            "staff/programme.html",
            action,
            partial(_programme_context, staff, programme_id),
        )

    @post("/{programme_id:int}/status", guards=[requires_coordinator])
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        programme_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await entries.change_programme_status(
                staff=staff, programme_id=programme_id, action=text(form, "action"), now=now
            )
            return done(f"/staff/programmes/{programme_id}", "programme-status")

        return await submit(
            request,
            "staff/programme.html",
            action,
            partial(_programme_context, staff, programme_id),
        )


async def _programmes_context(staff: Staff) -> dict[str, Any]:
    return {"programmes": await entries.list_programmes(staff=staff)}


async def _programme_context(staff: Staff, programme_id: int) -> dict[str, Any]:
    return {
        "programme": await entries.get_programme(staff=staff, programme_id=programme_id),
        "cohorts": await entries.list_cohorts(staff=staff, programme_id=programme_id),
        "pauses": await org_closures.programme_pauses(programme_id),
    }


def _cohort_input(form: Form, programme_id: int) -> CohortInput:
    opens = optional_date(form, "registration_opens_on")
    closes = optional_date(form, "registration_closes_on")
    return CohortInput(
        programme_id=programme_id,
        title=text(form, "title"),
        kita_id=optional_int(form, "kita_id", low=1),
        language=text(form, "language"),
        location=text(form, "location"),
        capacity=optional_int(form, "capacity"),
        max_seats_per_registration=optional_int(form, "max_seats_per_registration", low=1, high=50)
        or 1,
        registration_opens_at=to_berlin(opens, _MIDNIGHT) if opens else None,
        registration_closes_at=to_berlin(closes, _LAST_MINUTE) if closes else None,
        trainer_ids=int_list(form, "trainer_ids", low=1),
        translations=_translations(form, texts.TRANSLATED, ("title",)),
    )


class CohortPages(Controller):
    path = "/staff/cohorts"
    guards = [requires_staff]
    include_in_schema = False

    @get("/")
    async def list_page(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff]
    ) -> Template:
        return page(request, "staff/cohorts.html", cohorts=await entries.list_cohorts(staff=staff))

    @get("/new", guards=[requires_coordinator])
    async def new(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], programme_id: QueryId
    ) -> Template:
        return page(
            request, "staff/cohort_form.html", **await _cohort_form_context(staff, programme_id)
        )

    @post("/new", guards=[requires_coordinator])
    async def create(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        programme_id: QueryId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            cohort = await entries.create_cohort(
                staff=staff, data=_cohort_input(form, programme_id), now=now
            )
            return done(f"/staff/cohorts/{cohort.id}", "cohort-created")

        return await submit(
            request,
            "staff/cohort_form.html",
            action,
            partial(_cohort_form_context, staff, programme_id),
        )

    @get("/{cohort_id:int}")
    async def detail(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], cohort_id: PathId
    ) -> Template:
        return page(request, "staff/cohort.html", **await _cohort_context(staff, cohort_id))

    @get("/{cohort_id:int}/edit", guards=[requires_coordinator])
    async def edit(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], cohort_id: PathId
    ) -> Template:
        cohort = await entries.get_cohort(staff=staff, cohort_id=cohort_id)
        return page(
            request,
            "staff/cohort_form.html",
            **await _cohort_form_context(staff, cohort.programme_id, cohort),
        )

    @post("/{cohort_id:int}/edit", guards=[requires_coordinator])
    async def update(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        cohort = await entries.get_cohort(staff=staff, cohort_id=cohort_id)

        async def action(form: Form) -> str:
            await entries.update_cohort(
                staff=staff,
                cohort_id=cohort_id,
                data=_cohort_input(form, cohort.programme_id),
                now=now,
            )
            return done(f"/staff/cohorts/{cohort_id}", "cohort-saved")

        return await submit(
            request,
            "staff/cohort_form.html",
            action,
            partial(_cohort_form_context, staff, cohort.programme_id, cohort),
        )

    @post("/{cohort_id:int}/status", guards=[requires_coordinator])
    async def change_status(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await entries.change_cohort_status(
                staff=staff, cohort_id=cohort_id, action=text(form, "action"), now=now
            )
            return done(f"/staff/cohorts/{cohort_id}", "cohort-status")

        return await submit(
            request, "staff/cohort.html", action, partial(_cohort_context, staff, cohort_id)
        )

    @post("/{cohort_id:int}/publish-programme", guards=[requires_coordinator])
    async def publish_programme(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        cohort_id: PathId,
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        """The one click the cohort page offers after publishing a run of a draft
        programme: publish the programme too and come back to the run."""

        async def action(form: Form) -> str:
            cohort = await entries.get_cohort(staff=staff, cohort_id=cohort_id)
            await entries.change_programme_status(
                staff=staff, programme_id=cohort.programme_id, action="publish", now=now
            )
            return f"/staff/cohorts/{cohort_id}"

        return await submit(
            request, "staff/cohort.html", action, partial(_cohort_context, staff, cohort_id)
        )


async def _cohort_form_context(
    staff: Staff, programme_id: int, cohort: CohortView | None = None
) -> dict[str, Any]:
    """The form for a new cohort of a programme, or for editing `cohort`."""
    return {
        "programme": await entries.get_programme(staff=staff, programme_id=programme_id),
        "kitas": await entries.list_kitas(staff=staff),
        "trainers": await entries.list_trainers(staff=staff),
        "cohort": cohort,
    }


async def _cohort_context(staff: Staff, cohort_id: int) -> dict[str, Any]:
    cohort = await entries.get_cohort(staff=staff, cohort_id=cohort_id)
    return {
        "cohort": cohort,
        "sessions": await sessions.list_sessions(staff=staff, cohort_id=cohort_id),
        "weekday_names": WEEKDAYS,
        "plan": None,
        "pause": await org_closures.pause_summary(cohort_id),
    }
