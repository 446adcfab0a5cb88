"""The editorial state machine, without a database."""
import pytest

from minyi_common.errors import Conflict, ValidationFailed
from services.review import domain

STATUSES = ("submitted", "resubmitted", "returned", "retained", "rejected", "adopted",
            "withdrawn")
ALLOWED = {
    "return": {"submitted": "returned", "resubmitted": "returned"},
    "retain": {"submitted": "retained", "resubmitted": "retained"},
    "reject": {"submitted": "rejected", "resubmitted": "rejected"},
    "adopt": {"submitted": "adopted", "resubmitted": "adopted", "retained": "adopted"},
}


@pytest.mark.parametrize("action", sorted(ALLOWED))
@pytest.mark.parametrize("status", STATUSES)
def test_every_transition_and_every_refusal(action, status):
    if status in ALLOWED[action]:
        assert domain.next_status(action, status) == ALLOWED[action][status]
    else:
        with pytest.raises(Conflict):
            domain.next_status(action, status)


def test_inputs_name_their_fields():
    with pytest.raises(ValidationFailed) as caught:
        domain.load_input("reject", {"reason_code": "weather"})
    assert set(caught.value.errors) == {"reason_code", "comment"}
    with pytest.raises(ValidationFailed) as caught:
        domain.load_input("return", {"comment": ""})
    assert set(caught.value.errors) == {"comment"}
    with pytest.raises(ValidationFailed) as caught:
        domain.load_input("outcomes", {"kind": "instructed", "level": "city",
                                       "date": "2026-01-05"})
    assert set(caught.value.errors) == {"leader"}


def test_outcomes_need_an_adopted_report_and_a_level_at_or_above_the_office():
    outcome = domain.load_input("outcomes", {"kind": "upstream_adopted", "level": "county",
                                             "mode": "single", "date": "2026-01-05"})
    with pytest.raises(Conflict):
        domain.check_outcome("retained", outcome, "county")
    with pytest.raises(ValidationFailed):
        domain.check_outcome("adopted", outcome, "county")  # upstream is above county
    with pytest.raises(ValidationFailed):
        domain.check_outcome("adopted", dict(outcome, kind="instructed"), "city")
    domain.check_outcome("adopted", dict(outcome, level="province"), "county")
