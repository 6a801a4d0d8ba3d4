"""Staff accounts that staff run themselves: coordinators manage accounts at
/staff/accounts; everybody changes their own password at /staff/password; a forgotten
password and an invitation are set through a mailed link at /staff/password/set.

Every form posts, then redirects to a page that says what was saved (`web.notices`); a
form with an error is shown again with the error next to its field and in a summary.
Deactivating an account asks once first (`web.confirm`)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from programmes.domain.access import Staff
from programmes.domain.accounts import management, passwords
from programmes.domain.errors import DomainError
from programmes.settings import Settings
from programmes.web.auth import session_cookie
from programmes.web.confirm import confirmation, confirmed
from programmes.web.deps import PathId
from programmes.web.errors import status_for
from programmes.web.forms import Form, optional_int, read_form, submit, text
from programmes.web.guards import PUBLIC, requires_coordinator, requires_staff
from programmes.web.notices import done
from programmes.web.pages import page, request_language


def _site(request: Request[Any, Any, Any], settings: Settings) -> passwords.MailSite:
    return passwords.MailSite(base_url=settings.base_url, language=request_language(request))


class AccountPages(Controller):
    path = "/staff/accounts"
    guards = [requires_coordinator]
    include_in_schema = False

    @get("/")
    async def list_page(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
    ) -> Template:
        return page(request, "staff/accounts.html", **await _list_context(staff, now))

    @post("/")
    async def invite(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            account_id = await management.invite_account(
                staff=staff,
                email=text(form, "email"),
                name=text(form, "name"),
                role=text(form, "role"),
                kita_id=optional_int(form, "kita", low=1),
                site=_site(request, settings),
                now=now,
            )
            return done(f"/staff/accounts/{account_id}", "account-invited")

        return await submit(
            request, "staff/accounts.html", action, partial(_list_context, staff, now)
        )

    @get("/{account_id:int}")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        account_id: PathId,
    ) -> Template:
        return page(request, "staff/account.html", **await _account_context(staff, now, account_id))

    @post("/{account_id:int}")
    async def change_role(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        account_id: PathId,
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await management.change_role(
                staff=staff,
                account_id=account_id,
                role=text(form, "role"),
                kita_id=optional_int(form, "kita", low=1),
                now=now,
            )
            return done(f"/staff/accounts/{account_id}", "account-role")

        return await submit(
            request,
            "staff/account.html",
            action,
            partial(_account_context, staff, now, account_id),
        )

    @post("/{account_id:int}/deactivate")
    async def deactivate(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        account_id: PathId,
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            if not confirmed(form):
                account = await management.check_deactivation(
                    staff=staff, account_id=account_id, now=now
                )
                return confirmation(  # type: ignore[return-value]
                    request,
                    form,
                    what="account-deactivate",
                    action=f"/staff/accounts/{account_id}/deactivate",
                    back=f"/staff/accounts/{account_id}",
                    account=account,
                )
            await management.deactivate_account(staff=staff, account_id=account_id, now=now)
            return done(f"/staff/accounts/{account_id}", "account-deactivated")

        return await submit(
            request,
            "staff/account.html",
            action,
            partial(_account_context, staff, now, account_id),
        )

    @post("/{account_id:int}/reactivate")
    async def reactivate(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        account_id: PathId,
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await management.reactivate_account(staff=staff, account_id=account_id, now=now)
            return done(f"/staff/accounts/{account_id}", "account-reactivated")

        return await submit(
            request,
            "staff/account.html",
            action,
            partial(_account_context, staff, now, account_id),
        )

    @post("/{account_id:int}/invitation")
    async def resend_invitation(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
        settings: NamedDependency[Settings],
        account_id: PathId,
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await management.resend_invitation(
                staff=staff, account_id=account_id, site=_site(request, settings), now=now
            )
            return done(f"/staff/accounts/{account_id}", "account-invitation-resent")

        return await submit(
            request,
            "staff/account.html",
            action,
            partial(_account_context, staff, now, account_id),
        )


async def _list_context(staff: Staff, now: datetime) -> dict[str, Any]:
    return {
        "accounts": await management.list_accounts(staff=staff, now=now),
        "kitas": await management.kita_choices(),
    }


async def _account_context(staff: Staff, now: datetime, account_id: int) -> dict[str, Any]:
    return {
        "account": await management.get_account(staff=staff, account_id=account_id, now=now),
        "kitas": await management.kita_choices(),
    }


class PasswordPages(Controller):
    """Each handler carries its own rule: changing one's password needs a sign-in, the
    forgotten-password pages and the link's page are for anybody (the link is the key)."""

    path = "/staff/password"
    include_in_schema = False

    @get("/", guards=[requires_staff])
    async def change_page(self, request: Request[Any, Any, Any]) -> Template:
        return page(request, "staff/password.html")

    @post("/", guards=[requires_staff])
    async def change(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        now: NamedDependency[datetime],
    ) -> Response[Any]:
        async def action(form: Form) -> str:
            await passwords.change_own_password(
                staff,
                current=text(form, "current_password"),
                password=text(form, "new_password"),
                repeat=text(form, "new_password_repeat"),
                keep_session=session_cookie(request.scope),
                now=now,
            )
            return done("/staff/password", "password-changed")

        return await submit(request, "staff/password.html", action, _without_passwords)

    @get("/forgot", opt=PUBLIC)
    async def forgot_page(self, request: Request[Any, Any, Any]) -> Template:
        return page(
            request, "staff/password_forgot.html", sent=request.query_params.get("sent") == "1"
        )

    @post("/forgot", opt=PUBLIC)
    async def forgot(
        self,
        request: Request[Any, Any, Any],
        now: NamedDependency[datetime],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        address = request.client.host if request.client else "unknown"

        async def action(form: Form) -> str:
            await passwords.request_password_reset(
                email=text(form, "email"),
                client_address=address,
                site=_site(request, settings),
                now=now,
            )
            return "/staff/password/forgot?sent=1"

        return await submit(request, "staff/password_forgot.html", action, _not_sent)

    @get("/set", opt=PUBLIC)
    async def set_page(
        self,
        request: Request[Any, Any, Any],
        now: NamedDependency[datetime],
        token: FromQuery[str] = "",
    ) -> Template:
        try:
            link = await passwords.open_link(token[:200], now=now)
        except DomainError as error:
            return _link_refused(request, error)
        return _no_referrer(
            page(request, "staff/password_set.html", token=token, purpose=link.purpose)
        )

    @post("/set", opt=PUBLIC)
    async def set_password(
        self, request: Request[Any, Any, Any], now: NamedDependency[datetime]
    ) -> Response[Any]:
        form = await read_form(request)
        token = text(form, "token")[:200]
        try:
            await passwords.set_password_with_link(
                token=token,
                password=text(form, "new_password"),
                repeat=text(form, "new_password_repeat"),
                now=now,
            )
        except DomainError as error:
            if error.field == "token":
                return _link_refused(request, error)  # type: ignore[return-value]
            message = error.translated(request_language(request))
            return _no_referrer(  # type: ignore[return-value]
                page(
                    request,
                    "staff/password_set.html",
                    status_code=status_for(error),
                    token=token,
                    purpose=text(form, "purpose"),
                    errors=[{"field": error.field, "message": message}],
                    error=message,
                )
            )
        return Redirect("/staff/login?notice=password-set", status_code=303)


async def _without_passwords() -> dict[str, Any]:
    """The password form again: the entered passwords are never sent back."""
    return {}


async def _not_sent() -> dict[str, Any]:
    return {"sent": False}


def _no_referrer(response: Template) -> Template:
    """The page of a link with its token in the address: no Referer carries it on."""
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _link_refused(request: Request[Any, Any, Any], error: DomainError) -> Template:
    """A clear page for a link that is unknown, used, expired or of a deactivated account,
    with the way to a new one."""
    return _no_referrer(
        page(
            request,
            "staff/password_link.html",
            status_code=status_for(error),
            error=error.translated(request_language(request)),
        )
    )
