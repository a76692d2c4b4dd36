"""A production-shaped deployment in a temporary folder: nginx (Debian's package, with the shipped
``deploy/nginx/assure360.conf``) terminating TLS in front of gunicorn (``survey.wsgi:app``, two
workers) with rate-limit counts in a real Redis server, settings in a ``.env`` file, as
``docs/deployment.md`` describes.

Each server is a child process; :func:`running_stack` starts them and stops them all.
"""

from __future__ import annotations

import datetime as dt
import http.client
import ipaddress
import os
import re
import secrets
import shutil
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.survey.helpers import read_outbox, text_part

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_NGINX = ROOT / "deploy" / "nginx" / "assure360.conf"
BIN = Path(sys.executable).parent
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited:\n{log.read_text(errors='replace')}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port}:\n{log.read_text(errors='replace')}")


@contextmanager
def _child(
    command: list[str],
    *,
    port: int,
    log: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[None]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, cwd=cwd, env=env
        )
    try:
        _wait_for_port(port, process, log)
        yield
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, valid for a day."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def _replace(text: str, old: str, new: str) -> str:
    """Replace ``old``, which the shipped file must contain (or the test would test nothing)."""
    assert old in text, f"deploy/nginx/assure360.conf no longer contains {old!r}"
    return text.replace(old, new)


def nginx_site(
    *, https_port: int, http_port: int, upstream_port: int, cert: Path, key: Path, logs: Path
) -> str:
    """The shipped site file with only its names, ports, certificate and log paths changed."""
    site = SHIPPED_NGINX.read_text()
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("server_name survey.example.nhs.uk;", "server_name 127.0.0.1;"),
        ("/etc/ssl/certs/assure360.pem", str(cert)),
        ("/etc/ssl/private/assure360.key", str(key)),
        ("/var/log/nginx/", f"{logs}/"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream_port};"),
    ):
        site = _replace(site, old, new)
    return site


def nginx_main(folder: Path, site: Path) -> str:
    temp = folder / "temp"
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (temp / name).mkdir(parents=True, exist_ok=True)
        (temp / name).chmod(0o777)  # nginx's workers drop root
    return f"""
daemon off;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/logs/nginx-main-error.log warn;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {site};
}}
"""


@dataclass
class Stack:
    root: Path
    url: str
    https_port: int
    http_port: int
    redis_port: int
    logs: Path

    @property
    def access_log(self) -> str:
        return (self.logs / "assure360-access.log").read_text(errors="replace")

    @property
    def app_log(self) -> str:
        return (self.logs / "gunicorn.log").read_text(errors="replace")

    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def sql(self, statement: str) -> None:
        """Change the database behind the app's back (to let days pass in a test)."""
        with sqlite3.connect(self.root / "assure360.sqlite") as connection:
            connection.execute(statement)

    def cli(self, *args: str) -> str:
        """Run ``assure360`` as an operator would, in the deployment folder (its .env)."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
        environment.pop("SECRET_KEY", None)
        result = subprocess.run(
            [str(BIN / "assure360"), *args],
            cwd=self.root,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def plain_get(self, path: str) -> Reply:
        """A GET to nginx's plain-http port."""
        connection = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            connection.close()

    def visitor(self, source: str = "127.0.0.1") -> Visitor:
        """A client without a browser, connecting from ``source`` (any 127.x.y.z)."""
        return Visitor(self, source)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def csrf_token(self) -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', self.text)
        assert match, self.text[:500]
        return match.group(1)


@dataclass
class Visitor:
    """One HTTPS session: keeps cookies, sends a same-origin Referer as browsers do, never
    follows redirects."""

    stack: Stack
    source: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection = http.client.HTTPSConnection(
            "127.0.0.1",
            self.stack.https_port,
            context=context,
            source_address=(self.source, 0),
            timeout=30,
        )
        sent = {"Connection": "close", "Referer": self.stack.url + path, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            connection.close()

    def get(self, path: str, **headers: str) -> Reply:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, form: dict[str, str], **headers: str) -> Reply:
        return self.request("POST", path, form, headers=headers)


def _write_env(root: Path, *, url: str, redis_port: int) -> None:
    (root / ".env").write_text(
        "\n".join(
            [
                f"SECRET_KEY={secrets.token_hex(32)}",
                f"DATABASE_URL=sqlite:///{root / 'assure360.sqlite'}",
                f"PUBLIC_BASE_URL={url}",
                "MAIL_BACKEND=file",
                f"MAIL_OUTBOX_DIR={root / 'outbox'}",
                "MAIL_SENDER=NHS Example ICB survey <survey@example.nhs.uk>",
                "TRUSTED_PROXIES=1",
                f"RATELIMIT_STORAGE_URI=redis://127.0.0.1:{redis_port}",
                # the browser run has no authenticator app (tests/survey/auth has two-factor)
                "TWO_FACTOR_FOR_MANAGERS=0",
                "",
            ]
        )
    )


@contextmanager
def running_stack(root: Path) -> Iterator[Stack]:
    """Redis, gunicorn (2 workers) and nginx over HTTPS, with a migrated database."""
    logs = root / "logs"
    logs.mkdir(parents=True)
    https_port, http_port, upstream_port, redis_port = (free_port() for _ in range(4))
    stack = Stack(root, f"https://127.0.0.1:{https_port}", https_port, http_port, redis_port, logs)
    _write_env(root, url=stack.url, redis_port=redis_port)
    stack.cli("db", "upgrade")
    cert, key = self_signed_certificate(root)
    site = root / "assure360.conf"
    site.write_text(
        nginx_site(
            https_port=https_port,
            http_port=http_port,
            upstream_port=upstream_port,
            cert=cert,
            key=key,
            logs=logs,
        )
    )
    (root / "nginx.conf").write_text(nginx_main(root, site))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TEST_")}
    environment.pop("SECRET_KEY", None)
    with ExitStack() as servers:
        servers.enter_context(
            _child(
                [REDIS, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
                + ["--appendonly", "no"],
                port=redis_port,
                log=logs / "redis.log",
            )
        )
        servers.enter_context(
            _child(
                [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{upstream_port}"]
                + ["--forwarded-allow-ips", "127.0.0.1", "survey.wsgi:app"],
                port=upstream_port,
                log=logs / "gunicorn.log",
                cwd=root,
                env=environment,
            )
        )
        servers.enter_context(
            _child(
                [NGINX, "-p", str(root), "-c", str(root / "nginx.conf")],
                port=https_port,
                log=logs / "nginx.log",
            )
        )
        yield stack


def tokens_in(text: str) -> set[str]:
    """Every credential in emailed links: survey, opt-out and set-password tokens."""
    found = set(re.findall(r"/s/(?:opt-out/)?([A-Za-z0-9_\-.]{20,})", text))
    return found | set(re.findall(r"/auth/set-password/([A-Za-z0-9_\-.]{20,})", text))


def seed_round(stack: Stack, folder: Path, organisations: str, stakeholders: str) -> list[str]:
    """An open round with invitations sent, set up by the commands; the survey links emailed."""
    (folder / "organisations.csv").write_text(organisations)
    (folder / "stakeholders.csv").write_text(stakeholders)
    stack.cli("organisations", "import", str(folder / "organisations.csv"))
    created = stack.cli(
        "round",
        "create",
        "--year",
        "2031",
        "--questionnaire",
        "ccg-360",
        "--opens",
        "2020-01-01",
        "--closes",
        "2099-12-31",
    )
    round_id = created.split()[2].rstrip(":")
    stack.cli("round", "open", round_id)
    stack.cli("stakeholders", "import", round_id, str(folder / "stakeholders.csv"), "--yes")
    stack.cli("invitations", "issue", round_id)
    emails = "\n".join(text_part(message) for message in read_outbox(stack.outbox))
    return sorted(
        set(re.findall(rf"{re.escape(stack.url)}/s/(?!opt-out/)[A-Za-z0-9_\-.]+", emails))
    )
