"""Secret links in mails (the cancel link), kept out of the outbox.

A mail that carries a secret link is stored with a slot in its text, `{secret:cancel:NONCE}`,
never with the token itself. The sender fills the slot when it builds the message: the
token is an HMAC-SHA256 of the purpose and the nonce under the server's secret key
(`PROGRAMMES_SECRET_KEY`), so it is the same on every retry (a repeated mail stays byte
for byte the same). Whoever can read the outbox (the back office, a database copy, a
backup, the privacy export) sees the nonce, which is useless without the key; whoever
has the key but not the database cannot guess a nonce (128 random bits).

What the link is checked against is unchanged: the registration keeps only the SHA-256 of
the token (`domain/tokens.py`), computed when the mail is composed, so links sent before
slots existed keep working, and a forged or altered link matches no registration.

The key is the process's: `create_app()` and the CLI set it from the settings
(`set_key`); a process that never does (tests, scripts) uses a random key of its own,
so the links it composes work only in mail it sends itself. Changing the secret key
makes the links in mails composed but not yet sent under the old key useless (the
recipient cancels through the office instead); links already delivered keep working.

Composers put a slot in only through `slot()`; `neutralise()` breaks anything in other
text (a run's title, a coordinator's reason) that would look like one, so no text a
person typed can make the sender produce a token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

#: 16 random bytes, URL-safe base64 without padding.
NONCE_BYTES = 16
_PURPOSE = r"[a-z][a-z0-9-]{0,29}"
_SLOT = re.compile(rf"\{{secret:({_PURPOSE}):([A-Za-z0-9_-]{{16,64}})\}}")

_key: bytes | None = None


def set_key(secret_key: str) -> None:
    """Use the server's secret key for every token this process derives."""
    global _key
    _key = secret_key.encode("utf-8")


def _current_key() -> bytes:
    global _key
    if _key is None:
        _key = secrets.token_bytes(32)
    return _key


def new_nonce() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


def slot(purpose: str, nonce: str) -> str:
    """The text stored in place of the token; `fill()` turns it into `token(purpose, nonce)`."""
    text = f"{{secret:{purpose}:{nonce}}}"
    if not _SLOT.fullmatch(text):
        raise ValueError("a slot needs a short lower-case purpose and a URL-safe nonce")
    return text


def token(purpose: str, nonce: str, *, key: str | None = None) -> str:
    """The token a slot stands for: 43 URL-safe characters (256 bits)."""
    secret = key.encode("utf-8") if key is not None else _current_key()
    message = f"programmes secret link\x00{purpose}\x00{nonce}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def fill(text: str, *, key: str | None = None) -> str:
    """`text` with every slot replaced by its token (as the recipient reads it)."""
    return _SLOT.sub(lambda found: token(found[1], found[2], key=key), text)


def has_slot(text: str) -> bool:
    return _SLOT.search(text) is not None


def neutralise(text: str) -> str:
    """`text` with anything that looks like a slot made inert (its brace becomes a
    parenthesis), for the parts of a mail that come from what people typed."""
    return _SLOT.sub(lambda found: "(" + found[0][1:-1] + ")", text)
