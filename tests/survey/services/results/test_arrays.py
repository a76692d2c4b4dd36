"""The adapter hands the analysis engine exactly what was stored, and suppression holds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from survey.models import Response
from survey.services.results.arrays import analyse, round_responses
from tests.survey.stored import respond


def _answer(
    db: Any, make_invitation: Any, survey_round: Any, organisation: Any, group: str, value: dict
) -> None:
    respond(db, make_invitation, survey_round, organisation, {"overall_relationship": value}, group)


def test_stored_answers_become_the_engines_arrays_and_results(
    db: Any, make_invitation: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round()
    alpha, beta = make_organisation(code="01A"), make_organisation(code="02B")
    # Alpha: six GP practices (5, 5, 4, 2, 1, don't know); one local authority (suppressed).
    for value in (
        {"score": 5},
        {"score": 5},
        {"score": 4},
        {"score": 2},
        {"score": 1},
        {"dont_know": True},
    ):
        _answer(db, make_invitation, survey_round, alpha, "gp_practice", value)
    _answer(db, make_invitation, survey_round, alpha, "local_authority", {"score": 3})
    for score in (4, 4, 4, 4, 4):
        _answer(db, make_invitation, survey_round, beta, "gp_practice", {"score": score})
    make_invitation(
        survey_round=survey_round, organisation=beta, group="gp_practice"
    )  # invited, silent

    arrays = round_responses(survey_round)
    assert arrays.scores.shape == (12, len(arrays.item_labels))
    column = arrays.item_labels.index("overall_relationship")
    alpha_rows = arrays.organisation == arrays.organisation_labels.index("01A")
    assert sorted(np.nan_to_num(arrays.scores[alpha_rows, column]).tolist()) == [
        0,
        1,
        2,
        3,
        4,
        5,
        5,
    ]
    assert arrays.dont_know[alpha_rows, column].sum() == 1
    assert (
        arrays.invited[
            arrays.organisation_labels.index("02B"), arrays.group_labels.index("gp_practice")
        ]
        == 6
    )

    table = analyse(survey_round)
    alpha_all = next(
        table.filter(
            organisation="01A", group="All stakeholders", unit="overall_relationship"
        ).rows()
    )
    assert alpha_all["n"] == 6 and math.isclose(alpha_all["positive"], 3 / 6)
    assert math.isclose(alpha_all["negative"], 2 / 6) and math.isclose(
        alpha_all["dont_know"], 1 / 7
    )
    assert math.isclose(alpha_all["mean"], (5 + 5 + 4 + 2 + 1 + 3) / 6)
    assert alpha_all["positive_low"] < 0.5 < alpha_all["positive_high"]
    # The lone local authority answer is hidden, and so are the GP practices: otherwise the
    # local authority's answer would be "all stakeholders" minus "GP practices".
    for group in ("local_authority", "gp_practice"):
        row = next(
            table.filter(organisation="01A", group=group, unit="overall_relationship").rows()
        )
        assert row["suppressed"] and math.isnan(row["n"]) and math.isnan(row["positive"])
    beta_gp = next(
        table.filter(organisation="02B", group="gp_practice", unit="overall_relationship").rows()
    )
    assert not beta_gp["suppressed"] and beta_gp["n"] == 5 and beta_gp["positive"] == 1.0
    assert math.isclose(beta_gp["response_rate"], 5 / 6)


def test_the_results_export_carries_no_number_for_a_suppressed_cell(
    db: Any,
    runner: Any,
    make_invitation: Any,
    make_round: Any,
    make_organisation: Any,
    tmp_path: Any,
) -> None:
    import csv

    survey_round = make_round()
    alpha = make_organisation(code="01A")
    for score in (5, 4, 4, 3, 2, 5):
        _answer(db, make_invitation, survey_round, alpha, "gp_practice", {"score": score})
    _answer(db, make_invitation, survey_round, alpha, "healthwatch", {"score": 1})
    result = runner.invoke(
        args=["export", "results", str(survey_round.id), "-o", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines()))
    cells = {(r["group"], r["unit"]): r for r in rows if r["organisation"] == "01A"}
    everyone = cells[("All stakeholders", "overall_relationship")]
    assert everyone["n"] == "7" and everyone["suppressed"] == "no"
    for group in ("healthwatch", "gp_practice"):
        hidden = cells[(group, "overall_relationship")]
        assert hidden["suppressed"] == "yes"
        assert hidden["n"] == hidden["positive"] == hidden["mean"] == ""


def test_the_population_of_an_item_is_the_groups_the_questionnaire_routes_to_it(
    db: Any, make_invitation: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round()
    alpha = make_organisation(code="01A")
    for score in (5, 4, 4, 2, 1):
        _answer(db, make_invitation, survey_round, alpha, "gp_practice", {"score": score})
    # Three Healthwatch stakeholders are invited and none of them answers: they are asked
    # "eng_responds_healthwatch" (routed to healthwatch only) and "overall_relationship".
    for _ in range(3):
        make_invitation(survey_round=survey_round, organisation=alpha, group="healthwatch")
    db.session.commit()

    arrays = round_responses(survey_round)
    groups, items = arrays.group_labels, arrays.item_labels
    hw_item = items.index("eng_responds_healthwatch")
    assert arrays.routing[:, hw_item].tolist() == [g == "healthwatch" for g in groups]
    assert arrays.routing[:, items.index("overall_relationship")].all()

    table = analyse(survey_round)

    def all_row(unit: str) -> dict[str, Any]:
        return next(table.filter(organisation="01A", group="All stakeholders", unit=unit).rows())

    # 5 GPs + 3 silent Healthwatch, whom the questionnaire asks: N = 8, not 5.
    overall = all_row("overall_relationship")
    assert overall["n"] == 5 and overall["n_invited"] == 8
    assert math.isclose(overall["response_rate"], 5 / 8)
    # Asked of Healthwatch only, answered by nobody: N = 3, rate 0, never above 100%.
    only_hw = all_row("eng_responds_healthwatch")
    assert only_hw["n"] == 0 and only_hw["n_invited"] == 3 and only_hw["response_rate"] == 0
    rates = table.response_rate[~np.isnan(table.response_rate)]
    assert np.all(rates <= 1.0)


def test_the_questionnaires_families_are_reported_and_never_show_a_hidden_groups_silence(
    db: Any, make_invitation: Any, make_round: Any, make_organisation: Any
) -> None:
    survey_round = make_round()
    alpha = make_organisation(code="01A")
    for score in (5, 4, 4, 3, 2, 5):
        respond(
            db,
            make_invitation,
            survey_round,
            alpha,
            {"overall_relationship": {"score": score}},
            "gp_practice",
        )
    # Two Healthwatch stakeholders (below k = 5) both say "don't know" to the one item asked
    # of Healthwatch only.
    for score in (4, 2):
        respond(
            db,
            make_invitation,
            survey_round,
            alpha,
            {
                "overall_relationship": {"score": score},
                "eng_responds_healthwatch": {"dont_know": True},
            },
            "healthwatch",
        )
    arrays = round_responses(survey_round)
    assert arrays.family_labels == (
        "gp_members",
        "nhs_partners",
        "local_government",
        "patients_public",
    )
    family_of = dict(zip(arrays.group_labels, arrays.group_family.tolist(), strict=True))
    assert family_of["healthwatch"] == family_of["vcse"] == 3
    assert family_of["gp_practice"] == 0

    table = analyse(survey_round).filter(organisation="01A")
    only_hw = {r["group"]: r for r in table.filter(unit="eng_responds_healthwatch").rows()}
    # Publishing n = 0 for everyone, or for Patients, public and voluntary sector, would say
    # that both Healthwatch stakeholders said "don't know".
    for label in ("All stakeholders", "patients_public", "healthwatch"):
        assert only_hw[label]["suppressed"], label
        assert math.isnan(only_hw[label]["n"]) and math.isnan(only_hw[label]["dont_know"])
    overall = {r["group"]: r for r in table.filter(unit="overall_relationship").rows()}
    assert overall["All stakeholders"]["n"] == 8 and not overall["All stakeholders"]["suppressed"]
    # the GPs (and their family of one group) are hidden beside the two Healthwatch answers
    for label in ("gp_practice", "gp_members", "healthwatch", "patients_public"):
        assert overall[label]["suppressed"], label
    assert table.filter(group="patients_public").is_family.all()
    # groups nobody was invited from say "no responses", never "fewer than 5"
    for label in ("vcse", "nhs_partners", "local_government", "regulator"):
        assert not table.filter(group=label).suppressed.any(), label
        assert (table.filter(group=label).n == 0).all(), label


def test_a_response_packed_for_another_item_list_stops_the_load_naming_its_cell(
    db: Any, make_invitation: Any, make_round: Any, make_organisation: Any
) -> None:
    """Packed bytes that are not one per scale item would shift every later answer into the
    wrong item: the load refuses them rather than report wrong numbers."""
    survey_round, alpha = make_round(), make_organisation(code="01A")
    for score in (4, 2):
        _answer(db, make_invitation, survey_round, alpha, "gp_practice", {"score": score})
    first = db.session.scalars(select(Response)).first()
    assert first is not None
    first.scale_answers = first.scale_answers[:-1]
    db.session.commit()

    with pytest.raises(ValueError, match=rf"from 'gp_practice' hold {len(first.scale_answers)} to"):
        round_responses(survey_round)
