"""What a staff page says after a saved form: the post/redirect/get answer's `?done=` key.

Every successful staff form redirects (303) to a page with `?done=<key>`; the page shows the
key's message in its own language (`pages.page`). The key names what was done, never data:
no personal data in URLs. A reload or the back button then only shows the message again,
it never sends the form twice. Unknown keys are ignored.
"""

from __future__ import annotations

from programmes.domain.errors import N_

NOTICES: dict[str, str] = {
    "kita-created": N_("The KiTa is created."),
    "kita-saved": N_("The KiTa is saved."),
    "kita-archived": N_("The KiTa is archived."),
    "programme-created": N_("The programme is created."),
    "programme-saved": N_("The programme is saved."),
    "programme-status": N_("The programme's status is changed."),
    "cohort-created": N_("The group is created."),
    "cohort-saved": N_("The group is saved."),
    "cohort-status": N_("The group's status is changed."),
    "schedule-saved": N_(
        "The sessions are saved; everyone registered is told of changed dates by mail."
    ),
    "session-moved": N_("The session is moved; everyone registered is told by mail."),
    "session-cancelled": N_(
        "The session is cancelled; everyone registered is told by mail. "
        "You can take the cancellation back below."
    ),
    "session-reinstated": N_("The session takes place again; everyone registered is told by mail."),
    "theme-saved": N_("The theme is saved."),
    "substitute-saved": N_("The substitute is saved."),
    "registration-added": N_("The registration is saved; a confirmation goes out by mail."),
    "registration-cancelled": N_("The registration is cancelled; the person is told by mail."),
    "registration-moved": N_("The registration is moved; the person is told by mail."),
    "capacity-saved": N_("The capacity is saved."),
    "family-enrolled": N_("The family is enrolled."),
    "family-saved": N_("The family's details are saved."),
    "family-withdrawn": N_("The family is withdrawn. You can undo this below for a few days."),
    "withdrawal-undone": N_("The withdrawal is undone: the family is in the group again."),
    "withdrawal-undone-waiting": N_(
        "The withdrawal is undone: the group is full, so the family is on the waiting list."
    ),
    "feed-created": N_("Your calendar link is created."),
    "feed-rotated": N_("Your calendar link is replaced; the old one no longer works."),
    "feed-revoked": N_("Your calendar link is revoked."),
    "feed-reminder": N_("Your reminder setting is saved."),
    "attendance-saved": N_("Attendance saved."),
    "feed-exists": N_("You have a calendar link already."),
    "feed-none": N_("You have no calendar link."),
    "data-erased": N_("The data are erased."),
    "account-invited": N_("Saved. The invitation has been sent."),
    "account-invitation-resent": N_(
        "Saved. A new invitation has been sent; the earlier link no longer works."
    ),
    "account-role": N_("Saved. The new role counts from the person's next click."),
    "account-deactivated": N_("Saved. The account is deactivated and signed out."),
    "account-reactivated": N_("Saved. The account is active again."),
    "message-repeated": N_("This message was put into the outbox already; nothing was sent again."),
    "org-calendar-created": N_("The calendar is created. Enter its days or import them."),
    "org-calendar-imported": N_("The calendar is imported."),
    "org-calendar-programmes": N_("Saved. The next schedule preview of each group shows it."),
    "org-calendar-deleted": N_("The calendar is deleted."),
    "org-closure-added": N_("The closure has been saved."),
    "org-closure-deleted": N_("The closure has been deleted."),
    "cohort-calendar-pause": N_(
        "Saved. Preview and save the schedule again to apply it to the sessions."
    ),
    "password-changed": N_(
        "Saved. Your new password counts now; you were signed out everywhere else."
    ),
}


#: Notices that say how many (`?done=<key>&n=<count>`): a count, never data about anybody.
COUNTED_NOTICES: dict[str, tuple[str, str]] = {
    "message-queued": (
        N_("Message to %(num)s person put into the outbox."),
        N_("Message to %(num)s people put into the outbox."),
    ),
}
#: The largest count a counted notice shows (anything else in `n` is ignored).
MAX_COUNT = 1_000_000


def done(url: str, key: str, count: int | None = None) -> str:
    """`url` with the notice `key` (one of `NOTICES`, or of `COUNTED_NOTICES` with `count`)."""
    if key not in (NOTICES if count is None else COUNTED_NOTICES):
        raise KeyError(key)
    suffix = "" if count is None else f"&n={count}"
    return f"{url}{'&' if '?' in url else '?'}done={key}{suffix}"


def counted(key: str, raw_count: str | None) -> tuple[str, str, int] | None:
    """(singular, plural, count) of a counted notice, or None for an unknown key or count."""
    forms = COUNTED_NOTICES.get(key)
    if forms is None or not raw_count or not raw_count.isascii() or not raw_count.isdigit():
        return None
    if len(raw_count) > 7 or int(raw_count) > MAX_COUNT:
        return None
    return forms[0], forms[1], int(raw_count)
