"""Staff accounts and the secrets that authenticate them.

`Account` extends Piccolo's `BaseUser` so that piccolo-admin signs coordinators in against
the same accounts (and the same server-side session table) as the staff pages. Passwords use
Piccolo's PBKDF2-SHA256 hasher at the OWASP-recommended iteration count, rehashed on login
when the count changes. API and feed tokens are stored only as SHA-256 hashes.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.columns.column_types import Serial
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from programmes.tables.places import Kita
from programmes.vocabulary import Role


class Account(BaseUser, tablename="account"):
    """A member of staff: coordinator, KiTa partner (bound to one KiTa) or trainer.

    `username` holds the e-mail address (lower case); `admin` and `superuser` are kept
    equal to "role is coordinator" by the domain so that only coordinators reach /admin/.
    """

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
