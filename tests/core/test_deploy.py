"""Production settings: ``accord check --deploy`` is clean with them, and HTTPS redirects spare
the probes and the scraper."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

PRODUCTION = {
    "ACCORD_DEBUG": "0",
    "ACCORD_SECRET_KEY": secrets.token_urlsafe(64),
    "ACCORD_ALLOWED_HOSTS": "accord.example.org",
    "ACCORD_TRUSTED_PROXIES": "1",  # TLS ends at the reverse proxy in front
}


def check_deploy(home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # Nothing of the test process's own (DJANGO_ALLOW_ASYNC_UNSAFE, set by the browser tests,
    # is itself a deployment error).
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("ACCORD_", "DJANGO_"))}
    variables |= {"ACCORD_HOME": str(home), "PYTHONPATH": os.pathsep.join(sys.path)} | env
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "accord.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=variables,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path: Path) -> None:
    done = check_deploy(tmp_path, **PRODUCTION)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNING" not in done.stdout + done.stderr


def test_check_deploy_fails_when_https_could_not_be_known_behind_a_proxy(tmp_path: Path) -> None:
    done = check_deploy(tmp_path, **(PRODUCTION | {"ACCORD_TRUSTED_PROXIES": "0"}))
    assert done.returncode != 0
    assert "security.W008" in done.stdout + done.stderr


@pytest.mark.django_db
def test_plain_http_is_redirected_except_for_probes_and_the_scraper(settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    client = Client()
    assert client.get("/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    # Behind the proxy, what came to it over TLS is served.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert Client().get("/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
