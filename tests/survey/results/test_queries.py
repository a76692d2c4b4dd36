"""A dashboard GET's cost in database statements: the round's latest release is looked up once
and passed to every part of the page, and a release's parts are read once per process (issue
#11: a dashboard GET served from a release at 200k responses in at most 100 ms)."""

from __future__ import annotations

from typing import Any

from tests.survey.respond.test_queries import _control, _statements
from tests.survey.results.conftest import Seeded


def test_a_dashboard_get_finds_the_release_once_and_reads_none_of_its_stored_parts_again(
    app: Any, client: Any, seeded: Seeded, make_user: Any, sign_in: Any
) -> None:
    sign_in(make_user(role="commissioner", organisation=seeded.alpha))
    path = f"/results/{seeded.alpha.code}?round={seeded.survey_round.id}"
    assert client.get(path).status_code == 200  # the first in this process reads the release
    with _statements(app) as seen:
        page = client.get(path)
    assert page.status_code == 200
    assert "Alpha comment number" in page.get_data(as_text=True)  # comments from the release
    reads = [s for s in seen if not _control(s)]
    releases = [s for s in reads if s.startswith("SELECT results_release.id")]
    assert len(releases) == 1, releases
    # the stored table, alpha, local questions and comments come from this process's memo
    assert not any("results_release.extras" in s or "results_release.table" in s for s in reads)
    # the account, the organisation, its rounds, the release, the assessment and the trend's
    # rounds (16 statements, six of them for the release, before it was passed down)
    assert len(reads) <= 10, reads
