"""Content-Security-Policy: every HTML page carries it, the API's documentation its own, and no
template holds what it would refuse (an inline script, a style attribute or block)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accord.core.csp import API_DOCS_POLICY

SRC = Path(__file__).resolve().parents[2] / "src" / "accord"
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


@pytest.mark.django_db
def test_html_pages_carry_the_policy_and_json_answers_need_none(client: Client) -> None:
    page = client.get("/login/")
    assert page["Content-Security-Policy"] == POLICY
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    assert "Content-Security-Policy" not in client.get("/healthz")


@pytest.mark.django_db
def test_the_api_documentation_has_its_own_policy_with_scripts_still_from_accord_alone(people: Any) -> None:
    client = Client()
    client.force_login(people["analyst"])
    for path in ("/api/docs/", "/api/redoc/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response["Content-Security-Policy"] == API_DOCS_POLICY
        assert "script-src 'self';" in API_DOCS_POLICY
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"an inline script on {path}"
        assert "fonts.googleapis.com" not in html


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE = re.compile(r"\sstyle\s*=|<style\b", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=|javascript:|\bhx-on", re.IGNORECASE)


def test_no_template_holds_an_inline_script_style_or_handler() -> None:
    found = []
    for template in sorted(SRC.rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, STYLE, HANDLER):
            found += [f"{template.relative_to(SRC)}: {m.group(0).strip()}" for m in pattern.finditer(text)]
    assert found == []
