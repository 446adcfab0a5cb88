"""The editorial state machine (SPEC §4), free of any framework."""
from datetime import date

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from minyi_common.errors import Conflict, ValidationFailed
from minyi_common.events import LEVELS, MODES, OUTCOME_KINDS
from minyi_common.schemas import plain_text

PENDING = ("submitted", "resubmitted")
# What an author may still withdraw (SPEC §4); a decided report stays decided.
WITHDRAWABLE = PENDING + ("returned",)
REJECT_REASONS = {
    "petition": "信访", "litigation": "涉诉", "personnel": "人事", "secret": "涉密",
    "privacy": "个人隐私或商业秘密", "local_matter": "镇办可解决，不再上报",
    "out_of_jurisdiction": "不属于政协职责范围", "duplicate": "重复", "plagiarism": "抄袭",
    "no_suggestion": "缺少分析建议", "other": "其他",
}

# decision → (statuses it may be taken from, status it leaves). Decisions are final,
# except that a retained report may still be adopted (SPEC §4).
DECISIONS = {
    "return": (PENDING, "returned"),
    "retain": (PENDING, "retained"),
    "reject": (PENDING, "rejected"),
    "adopt": (PENDING + ("retained",), "adopted"),
}


def _comment(required: bool):
    rules = [validate.Length(min=1 if required else 0, max=2000), plain_text]
    if required:
        return fields.String(required=True, validate=rules)
    return fields.String(load_default=None, allow_none=True, validate=rules)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ReturnInput(_Strict):
    comment = _comment(True)


class RetainInput(_Strict):
    comment = _comment(False)


class RejectInput(_Strict):
    reason_code = fields.String(required=True, validate=validate.OneOf(tuple(REJECT_REASONS)))
    comment = _comment(True)


class AdoptInput(_Strict):
    title = fields.String(validate=[validate.Length(min=5, max=60), plain_text])
    analysis = fields.String(validate=[validate.Length(min=1, max=3000), plain_text])
    suggestions = fields.String(validate=[validate.Length(min=1, max=3000), plain_text])
    issue_id = fields.String(load_default=None, allow_none=True)
    comment = _comment(False)


class OutcomeInput(_Strict):
    kind = fields.String(required=True, validate=validate.OneOf(OUTCOME_KINDS))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    date = fields.Date(required=True)
    mode = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(MODES))
    target = fields.String(load_default=None, allow_none=True,
                           validate=[validate.Length(max=100), plain_text])
    leader = fields.String(load_default=None, allow_none=True,
                           validate=[validate.Length(max=100), plain_text])
    text = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=2000), plain_text])

    @validates_schema
    def _kind_needs(self, data, **_):
        if data.get("kind") == "upstream_adopted" and not data.get("mode"):
            raise ValidationError("Upstream adoption needs a mode (single or merged).", "mode")
        if data.get("kind") == "instructed" and not data.get("leader"):
            raise ValidationError("An instruction needs the leader's title.", "leader")
        if data.get("date") and data["date"] > date.today():
            raise ValidationError("The date cannot be in the future.", "date")


class MergeInput(_Strict):
    report_ids = fields.List(fields.String(), required=True,
                             validate=validate.Length(min=2, max=50))
    title = fields.String(required=True, validate=[validate.Length(min=5, max=60), plain_text])
    situation = fields.String(load_default=None, allow_none=True,
                              validate=[validate.Length(min=1, max=6000), plain_text])
    analysis = fields.String(required=True, validate=[validate.Length(min=1, max=6000),
                                                      plain_text])
    suggestions = fields.String(required=True, validate=[validate.Length(min=1, max=6000),
                                                         plain_text])
    issue_id = fields.String(load_default=None, allow_none=True)
    comment = _comment(False)

    @validates_schema
    def _distinct(self, data, **_):
        ids = data.get("report_ids") or []
        if len(set(ids)) != len(ids):
            raise ValidationError("A report can be merged only once.", "report_ids")


class IssueInput(_Strict):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2999))
    number = fields.Integer(required=True, validate=validate.Range(min=1, max=999))
    published_on = fields.Date(load_default=None, allow_none=True)
    piece_ids = fields.List(fields.String(), load_default=list)


INPUTS = {"return": ReturnInput, "retain": RetainInput, "reject": RejectInput,
          "adopt": AdoptInput, "outcomes": OutcomeInput, "merge": MergeInput,
          "issue": IssueInput}


def load_input(action: str, payload) -> dict:
    if not isinstance(payload, dict):
        raise ValidationFailed("the body must be a JSON object", {"_body": ["Not an object."]})
    try:
        return INPUTS[action]().load(payload)
    except ValidationError as exc:
        raise ValidationFailed("some fields are invalid", exc.messages) from None


def load_merge(payload) -> dict:
    return load_input("merge", payload)


def next_status(action: str, current: str) -> str:
    allowed, target = DECISIONS[action]
    if current not in allowed:
        raise Conflict(f"cannot {action} a report that is {current}")
    return target


def check_outcome(case_status: str, outcome: dict, own_level: str) -> None:
    if case_status != "adopted":
        raise Conflict(f"outcomes are recorded on adopted reports; this one is {case_status}")
    rank = LEVELS.index
    if rank(outcome["level"]) < rank(own_level):
        raise ValidationFailed("level below this office", {
            "level": [f"Outcomes are recorded at {own_level} level or above."]})
    if outcome["kind"] == "upstream_adopted" and rank(outcome["level"]) <= rank(own_level):
        raise ValidationFailed("upstream means above this office", {
            "level": [f"An upstream adoption is above {own_level} level."]})
