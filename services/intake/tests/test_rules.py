"""The content rules (docs/reports.md), and intake's service class with worker_factory."""
import pytest
from nameko.testing.services import worker_factory

from minyi_common.db import Database
from minyi_common.errors import Conflict, Forbidden, ValidationFailed
from minyi_common.contracts import load_report_input
from services.intake.adapters.orm import metadata
from services.intake.service import IntakeService

from .test_intake_service import AUTHOR, GOOD


@pytest.mark.parametrize("change,field", [
    ({"title": "四个字"}, "title"),
    ({"title": "长" * 61}, "title"),
    ({"title": "关于农村饮水\n安全的建议"}, "title"),  # one line: it becomes email subjects
    ({"title": "关于农村饮水\t安全的建议"}, "title"),
    ({"situation": ""}, "situation"),
    ({"analysis": "析" * 1501}, "analysis"),
    ({"suggestions": "建议\x00"}, "suggestions"),
    ({"situation": "短", "analysis": "短", "suggestions": "短"}, "suggestions"),
    ({"category": "sports"}, "category"),
    ({"co_author_ids": ["a", "a"]}, "co_author_ids"),
    ({"co_author_ids": [str(i) for i in range(11)]}, "co_author_ids"),
    ({"consent_to_publish": "maybe"}, "consent_to_publish"),
    ({"colour": "red"}, "colour"),
])
def test_each_rule_names_its_field(change, field):
    with pytest.raises(ValidationFailed) as caught:
        load_report_input(dict(GOOD, **change))
    assert field in caught.value.errors


def test_text_is_kept_exactly_with_newlines_and_tabs():
    text = "第一段\n\t第二段  （含空格）\n"
    assert load_report_input(dict(GOOD, situation=GOOD["situation"] + text))["situation"] \
        .endswith(text)


@pytest.fixture
def intake(tmp_path):
    database = Database(f"sqlite:///{tmp_path}/intake.db", metadata)
    metadata.create_all(database.engine)
    yield worker_factory(IntakeService, db=database)
    database.dispose()


def test_the_service_class_stores_and_guards(intake):
    report = intake.create_report(AUTHOR, GOOD, "k")["report"]
    assert intake.get_report(AUTHOR, report["id"])["status"] == "submitted"
    with pytest.raises(Conflict):
        intake.create_report(AUTHOR, dict(GOOD, title="另一个不同的标题"), "k")
    with pytest.raises(Conflict):  # a submitted report is not edited
        intake.update_report(AUTHOR, report["id"], GOOD)
    editor = {"id": "e", "roles": ["editor"], "unit_ids": []}
    with pytest.raises(Forbidden):
        intake.create_report(editor, GOOD)
    with pytest.raises(ValidationFailed) as caught:
        intake.create_report(AUTHOR, dict(GOOD, unit_id="not-mine", co_author_ids=["ghost"]))
    assert set(caught.value.errors) == {"unit_id", "co_author_ids"}
    assert intake.withdraw_report(AUTHOR, report["id"])["status"] == "withdrawn"
