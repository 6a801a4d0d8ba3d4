"""Secrets handed to people (API tokens, feed tokens, cancel links) and how they are kept.

A token carries 256 random bits; the database keeps only its SHA-256, so a leaked
database cannot be replayed. SHA-256 without salt is right here (unlike passwords) because
the token itself is uniformly random and long.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def looks_like_token(token: str, prefix: str = "") -> bool:
    """Cheap shape check so malformed input is rejected before touching the database."""
    body = token[len(prefix) :] if token.startswith(prefix) else None
    return (
        body is not None
        and 20 <= len(body) <= 100
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in body)
    )
