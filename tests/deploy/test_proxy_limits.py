"""Behind nginx, as deployed: rate limits count the real client (X-Forwarded-For from the one
trusted proxy, never from the client), shared by every gunicorn worker through Redis; a valid
survey link is never refused; refused form posts are logged without their token; /health."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from tests.deploy.stack import Stack, running_stack, seed_round

ORGANISATIONS = "code,name,kind,region,area\n01A,NHS Alpha ICB,ccg,Midlands,Area 1\n"
STAKEHOLDERS = "email,name,group,assesses\nann@example.org,Ann Example,gp_practice,01A\n"
#: the sign-in page's limit per client address (survey/auth/routes.py)
SIGN_INS_PER_MINUTE = 10


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("deployment")) as running:
        yield running


@pytest.fixture(scope="module")
def survey_link(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> str:
    [link] = seed_round(stack, tmp_path_factory.mktemp("lists"), ORGANISATIONS, STAKEHOLDERS)
    return link.removeprefix(stack.url)


def _wrong_password(
    stack: Stack, source: str, forwarded_for: str | None = None, email: str = "mo@example.nhs.uk"
) -> int:
    visitor = stack.visitor(source)
    spoof = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    page = visitor.get("/auth/login", **spoof)
    form = {"csrf_token": page.csrf_token(), "email": email, "password": "guess"}
    return visitor.post("/auth/login", form, **spoof).status


def test_sign_in_limits_count_the_real_client_in_redis_whatever_it_claims(stack: Stack) -> None:
    # each attempt claims another address and opens a new connection (so both workers serve);
    # each names another account, so only the limit per address is met
    statuses = [
        _wrong_password(
            stack,
            "127.0.0.2",
            forwarded_for=f"203.0.113.{attempt}",
            email=f"mo{attempt}@example.nhs.uk",
        )
        for attempt in range(SIGN_INS_PER_MINUTE + 2)
    ]
    assert statuses[:SIGN_INS_PER_MINUTE] == [400] * SIGN_INS_PER_MINUTE, statuses
    assert statuses[SIGN_INS_PER_MINUTE:] == [429, 429]
    # a colleague elsewhere is not throttled by it
    assert _wrong_password(stack, "127.0.0.3") == 400
    counted = {key.decode() for key in redis.Redis(port=stack.redis_port).scan_iter("*auth.login*")}
    assert any("127.0.0.2" in key for key in counted), counted
    assert not any("203.0.113" in key for key in counted), counted
    # the counts per account are keyed by a hash: Redis never holds an address
    assert any("account:" in key for key in counted), counted
    assert not any("example.nhs.uk" in key for key in counted), counted


def test_a_dead_link_scanner_is_throttled_but_a_valid_link_from_its_address_is_not(
    stack: Stack, survey_link: str
) -> None:
    scanner = stack.visitor("127.0.0.4")
    statuses = [scanner.get(f"/s/not-a-real-link-{n:04d}").status for n in range(35)]
    assert statuses[:30] == [404] * 30 and statuses[30:] == [429] * 5
    assert scanner.get(survey_link).status == 200
    assert scanner.get(f"{survey_link}/1").status == 200


def test_a_refused_post_says_why_in_the_log_without_the_token(
    stack: Stack, survey_link: str
) -> None:
    visitor = stack.visitor("127.0.0.5")
    assert visitor.get("/auth/login").status == 200
    refused = visitor.post("/auth/login", {"email": "someone@example.org", "password": "x"})
    assert refused.status == 400
    assert "refused POST /auth/login: The CSRF token is missing." in stack.app_log
    # A respondent page posted without its key keeps the answers and says so, and neither log
    # holds the link.
    assert visitor.get(f"{survey_link}/1").status == 200
    unverified = visitor.post(f"{survey_link}/1", {"action": "continue"})
    assert unverified.status == 400 and "sent without its check code" in unverified.text
    token = survey_link.rsplit("/", 1)[1]
    assert token not in stack.app_log and token not in stack.access_log


def test_health_through_the_proxy_and_plain_http_goes_to_https(stack: Stack) -> None:
    reply = stack.visitor().get("/health")
    assert reply.status == 200
    health = json.loads(reply.text)
    assert health["database"] == "reachable" and health["migrations"] == "current", health
    plain = stack.plain_get("/s/some-link-token-aaaaaaaaaaaa")
    assert plain.status == 301 and plain.headers["location"].startswith("https://")
    assert "some-link-token" not in stack.access_log


def test_pages_know_they_are_on_https_behind_the_proxy(stack: Stack) -> None:
    reply = stack.visitor().get("/auth/login")
    cookie = reply.headers.get("set-cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie, cookie
    assert reply.headers["strict-transport-security"].startswith("max-age=")
    assert reply.headers["referrer-policy"] == "same-origin"
