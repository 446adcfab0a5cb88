"""Scoring's contracts: the rule table, score lines, standings, quotas, bulletins and
awards.
"""
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from .. import words
from .content import LEVELS, MODES


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
    version = fields.Integer()
    effective_from = fields.Date()
    coauthor_share = fields.Float()
    rules = fields.List(fields.Nested(Rule))
    created_at = fields.AwareDateTime()


class LineSchema(Schema):
    report_id = fields.String()
    role = fields.String()
    event = fields.String()
    level = fields.String()
    mode = fields.String(allow_none=True)
    points = fields.Float()
    rule_version = fields.Integer()
    date = fields.Date(attribute="event_date")


class ScoreCheck(Schema):
    reports_checked = fields.Integer()
    drifted_reports = fields.List(fields.String())
    drifted_totals = fields.List(fields.String(), metadata={
        "description": "subject kind:id:quarter whose totals differ from their lines"})
    ok = fields.Boolean()


class Scores(Schema):
    person_id = fields.String()
    unit_id = fields.String()
    period = fields.String()
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    points = fields.Float()
    lines = fields.List(fields.Nested(LineSchema))


class StandingRow(Schema):
    id = fields.String()
    name = fields.String()
    submitted = fields.Integer()
    adopted = fields.Integer()
    upstream_adopted = fields.Integer()
    instructions = fields.Integer()
    points = fields.Float()
    rank = fields.Integer()


class Standings(Schema):
    period = fields.String()
    kind = fields.String()
    items = fields.List(fields.Nested(StandingRow))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class PublishedBulletin(Schema):
    period = fields.String()
    period_words = fields.String()
    title = fields.String()
    published_at = fields.AwareDateTime()


class PublishedBulletins(Schema):
    items = fields.List(fields.Nested(PublishedBulletin))
    total = fields.Integer()


class BulletinRow(StandingRow):
    kind = fields.String(metadata={"description": "a unit's kind"})
    unit_names = fields.List(fields.String(), metadata={"description": "a person's units"})


class OfficeFigures(Schema):
    """The whole office's figures for a period: reports, not points (co-authors do not
    count a report twice)."""
    submitted = fields.Integer()
    adopted = fields.Integer()
    upstream_adopted = fields.Integer()
    instructions = fields.Integer()


class UnitGroup(Schema):
    kind = fields.String()
    kind_name = fields.String()
    rows = fields.List(fields.Nested(BulletinRow))


class Bulletin(Schema):
    period = fields.String()
    period_words = fields.String(metadata={"example": "2026年第三季度"})
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    title = fields.String()
    published_at = fields.AwareDateTime(allow_none=True)
    summary = fields.Nested(OfficeFigures)
    previous_period = fields.String(allow_none=True)
    previous = fields.Nested(OfficeFigures, allow_none=True)
    units = fields.List(fields.Nested(BulletinRow))
    unit_groups = fields.List(fields.Nested(UnitGroup))
    officers = fields.List(fields.Nested(BulletinRow))
    members = fields.List(fields.Nested(BulletinRow))
    people = fields.List(fields.Nested(BulletinRow))


class AwardedUnit(StandingRow):
    award = fields.String()


class NotableReport(Schema):
    report_id = fields.String()
    title = fields.String()
    # None when the author did not consent to publication (是否同意公开); then ``credit``
    # says whom the report is credited to (本刊编辑部).
    author_id = fields.String(allow_none=True)
    credit = fields.String(allow_none=True)


class Awards(Schema):
    period = fields.String()
    advanced_units = fields.List(fields.Nested(AwardedUnit))
    excellent_officers = fields.List(fields.Nested(StandingRow))
    excellent_reports = fields.List(fields.Nested(NotableReport))


class QuotaRow(Schema):
    person_id = fields.String()
    name = fields.String()
    roles = fields.List(fields.String())
    unit_ids = fields.List(fields.String())
    quota = fields.Integer()
    submitted = fields.Integer()
    owed = fields.Integer()


class Quota(Schema):
    year = fields.Integer()
    items = fields.List(fields.Nested(QuotaRow))
    total = fields.Integer()


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
