"""Small helpers for driving the web pages as a browser would (forms with their CSRF token)."""

from __future__ import annotations

import email
import html
import re
from email.message import Message
from pathlib import Path

from flask.testing import FlaskClient

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: survey links (not the opt-out link, which also lives under /s/)
_LINK = re.compile(r"(https?://\S+/s/(?!opt-out/)[A-Za-z0-9_\-.]+)")


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, str]) -> object:
    """GET the page, then POST ``data`` with the page's CSRF token, as a browser would."""
    page = client.get(path)
    return client.post(path, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def read_outbox(folder: Path) -> list[Message]:
    return [email.message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]


def text_part(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("message has no plain text part")


def links_in(message: Message) -> list[str]:
    return _LINK.findall(text_part(message))


def answer_everything(
    client: FlaskClient, path: str, *, choice: str = "4", comment: str = "Works well with us."
) -> None:
    """Answer every section of the survey at ``path`` and stop at the check page."""
    number = 1
    while True:
        page = client.get(f"{path}/{number}")
        assert page.status_code == 200, page.status_code
        html = page.get_data(as_text=True)
        data = {"csrf_token": csrf_token(html), "action": "continue"}
        for name in set(re.findall(r'name="([a-z0-9_]+)" type="radio"', html)):
            data[name] = choice
        for name in re.findall(r'<textarea[^>]*name="([a-z0-9_]+)"', html):
            data[name] = comment
        response = client.post(f"{path}/{number}", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        if response.headers["Location"].endswith("/check"):
            return
        number += 1


def page_text(client: FlaskClient, path: str) -> str:
    """The HTML of ``path``, which must answer 200."""
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def row_cells(page: str, header: str) -> list[str]:
    """The text of the cells following the row header ``header`` (first table row with it)."""
    start = page.index(f">{html.escape(header)}</th>")
    row = page[start : page.index("</tr>", start)]
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    ]
