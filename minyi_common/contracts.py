"""Request and answer bodies of the API, shared by the gateway (which documents them in
OpenAPI) and the service behind each route (which validates and answers with them).

Contracts only: no behaviour beyond field rules. Event bodies are in ``events``; the
principal, report input and paging in ``schemas``.
"""
from decimal import Decimal

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from . import officetime
from .events import LEVELS, MODES, OUTCOME_KINDS
from .schemas import ROLES, UNIT_KINDS, one_line, plain_text
from .topology import SUBSCRIPTIONS

REJECT_REASONS = {
    "petition": "信访", "litigation": "涉诉", "personnel": "人事", "secret": "涉密",
    "privacy": "个人隐私或商业秘密", "local_matter": "镇办可解决，不再上报",
    "out_of_jurisdiction": "不属于政协职责范围", "duplicate": "重复", "plagiarism": "抄袭",
    "no_suggestion": "缺少分析建议", "other": "其他",
}
SCORING_EVENTS = ("submitted", "accepted", "adopted", "forwarded", "upstream_adopted",
                  "department_adopted", "instructed")
DEFAULT_COAUTHOR_SHARE = Decimal("0.5")


def issue_label(year: int, number: int) -> str:
    """2026, 12 → 2026年第12期"""
    return f"{year}年第{number}期"


class HistorySchema(Schema):
    at = fields.AwareDateTime()
    actor_id = fields.String(allow_none=True)
    action = fields.String()
    comment = fields.String(allow_none=True)


class _ReportFields(Schema):
    """What a report says, who wrote it and what became of it: in intake's answers and
    review's alike."""
    status = fields.String()
    author_id = fields.String()
    co_author_ids = fields.List(fields.String())
    unit_id = fields.String(allow_none=True)
    title = fields.String()
    situation = fields.String()
    analysis = fields.String()
    suggestions = fields.String()
    category = fields.String()
    consent_to_publish = fields.Boolean()
    urgent = fields.Boolean()
    handoff_unit_id = fields.String(allow_none=True)
    decision = fields.Dict(allow_none=True)
    outcomes = fields.List(fields.Dict())


class ReportSchema(_ReportFields):
    """A report as intake answers it over RPC."""
    id = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime(allow_none=True)
    history = fields.List(fields.Nested(HistorySchema))


class CaseSchema(_ReportFields):
    """A report as review holds it: with the editor's edit and the piece it went into."""
    id = fields.String(attribute="report_id")
    submitted_at = fields.AwareDateTime()
    edited = fields.Dict(allow_none=True)
    piece_id = fields.String(allow_none=True)
    version = fields.Integer()
    similar = fields.List(fields.Dict())
    history = fields.List(fields.Nested(HistorySchema))


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


class QueueDays(_Strict):
    """The queue's date filter: office days (SPEC §12), both ends included."""
    submitted_from = fields.Date()
    submitted_to = fields.Date()


class RejectInput(_Strict):
    reason_code = fields.String(required=True, validate=validate.OneOf(tuple(REJECT_REASONS)))
    comment = _comment(True)
    handoff_unit_id = fields.String(load_default=None, allow_none=True, metadata={
        "description": "with local_matter: the town office (town_office unit) that takes "
                       "the matter on (转交); its unit admins see the report"})

    @validates_schema
    def _handoff_is_local(self, data, **_):
        if data.get("handoff_unit_id") and data.get("reason_code") != "local_matter":
            raise ValidationError("A hand-off goes with the reason local_matter.",
                                  "handoff_unit_id")


class AdoptInput(_Strict):
    """The editor's edit (核稿) of what is published; the author's text stays as written."""
    title = fields.String(validate=[validate.Length(min=5, max=60), one_line])
    situation = fields.String(validate=[validate.Length(min=1, max=3000), plain_text])
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
        if data.get("date") and data["date"] > officetime.today():
            raise ValidationError("The date cannot be in the future.", "date")


class MergeInput(_Strict):
    report_ids = fields.List(fields.String(), required=True,
                             validate=validate.Length(min=2, max=50))
    title = fields.String(required=True, validate=[validate.Length(min=5, max=60), one_line])
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


def _imprint_line(max_length: int):
    return fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=max_length), plain_text])


class IssueImprint(_Strict):
    """What the printed issue says besides its pieces: 总第M期, 签发 and the 版记 lines."""
    published_on = fields.Date(load_default=None, allow_none=True)
    total_number = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=99999))
    signed_by = _imprint_line(50)
    report_to = _imprint_line(200)
    send_to = _imprint_line(200)
    editor_name = _imprint_line(50)
    copies = fields.Integer(load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=10000))


class SpecialReportOptions(_Strict):
    """Query of GET /review/pieces/{id}/docx (专报)."""
    published_on = fields.Date(load_default=None, allow_none=True)
    signed_by = _imprint_line(50)
    report_to = _imprint_line(200)


class IssueInput(IssueImprint):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2999))
    number = fields.Integer(required=True, validate=validate.Range(min=1, max=999))
    piece_ids = fields.List(fields.String(), load_default=list)


class PieceSchema(Schema):
    id = fields.String()
    mode = fields.String()
    title = fields.String()
    situation = fields.String()
    analysis = fields.String()
    suggestions = fields.String()
    source_report_ids = fields.List(fields.String())
    issue_id = fields.String(allow_none=True)
    position = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class IssueSchema(Schema):
    id = fields.String()
    year = fields.Integer()
    number = fields.Integer()
    label = fields.Function(lambda i: issue_label(i["year"], i["number"]),
                            metadata={"type": "string", "example": "2026年第12期"})
    published_on = fields.Date()
    total_number = fields.Integer(allow_none=True)
    signed_by = fields.String(allow_none=True)
    report_to = fields.String(allow_none=True)
    send_to = fields.String(allow_none=True)
    editor_name = fields.String(allow_none=True)
    copies = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()
    pieces = fields.List(fields.Nested(PieceSchema))


class RuleInput(Schema):
    class Meta:
        unknown = RAISE
    event = fields.String(required=True, validate=validate.OneOf(SCORING_EVENTS))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    mode = fields.String(load_default=None, allow_none=True,
                         validate=validate.OneOf(("single", "merged")))
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


class RuleSetOutput(Schema):
    version = fields.Integer()
    effective_from = fields.Date()
    coauthor_share = fields.Float()
    rules = fields.List(fields.Dict())
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


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    report_id = fields.String(allow_none=True)
    title = fields.String()
    body = fields.String()
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)
    read = fields.Function(lambda n: n["read_at"] is not None)


class DeliverySchema(Schema):
    id = fields.Integer()
    event_id = fields.String()
    event_type = fields.String()
    channel = fields.String()
    recipient = fields.String()
    target = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    next_attempt_at = fields.AwareDateTime()
    last_error = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)


class WebhookSchema(Schema):
    id = fields.String()
    url = fields.String()
    event_types = fields.List(fields.String())
    created_at = fields.AwareDateTime()


class UnitInput(Schema):
    class Meta:
        unknown = RAISE
    name = fields.String(required=True, validate=[validate.Length(min=1, max=100), one_line])
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))


USERNAME_RULE = "Letters, digits, _ . @ - only."


class UserInput(Schema):
    class Meta:
        unknown = RAISE
    username = fields.String(required=True, validate=[
        validate.Length(min=2, max=64), validate.Regexp(r"^[A-Za-z0-9_.@-]+$",
                                                        error=USERNAME_RULE)])
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=8,
                                                                                      max=200))
    display_name = fields.String(required=True, validate=[validate.Length(min=1, max=100),
                                                          one_line])
    roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), required=True,
                        validate=validate.Length(min=1))
    unit_ids = fields.List(fields.String(), load_default=list)
    email = fields.Email(load_default=None, allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(load_default=None, allow_none=True,
                          validate=[validate.Length(max=32), one_line])
    active = fields.Boolean(load_default=True)
    is_standing = fields.Boolean(load_default=False, metadata={"description": "常委"})
    term = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=20), plain_text],
                         metadata={"description": "届次, e.g. 十五届"})


class ImportProblem(Schema):
    row = fields.Integer(metadata={"description": "the spreadsheet's row number"})
    column = fields.String()
    message = fields.String()


class IssuedPassword(Schema):
    row = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    one_time_password = fields.String()


class RosterImport(Schema):
    """What a roster import did or, as a dry run, would do (SPEC §12)."""
    rows = fields.Integer()
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    new_units = fields.List(fields.String())
    errors = fields.List(fields.Nested(ImportProblem))
    dry_run = fields.Boolean()
    applied = fields.Boolean()
    passwords = fields.List(fields.Nested(IssuedPassword), metadata={
        "description": "new accounts' one-time passwords: shown once, never again"})


class PasswordChange(Schema):
    class Meta:
        unknown = RAISE
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(max=200))


class PasswordChanged(Schema):
    changed = fields.Boolean()
    access_token = fields.String(metadata={"description": "a new token when the change was "
                                                          "made with one (the old one ends)"})


class PasswordReset(Schema):
    one_time_password = fields.String(metadata={
        "description": "shown once: the person must choose a new password at next login"})


class UserOutput(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    unit_ids = fields.List(fields.String())
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    active = fields.Boolean()
    is_standing = fields.Boolean()
    term = fields.String(allow_none=True)
    must_change_password = fields.Boolean()
    created_at = fields.AwareDateTime()


class UnitOutput(Schema):
    id = fields.String()
    name = fields.String()
    kind = fields.String()


# --- answers and small bodies the gateway documents -------------------------------------
class LoginInput(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    session = fields.Boolean(load_default=False, metadata={
        "description": "true: a browser session in an HttpOnly cookie, no token answered"})


class LoginAnswer(Schema):
    access_token = fields.String(metadata={"description": "absent for a browser session"})
    token_type = fields.String()
    expires_in = fields.Integer()
    user = fields.Nested(UserOutput)


class MeAnswer(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    unit_ids = fields.List(fields.String())
    must_change_password = fields.Boolean(metadata={
        "description": "true after an admin's reset: every other call answers 403 "
                       "password_change_required until POST /me/password"})


class ScoreCheck(Schema):
    reports_checked = fields.Integer()
    drifted_reports = fields.List(fields.String())
    drifted_totals = fields.List(fields.String(), metadata={
        "description": "subject kind:id:quarter whose totals differ from their lines"})
    ok = fields.Boolean()


class SessionAnswer(Schema):
    user = fields.Nested(MeAnswer, allow_none=True)


class LoggedOut(Schema):
    ended = fields.Boolean(metadata={"description": "whether a session was ended"})


class PersonHit(Schema):
    """A person as another author may see them when naming co-authors: name and units,
    never contact details."""
    id = fields.String()
    display_name = fields.String()
    unit_names = fields.List(fields.String())


class Health(Schema):
    status = fields.String()


class Readiness(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


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


class QuotaInput(Schema):
    class Meta:
        unknown = RAISE
    role = fields.String(required=True, validate=validate.OneOf(("member", "officer")))
    year = fields.Integer(allow_none=True, strict=True,
                          validate=validate.Range(min=2000, max=2999))
    count = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))


class RemindersInput(Schema):
    class Meta:
        unknown = RAISE
    on = fields.Date(allow_none=True)


class RemindersAnswer(Schema):
    sent = fields.Integer()


class Preferences(Schema):
    email = fields.Boolean(required=True)


# What outside systems may subscribe to: every event notify hears but the directory's
# (which carries people's contact details).
WEBHOOK_EVENT_TYPES = tuple(t for t in SUBSCRIPTIONS["notify"] if not t.startswith("directory."))


class WebhookInput(Schema):
    """What /openapi.json says of a new webhook; notify checks it (and that the address
    is a public one) with the same limits."""
    class Meta:
        unknown = RAISE
    url = fields.Url(required=True, schemes=("http", "https"), validate=validate.Length(max=500))
    event_types = fields.List(fields.String(validate=validate.OneOf(WEBHOOK_EVENT_TYPES)),
                              required=True, validate=validate.Length(min=1))
    secret = fields.String(required=True, validate=validate.Length(min=16, max=200))


class IssuePiecesInput(Schema):
    piece_ids = fields.List(fields.String(), required=True)


class PieceOutcomes(Schema):
    piece_id = fields.String()
    reports = fields.List(fields.Nested(CaseSchema))


class Deleted(Schema):
    deleted = fields.String()
