"""Writing mails: plain-text Jinja templates in `templates/emails/`, in the recipient's
language (translations and date filters as on pages, `programmes.formatting`). The first
line of a rendered template is the subject, the rest the body."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from programmes import i18n
from programmes.formatting import localise

TEMPLATES = Path(__file__).resolve().parents[4] / "templates" / "emails"


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,  # noqa: S701 (plain-text mail, never HTML)
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    return localise(env)


def render_mail(template: str, language: str, **context: Any) -> tuple[str, str]:
    """(subject, body) of `templates/emails/<template>` in `language`."""
    language = i18n.normalise_language(language) or i18n.DEFAULT_LANGUAGE
    text = _environment().get_template(template).render(lang=language, **context)
    subject, _, body = text.partition("\n")
    return " ".join(subject.split()), body.strip() + "\n"
