"""Server-rendered HQ pages: one Jinja2 environment, autoescaping every value (a visitor's name is never HTML).

Templates live in ``hq/templates/`` and ``hq/payments/templates/``; a page extends ``base.html``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from core.ids import fmt_wib, now_iso, parse_iso

_HERE = Path(__file__).parent
ENV = Environment(
    loader=FileSystemLoader([_HERE / "templates", _HERE / "payments" / "templates"]),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,  # a template naming a value the page does not pass fails loudly in the tests
    trim_blocks=True,
    lstrip_blocks=True,
)


def when(ts: str | None) -> str:
    """A stored UTC time as WIB wall-clock text, ``-`` for none."""
    return fmt_wib(parse_iso(ts), with_seconds=True) if ts else "-"


ENV.filters["wib"] = when


def render(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = ENV.get_template(template).render(generated=when(now_iso()), **context)
    return HTMLResponse(html, status_code=status_code)
