"""Jinja2 templates shipped in ``quire/templates`` (emails, the hosted invoice page).

HTML templates (``*.html.j2``) are autoescaped: every value a client sent (names, memo, line titles)
is text, never markup. Plain-text templates (``*.txt.j2``) are not escaped. Undefined variables
raise, so a template typo fails a test instead of printing an empty string.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("quire", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2", "html"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
