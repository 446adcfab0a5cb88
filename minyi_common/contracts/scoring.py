"""Scoring's contracts: the rule table, score lines, standings, quotas, bulletins and
awards.
"""
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .. import words
from .content import LEVELS, MODES, one_line as one_line_text, plain_text as plain_text_value


SCORING_EVENTS = tuple(words.SCORE_EVENTS)


DEFAULT_COAUTHOR_SHARE = Decimal("0.5")


class RuleInput(Schema):
    class Meta:
        unknown = RAISE
    event = fields.String(required=True, validate=validate.OneOf(SCORING_EVENTS))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    mode = fields.String(load_default=None, allow_none=True,
                         validate=validate.OneOf(MODES))
    points = fields.Decimal(required=True, places=2, validate=validate.Range(min=0, max=1000))


class RuleSetInput(Schema):
    class Meta:
        unknown = RAISE
    effective_from = fields.Date(required=True)
    coauthor_share = fields.Decimal(load_default=DEFAULT_COAUTHOR_SHARE, places=3,
                                    validate=validate.Range(min=0, max=1))
    rules = fields.List(fields.Nested(RuleInput), required=True,
                        validate=validate.Length(min=1, max=200))

    @validates_schema
    def _one_rule_per_case(self, data, **_):
        keys = [(r["event"], r["level"], r.get("mode")) for r in data.get("rules", [])]
        if len(set(keys)) != len(keys):
            raise ValidationError("Each (event, level, mode) may appear once.", "rules")


class Rule(Schema):
    event = fields.String(required=True, validate=validate.OneOf(SCORING_EVENTS))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    mode = fields.String(allow_none=True, validate=validate.OneOf(MODES))
    points = fields.String(required=True, metadata={"description": "a decimal, as text: 5, 0.5"})


class RuleSetOutput(Schema):
    version = fields.Integer(required=True)
    effective_from = fields.Date(required=True)
    coauthor_share = fields.Float(required=True)
    rules = fields.List(fields.Nested(Rule), required=True)
    created_at = fields.AwareDateTime(required=True)


class LineSchema(Schema):
    key = fields.String(required=True, metadata={
        "description": "stable across recomputations: appeal a line by it"})
    report_id = fields.String(required=True, metadata={
        "description": "the report, or the adjustment's id for an adjustment line"})
    role = fields.String(required=True)
    event = fields.String(required=True)
    level = fields.String(required=True)
    mode = fields.String(required=True, allow_none=True)
    points = fields.Float(required=True)
    rule_version = fields.Integer(required=True, metadata={
        "description": "the rule set version the points come from; 0 for an adjustment"})
    date = fields.Date(required=True, attribute="event_date")
    reason = fields.String(allow_none=True, metadata={"description": "an adjustment's reason"})
    appeal = fields.Dict(allow_none=True, metadata={
        "description": "the person's latest appeal of this line: {id, status, comment}"})


class ScoreCheck(Schema):
    reports_checked = fields.Integer(required=True)
    drifted_reports = fields.List(fields.String(), required=True)
    drifted_totals = fields.List(fields.String(), required=True, metadata={
        "description": "subject kind:id:quarter whose totals differ from their lines"})
    drifted_adjustments = fields.List(fields.String(), required=True, metadata={
        "description": "adjustments whose score line is missing or differs"})
    ok = fields.Boolean(required=True)


class Scores(Schema):
    person_id = fields.String()
    unit_id = fields.String()
    period = fields.String(required=True)
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    points = fields.Float(required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True)


class StandingRow(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    submitted = fields.Integer(required=True)
    adopted = fields.Integer(required=True)
    upstream_adopted = fields.Integer(required=True)
    instructions = fields.Integer(required=True)
    points = fields.Float(required=True)
    rank = fields.Integer(required=True)


class Standings(Schema):
    period = fields.String(required=True)
    kind = fields.String(required=True)
    items = fields.List(fields.Nested(StandingRow), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    page_size = fields.Integer(required=True)


class PublishedBulletin(Schema):
    period = fields.String(required=True)
    period_words = fields.String(required=True)
    title = fields.String(required=True)
    published_at = fields.AwareDateTime(required=True)


class PublishedBulletins(Schema):
    items = fields.List(fields.Nested(PublishedBulletin), required=True)
    total = fields.Integer(required=True)


class BulletinRow(StandingRow):
    kind = fields.String(metadata={"description": "a unit's kind"})
    unit_names = fields.List(fields.String(), metadata={"description": "a person's units"})


class OfficeFigures(Schema):
    """The whole office's figures for a period: reports, not points (co-authors do not
    count a report twice)."""
    submitted = fields.Integer(required=True)
    adopted = fields.Integer(required=True)
    upstream_adopted = fields.Integer(required=True)
    instructions = fields.Integer(required=True)


class HandoffFigures(Schema):
    """Hand-offs (转办) in a period: made, first replied to (办复), and the authors'
    ratings given."""
    handed_off = fields.Integer(required=True)
    replied = fields.Integer(required=True)
    satisfied = fields.Integer(required=True)
    basically_satisfied = fields.Integer(required=True)
    dissatisfied = fields.Integer(required=True)


class UnitGroup(Schema):
    kind = fields.String(required=True)
    kind_name = fields.String(required=True)
    rows = fields.List(fields.Nested(BulletinRow), required=True)


class TopicFigures(Schema):
    """年度选题: the reports on a topic in a period, and how many were adopted."""
    topic_id = fields.String(required=True)
    title = fields.String(required=True)
    submitted = fields.Integer(required=True)
    adopted = fields.Integer(required=True)


class Bulletin(Schema):
    period = fields.String(required=True)
    period_words = fields.String(required=True, metadata={"example": "2026年第三季度"})
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    title = fields.String(required=True)
    published_at = fields.AwareDateTime(required=True, allow_none=True)
    summary = fields.Nested(OfficeFigures, required=True)
    previous_period = fields.String(required=True, allow_none=True)
    previous = fields.Nested(OfficeFigures, allow_none=True, required=True)
    handoffs = fields.Nested(HandoffFigures, required=True)
    topics = fields.List(fields.Nested(TopicFigures), required=True)
    units = fields.List(fields.Nested(BulletinRow), required=True)
    unit_groups = fields.List(fields.Nested(UnitGroup), required=True)
    officers = fields.List(fields.Nested(BulletinRow), required=True)
    members = fields.List(fields.Nested(BulletinRow), required=True)
    people = fields.List(fields.Nested(BulletinRow), required=True)


class AwardedUnit(StandingRow):
    award = fields.String(required=True)


class NotableReport(Schema):
    report_id = fields.String(required=True)
    title = fields.String(required=True)
    # None when the author did not consent to publication (是否同意公开); then ``credit``
    # says whom the report is credited to (本刊编辑部).
    author_id = fields.String(required=True, allow_none=True)
    author_name = fields.String(required=True, allow_none=True)
    credit = fields.String(required=True, allow_none=True)


class AwardedOfficer(StandingRow):
    unit_names = fields.List(fields.String(), required=True)


class Awards(Schema):
    period = fields.String(required=True)
    period_words = fields.String(required=True, metadata={"description": "2025—2026年"})
    advanced_units = fields.List(fields.Nested(AwardedUnit), required=True)
    excellent_officers = fields.List(fields.Nested(AwardedOfficer), required=True)
    excellent_reports = fields.List(fields.Nested(NotableReport), required=True)


class QuotaRow(Schema):
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    unit_ids = fields.List(fields.String(), required=True)
    quota = fields.Integer(required=True)
    submitted = fields.Integer(required=True)
    owed = fields.Integer(required=True)


class Quota(Schema):
    year = fields.Integer(required=True)
    items = fields.List(fields.Nested(QuotaRow), required=True)
    total = fields.Integer(required=True)


# Who owes reports a year and is ranked as a person: members and officers.
QUOTA_ROLES = ("member", "officer")


class QuotaInput(Schema):
    class Meta:
        unknown = RAISE
    role = fields.String(required=True, validate=validate.OneOf(QUOTA_ROLES))
    year = fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=2000, max=2999))
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))


class RemindersInput(Schema):
    class Meta:
        unknown = RAISE
    on = fields.Date(allow_none=True)


class RemindersAnswer(Schema):
    sent = fields.Integer()


def _said(value: str) -> None:
    if not value.strip():
        raise ValidationError("Give a reason.")


class AdjustmentInput(Schema):
    """积分调整: points added (or, negative, taken) by hand, with the reason."""
    class Meta:
        unknown = RAISE
    subject_kind = fields.String(required=True, validate=validate.OneOf(("person", "unit")))
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=36))
    points = fields.Decimal(required=True, places=2,
                            validate=[validate.Range(min=-1000, max=1000),
                                      validate.NoneOf((Decimal(0),),
                                                      error="Not zero.")])
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=200),
                                                    one_line_text, _said])
    on = fields.Date(required=True, metadata={"description": "the day it counts on"})
    appeal_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "the appeal it settles, if any"})


class AdjustmentSchema(Schema):
    id = fields.String(required=True)
    subject_kind = fields.String(required=True)
    subject_id = fields.String(required=True)
    points = fields.Float(required=True)
    reason = fields.String(required=True)
    on = fields.Date(required=True)
    appeal_id = fields.String(allow_none=True)
    created_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class AppealInput(Schema):
    class Meta:
        unknown = RAISE
    line_key = fields.String(required=True, validate=validate.Length(min=1, max=40))
    reason = fields.String(required=True, validate=[validate.Length(min=1, max=500),
                                                    plain_text_value, _said])


class AppealResolution(Schema):
    class Meta:
        unknown = RAISE
    accepted = fields.Boolean(required=True)
    comment = fields.String(required=True, validate=[validate.Length(min=1, max=500),
                                                     plain_text_value, _said])


# 申诉 states: filed and open, then accepted or rejected by an editor.
APPEAL_STATUSES = ("open", "accepted", "rejected")


class AppealSchema(Schema):
    id = fields.String(required=True)
    line_key = fields.String(required=True)
    person_id = fields.String(required=True)
    person_name = fields.String(allow_none=True)
    line = fields.Dict(required=True, metadata={"description": "the line when appealed"})
    reason = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(APPEAL_STATUSES))
    comment = fields.String(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime(required=True)


class RecordYear(Schema):
    year = fields.Integer(required=True)
    quota = fields.Integer(required=True)
    submitted = fields.Integer(required=True)
    met = fields.Boolean(required=True)


class RecordReport(Schema):
    report_id = fields.String(required=True)
    title = fields.String(required=True)
    submitted_on = fields.String(required=True)
    credit = fields.String(required=True, validate=validate.OneOf(("author", "co_author")))
    status = fields.String(required=True)
    status_words = fields.String(required=True)
    decided_on = fields.String(allow_none=True)
    outcomes = fields.List(fields.String(), required=True, metadata={
        "description": "each outcome as words: 2026年5月12日 市级上级采用"})


class RecordFigures(Schema):
    submitted = fields.Integer(required=True)
    adopted = fields.Integer(required=True)
    upstream_adopted = fields.Integer(required=True)
    instructions = fields.Integer(required=True)
    points = fields.Float(required=True)


class MemberRecord(Schema):
    """履职档案 of one person over a period (a term: term:十五届)."""
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    unit_names = fields.List(fields.String(), required=True)
    period = fields.String(required=True)
    period_words = fields.String(required=True)
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    years = fields.List(fields.Nested(RecordYear), required=True)
    totals = fields.Nested(RecordFigures, required=True)
    reports = fields.List(fields.Nested(RecordReport), required=True)


class MemberRecordRow(RecordFigures):
    person_id = fields.String(required=True)
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    unit_names = fields.List(fields.String(), required=True)
    years = fields.List(fields.Nested(RecordYear), required=True)


class MemberRecords(Schema):
    period = fields.String(required=True)
    period_words = fields.String(required=True)
    from_ = fields.String(required=True, data_key="from")
    to = fields.String(required=True)
    items = fields.List(fields.Nested(MemberRecordRow), required=True)
    total = fields.Integer(required=True)
