"""The domain errors: one family (Assure360Error) that the pages and the commands translate in
one place, each raised by a real service with a message naming what is wrong, and a module that
stands on its own without Flask."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from survey.services import errors
from survey.services.audit import COMMAND_LINE
from survey.services.errors import (
    AlreadySubmitted,
    Assure360Error,
    DeadLink,
    InputError,
    NotAllowed,
    NotFound,
    RoundStateError,
)
from tests.survey.stored import submit_released

ERRORS_FILE = Path(errors.__file__)


def test_every_error_the_module_defines_is_an_assure360_error() -> None:
    defined = {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and value.__module__ == errors.__name__
    }
    assert set(defined) == {
        "Assure360Error",
        "InputError",
        "NotFound",
        "DeadLink",
        "AlreadySubmitted",
        "RoundStateError",
        "NotAllowed",
    }
    assert all(issubclass(value, Assure360Error) for value in defined.values())
    assert issubclass(Assure360Error, Exception) and not issubclass(Assure360Error, RuntimeError)


def test_input_and_not_found_are_also_the_builtin_errors_callers_expect() -> None:
    # code that catches ValueError / LookupError (click, WTForms validators) still sees them
    assert issubclass(InputError, ValueError) and issubclass(NotFound, LookupError)
    for error in (DeadLink, AlreadySubmitted, RoundStateError, NotAllowed):
        assert not issubclass(error, ValueError | LookupError)


@pytest.mark.parametrize(
    "error", [InputError, NotFound, DeadLink, AlreadySubmitted, RoundStateError, NotAllowed]
)
def test_the_message_is_exactly_what_was_raised(error: type[Assure360Error]) -> None:
    with pytest.raises(Assure360Error) as caught:
        raise error("row 3, column 'kind': 'hospital' is not one of ccg, direct")
    assert type(caught.value) is error
    assert str(caught.value) == "row 3, column 'kind': 'hospital' is not one of ccg, direct"


def test_opening_a_round_twice_is_a_round_state_error_that_changes_nothing(db, make_round) -> None:
    from sqlalchemy import select

    from survey.models import AuditEvent
    from survey.services.closing import close_round
    from survey.services.rounds import open_round

    survey_round = make_round(status="open", year=2041)
    with pytest.raises(RoundStateError, match="round 2041 is open; only a draft opens") as caught:
        open_round(COMMAND_LINE, survey_round)
    assert isinstance(caught.value, Assure360Error)
    close_round(COMMAND_LINE, survey_round)
    with pytest.raises(Assure360Error):
        close_round(COMMAND_LINE, survey_round)
    db.session.commit()

    actions = list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["round.create", "round.close"]  # one entry per move that happened


def test_services_raise_the_family_with_messages_that_name_the_thing(db, make_invitation) -> None:
    from survey.models import Invitation
    from survey.services.links import find_link
    from survey.services.organisations import organisation_by_code
    from survey.services.rounds import get_round
    from tests.survey.answering import save_answers

    with pytest.raises(NotFound, match="no survey round with id 999"):
        get_round(999)
    with pytest.raises(InputError, match="no organisation with code 'XX1'"):
        organisation_by_code("XX1")
    with pytest.raises(DeadLink, match="not a link of ours"):
        find_link("not-a-token", date.today())

    issued = make_invitation()
    invitation = db.session.get(Invitation, issued.invitation.id)
    save_answers(invitation, {"overall_relationship": {"score": 4}}, resume_section=1)
    submit_released(invitation, ["overall_relationship"])
    db.session.commit()
    with pytest.raises(AlreadySubmitted, match="already been used to submit a response"):
        save_answers(invitation, {"overall_relationship": {"score": 1}}, resume_section=1)


def test_the_module_imports_nothing_but_future_annotations() -> None:
    tree = ast.parse(ERRORS_FILE.read_text(encoding="utf-8"))
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert imported == ["__future__"]


def test_the_module_loads_and_works_without_flask_or_the_package() -> None:
    """Load the file on its own in a fresh interpreter: no Flask (nor survey/__init__) needed."""
    program = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("standalone_errors", {str(ERRORS_FILE)!r})
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
try:
    raise module.RoundStateError("round 2030 is closed")
except module.Assure360Error as error:
    print(type(error).__name__, error)
print(sorted(name for name in sys.modules if name.split(".")[0] in ("flask", "survey")))
"""
    result = subprocess.run(
        [sys.executable, "-I", "-c", program], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["RoundStateError round 2030 is closed", "[]"]
