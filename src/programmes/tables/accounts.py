"""Staff accounts and the secrets that authenticate them.

`Account` extends Piccolo's `BaseUser` so that piccolo-admin signs coordinators in against
the same accounts (and the same server-side session table) as the staff pages. Passwords use
Piccolo's PBKDF2-SHA256 hasher at the OWASP-recommended iteration count, rehashed on login
when the count changes. API and feed tokens and set-password links are stored only as
SHA-256 hashes.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.readable import Readable
from piccolo.constraints import Check
from piccolo.table import Table

from programmes.tables.places import Kita
from programmes.vocabulary import Role


class Account(BaseUser, tablename="account"):
    """A member of staff: coordinator, KiTa partner (bound to one KiTa) or trainer.

    `username` holds the e-mail address (lower case); `admin` and `superuser` are kept
    equal to "role is coordinator" by the domain so that only coordinators reach /admin/.
    """

    @classmethod
    def get_readable(cls) -> Readable:
        """How the back office names a row where another row points to it."""
        return Readable(template="%s (%s)", columns=[cls.first_name, cls.username])

    role = Varchar(length=20, choices=Role)
    kita = ForeignKey(references=Kita, null=True, default=None, on_delete=OnDelete.restrict)
    last_login = Timestamptz(null=True, default=None, required=False)
    created_at = Timestamptz(default=TimestamptzNow())

    account_partner_has_kita = Check(
        "(role = 'partner' AND kita IS NOT NULL) OR (role <> 'partner' AND kita IS NULL)"
    )


class ApiToken(Table, tablename="api_token"):
    """A bearer token for scripts. Only its SHA-256 hash is kept."""

    id: Serial

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=100)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class FeedToken(Table, tablename="feed_token"):
    """The secret in a person's private calendar feed URL. Only its SHA-256 hash is kept."""

    id: Serial

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    #: A reminder this many minutes before each session (VALARM); None: no reminder.
    reminder_minutes = Integer(null=True, default=None)


class AccountLink(Table, tablename="account_link"):
    """A single-use link that sets an account's password: an invitation to a new account
    or a password reset. Only the SHA-256 of the link's token is kept; `used_at` is set by
    the one conditional UPDATE that redeems it."""

    id: Serial

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=False)
    purpose = Varchar(length=20)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class KeptForm(Table, tablename="kept_form"):
    """What a person entered in a staff form that reached the server after their sign-in
    had expired: kept for minutes under the hash of a random key (held by their browser in
    a cookie), shown once in the same page after they sign in, then deleted."""

    id: Serial

    key_hash = Varchar(length=64, unique=True)
    #: The account of the expired session, when still known: only it gets the entries back.
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, null=True, default=None)
    page = Varchar(length=1000)
    fields = Text()  #: JSON list of [name, value] pairs
    expires_at = Timestamptz(index=True)
