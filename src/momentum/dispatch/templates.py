"""The message templates: Jinja2 files a manager can edit.

The built-in ones live in ``momentum/templates/``; a folder named by ``MOMENTUM_TEMPLATES_DIR``
overrides them file by file (copy one, change it, keep its name). HTML templates escape every
value (``autoescape``); Slack text escapes ``&``, ``<`` and ``>`` as Slack asks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    select_autoescape,
)

BUILTIN = Path(__file__).resolve().parent.parent / "templates"


def _slack_escape(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


class Templates:
    def __init__(self, override: Path | None = None) -> None:
        loaders: list[Any] = []
        if override is not None:
            loaders.append(FileSystemLoader(str(override)))
        loaders.append(PackageLoader("momentum", "templates"))
        loader = ChoiceLoader(loaders)
        self.email = Environment(
            loader=loader,
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
            undefined=StrictUndefined,
            keep_trailing_newline=False,
        )
        self.slack = Environment(
            loader=loader, autoescape=False, undefined=StrictUndefined, finalize=_slack_escape
        )

    def render_email(self, name: str, context: dict[str, Any]) -> tuple[str, str, str]:
        """(subject, plain text, HTML) of ``email/<name>.*``."""
        subject = self.email.get_template(f"email/{name}.subject.txt").render(context)
        text = self.email.get_template(f"email/{name}.txt").render(context)
        html = self.email.get_template(f"email/{name}.html").render(context)
        return " ".join(subject.split()), text.strip() + "\n", html

    def render_slack(self, name: str, context: dict[str, Any]) -> str:
        return self.slack.get_template(f"slack/{name}.txt").render(context).strip()
