"""The gateway: the HTTP API (docs/api.md) in front of the services, and the directory.

Each route says who may call it and which contract schemas it takes and answers; the
same declarations make /openapi.json (``openapi.py``).
"""
import base64
import hmac
import logging
import os
import uuid
from urllib.parse import quote

import eventlet
from kombu import Connection
from nameko.exceptions import deserialize
from nameko.extensions import DependencyProvider
from nameko.timer import timer
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

import minyi_common
from minyi_common import contracts as c
from minyi_common.db import Database, OutboxRelay
from minyi_common import config, i18n, principals
from minyi_common.errors import Forbidden, Unauthorized, ValidationFailed
from minyi_common.nameko import (DatabaseProvider, RequestContext, Settings, TimedRpcProxy,
                                      rpc)
from minyi_common.contracts import (MAY, ReportInputSchema, load_contract, load_page,
                                    require_role)

from . import audit, directory, docs, metrics, openapi, webapp
from .directory import auth, backlog, phone_login, roster
from .gather import DATABASE_BUSY, INTAKE_BUSY, Gathered
from . import attachments
from .adapters import backlog_xlsx, blobs, docx_import, roster_xlsx, uploads
from .adapters.orm import metadata
from .http import (ROUTE_ROLES, PayloadTooLarge, RateLimited, api, client_address,
                   json_response, problem, read_json)
from .recent import Recent

READY_DEADLINE = 2.0
# /readyz and /metrics answer from probes at most this old (gateway/recent.py).
RECENT = Recent(seconds=2.0)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROSTER_MAX_BYTES = 2 * 1024 * 1024  # a roster of thousands is a few hundred KB
# The multipart envelope around a .docx of at most docx_import.MAX_BYTES.
DOCX_IMPORT_MAX_BYTES = docx_import.MAX_BYTES + 64 * 1024
BACKLOG_MAX_BYTES = 8 * 1024 * 1024  # thousands of reports with their text
# The multipart envelope around one attachment of at most attachments.MAX_BYTES.
ATTACHMENT_MAX_BODY = 20 * 1024 * 1024 + 64 * 1024
ATTACHMENT_TOO_LARGE = "a file may not exceed 20 MB"
UPLOAD_REFUSALS = {
    "type": "Only JPEG, PNG, PDF, DOCX and XLSX files are kept, judged by their content, "
            "not their name.",
    "bomb": "The file inflates far beyond its size: not a usable document.",
    "image": "The picture cannot be read, or has too many pixels.",
}
DOCX_REFUSALS = {
    "doc": "A Word 97-2003 (.doc) or WPS file: save it as .docx in Word or WPS, then import it.",
    "not_docx": "Not a Word document (.docx).",
    "bomb": "The file inflates far beyond its size: not a usable Word document.",
}
BACKENDS = ("intake", "review", "scoring", "notify")
PAGE = (("page", {"type": "integer", "minimum": 1, "maximum": 1_000_000}, "page number, from 1"),
        ("page_size", {"type": "integer", "minimum": 1, "maximum": 200}, "1 to 200"))
SESSION_COOKIE = "minyi_session"


def search_term(args) -> str:
    """A name search's ``q`` as typed, trimmed to the 50 characters its schema allows."""
    return (args.get("q") or "").strip()[:50]


# A cookie rides along with any request the browser makes, also one another site makes it
# send: state changes from a cookie need this header, which no other site can set on a
# same-origin request without CORS (we allow none).
CSRF_HEADER, CSRF_VALUE = "X-Requested-With", "minyi"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class BlobStore(DependencyProvider):
    """Where uploaded files are kept (MINYI_BLOB_URL, or the data directory's folder)."""

    def setup(self):
        settings = self.container.config["MINYI"]
        self.store = blobs.store_for(settings.blob_url, config.data_dir())

    def get_dependency(self, worker_ctx):
        return self.store


class SecretKey(DependencyProvider):
    """The token-signing key, read once when the container starts."""

    def setup(self):
        settings = self.container.config["MINYI"]
        database = Database(settings.db_url, metadata)
        try:
            self.value = directory.secret_key(database, settings.secret_key)
        finally:
            database.dispose()

    def get_dependency(self, worker_ctx):
        return self.value


def paged(items: list, args) -> dict:
    """A list the gateway holds whole, answered a page at a time like every other list."""
    paging = load_page(args)
    start = (paging["page"] - 1) * paging["page_size"]
    return {"items": items[start:start + paging["page_size"]], "total": len(items), **paging}


def attachment(document: dict, content_type: str, fallback: str) -> Response:
    """A generated file: Chinese file names travel in filename* (RFC 6266)."""
    return Response(base64.b64decode(document["content_base64"]), content_type=content_type,
                    headers={"Content-Disposition": f"attachment; filename={fallback}; "
                             f"filename*=UTF-8''{quote(document['filename'])}"})


class GatewayService:
    name = "gateway"
    settings = Settings()
    db = DatabaseProvider(metadata)
    secret = SecretKey()
    blobs = BlobStore()
    request_context = RequestContext()
    intake = TimedRpcProxy("intake")
    review = TimedRpcProxy("review")
    scoring = TimedRpcProxy("scoring")
    notify = TimedRpcProxy("notify")
    submissions = Gathered(INTAKE_BUSY)  # concurrent submissions, one call (gateway/gather.py)
    callers = Gathered(DATABASE_BUSY)  # who is calling, one read for concurrent requests

    @timer(interval=600)
    def sweep_uploads(self):
        """Drop the bytes of uploads whose gateway died before their owner claimed them."""
        attachments.sweep(self.db, self.blobs)

    # --- who is calling ----------------------------------------------------------------
    def _principal(self, request, password_pending_ok=False) -> dict:
        """Who is calling. Someone whose password was reset may only see who they are and
        choose a new password (``password_pending_ok``); everything else is a 403."""
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                raise Unauthorized("send Authorization: Bearer <token> (POST /api/v1/auth/login)")
            principal = directory.principal_for_token(self.db, self.secret, token.strip(),
                                                      self._read_caller)
        else:
            session = request.cookies.get(SESSION_COOKIE)
            if not session:
                raise Unauthorized("send Authorization: Bearer <token> (POST /api/v1/auth/login)")
            if request.method not in SAFE_METHODS:
                self._require_csrf_header(request)
            principal = directory.principal_for_session(self.db, session, self._read_caller)
        audit.note_actor(request, principal["id"], principal.get("username"))
        if principal["must_change_password"] and not password_pending_ok:
            raise Forbidden("choose a new password before going on")
        # The roles the route declares (from MAY): checked here once for every route, and
        # by the service behind it again.
        roles = request.environ.get(ROUTE_ROLES)
        if roles:
            require_role(principal, *roles)
        # Services believe only a principal the gateway signed (minyi_common.principals).
        return principals.sign(principal)

    def _read_caller(self, asked):
        """The account row behind one call, read with those of concurrent calls."""
        return self.callers.call(asked, lambda batch, _: directory.callers(self.db, batch),
                                 self.settings.rpc_timeout)

    @staticmethod
    def _require_csrf_header(request) -> None:
        if request.headers.get(CSRF_HEADER) != CSRF_VALUE:
            raise Forbidden(f"a change made with the session cookie needs the header "
                            f"{CSRF_HEADER}: {CSRF_VALUE}")

    def _cookie_attributes(self) -> dict:
        return {"path": "/", "httponly": True, "samesite": "Strict",
                "secure": self.settings.web_url.startswith("https://")}

    # --- operations ----------------------------------------------------------------------
    @api("GET", "/healthz", prefix="", public=True, answer=c.Health, summary="Liveness")
    def healthz(self, request):
        return {"status": "ok", "version": minyi_common.__version__}

    @api("GET", "/readyz", prefix="", public=True, answer=c.Readiness,
         summary="Readiness: the broker and every service answer within 2 s (an answer at "
                 "most 2 s old, shared by all callers)")
    def readyz(self, request):
        checks = RECENT.get(("readyz", self.settings.amqp_uri, self.settings.namespace),
                            self._readiness)
        if all(v == "ok" for v in checks.values()):
            return {"status": "ready", "checks": checks}
        missing = ", ".join(n for n, v in checks.items() if v != "ok")
        return problem(503, "Not ready", f"not answering: {missing}", checks=checks)

    def _readiness(self) -> dict:
        def broker():
            with Connection(self.settings.amqp_uri, connect_timeout=READY_DEADLINE) as conn:
                conn.ensure_connection(max_retries=1, timeout=READY_DEADLINE)

        probes = {"broker": broker,
                  **{n: (lambda n=n: getattr(self, n).within(READY_DEADLINE).ping())
                     for n in BACKENDS}}
        pool = eventlet.GreenPool(len(probes))
        threads = {name: pool.spawn(self._probe, probe) for name, probe in probes.items()}
        return {name: thread.wait() for name, thread in threads.items()}

    @staticmethod
    def _probe(probe) -> str:
        try:
            with eventlet.Timeout(READY_DEADLINE + 0.5):
                probe()
            return "ok"
        except BaseException as exc:  # eventlet.Timeout is a BaseException
            return f"failed: {exc.__class__.__name__}: {exc}"[:200]

    @api("GET", "/metrics", prefix="", public=True, binary="text/plain",
         summary="Prometheus metrics")
    def metrics(self, request):
        token = self.settings.metrics_token
        if token and not hmac.compare_digest(request.headers.get("Authorization", ""),
                                             f"Bearer {token}"):
            raise Unauthorized("send Authorization: Bearer <MINYI_METRICS_TOKEN> for /metrics")
        backlogs = RECENT.get(("metrics", self.settings.amqp_uri, self.settings.namespace),
                              self._backlogs)
        return metrics.exposition(self.settings, backlogs)

    def _backlogs(self) -> dict:
        backlogs = {"gateway": OutboxRelay(self.db, None).backlog()}
        for name in BACKENDS:
            try:
                stats = getattr(self, name).within(READY_DEADLINE).stats()
                backlogs[name] = stats["outbox_backlog"]
            except Exception:
                backlogs[name] = None
        return backlogs

    @api("GET", "/openapi.json", prefix="", public=True, binary="application/json",
         summary="This API as OpenAPI 3")
    def openapi_document(self, request):
        return json_response(openapi.document(GatewayService))

    @api("GET", "/docs", prefix="", public=True, binary="text/html", summary="API docs page")
    def docs_page(self, request):
        return docs.page()

    @api("GET", "/docs/static/<name>", prefix="", public=True, binary="text/plain",
         summary="The docs page's scripts and styles")
    def docs_static(self, request, name):
        return docs.static(name)

    # --- auth and directory --------------------------------------------------------------
    @api("POST", "/auth/login", public=True, body=c.LoginInput, answer=c.LoginAnswer,
         summary="Log in; 5 failures a minute for one username from one address (20 from "
                 "one address, 300 in all) answer 429. With session: true, "
                 "an HttpOnly cookie instead of a token (browsers)", audit="auth.login")
    def login(self, request):
        payload = read_json(request)
        address = client_address(request, self.settings.trusted_proxies)
        if isinstance(payload, dict) and ("phone" in payload or "code" in payload):
            return self._login_by_code(request, payload)
        try:
            if isinstance(payload, dict) and payload.get("session") is True:
                token, answer = directory.open_session(self.db, payload,
                                                       self.settings.token_lifetime, address)
                audit.note_actor(request, answer["user"]["id"], answer["user"]["username"])
                response = json_response(answer)
                response.set_cookie(SESSION_COOKIE, token, max_age=self.settings.token_lifetime,
                                    **self._cookie_attributes())
                return response
            answer = directory.login(self.db, self.secret, payload,
                                     self.settings.token_lifetime, address)
            audit.note_actor(request, answer["user"]["id"], answer["user"]["username"])
            return answer
        except directory.TooManyAttempts as exc:
            raise RateLimited("too many failed logins; wait and retry",
                              exc.retry_after) from None

    def _login_by_code(self, request, payload):
        """短信验证码登录: the account whose mobile got the code, as a password opens it."""
        if "session" in payload and not isinstance(payload["session"], bool):
            raise ValidationFailed("some fields are invalid", {"session": ["Not a valid boolean."]})
        user = phone_login.user_for_code(self.db, payload, self.notify.check_login_code)
        audit.note_actor(request, user["id"], user["username"])
        lifetime = self.settings.token_lifetime
        if payload.get("session") is True:
            token, answer = directory.session_for(self.db, user, lifetime)
            response = json_response(answer)
            response.set_cookie(SESSION_COOKIE, token, max_age=lifetime, **self._cookie_attributes())
            return response
        return directory.token_for(self.secret, user, lifetime)

    @api("POST", "/auth/sms-code", public=True, body=c.SmsCodeInput, answer=c.SmsCodeAnswer,
         status=202, summary="Send a sign-in code to a mobile (6 digits, 5 minutes, one use); "
                             "the same answer whether the number is known or not. One a "
                             "minute and five an hour per number, twenty an hour per address "
                             "(429)")
    def request_sms_code(self, request):
        address = client_address(request, self.settings.trusted_proxies)
        try:
            answer = phone_login.request_code(self.db, read_json(request), address,
                                              self.notify.send_login_code)
        except directory.TooManyAttempts as exc:
            raise RateLimited("too many code requests; wait and retry", exc.retry_after) from None
        return json_response(answer, status=202)

    @api("POST", "/auth/logout", public=True, answer=c.LoggedOut,
         summary="End the browser session (its cookie no longer works anywhere)")
    def logout(self, request):
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            self._require_csrf_header(request)
            directory.close_session(self.db, session)
        response = json_response({"ended": bool(session)})
        response.delete_cookie(SESSION_COOKIE, **self._cookie_attributes())
        return response

    @api("GET", "/people", page_of=c.PersonHit,
         query=PAGE + (("q", {"type": "string", "maxLength": 50}, "part of a name"),
                       ("ids", "string", "comma-separated ids (at most 50)"),
                       ("for_entry", "boolean",
                        "only the authors I may enter a report for (代录)")),
         summary="Search people by name, to name co-authors or the author of a report "
                 "entered on behalf (names and units only)")
    def search_people(self, request):
        principal = self._principal(request)
        query = search_term(request.args)
        ids = [i for i in (request.args.get("ids") or "").split(",") if i][:50]
        for_entry = (request.args.get("for_entry") or "").lower() in ("1", "true", "yes")
        return directory.search_people(self.db, query, ids=ids,
                                       entered_by=principal if for_entry else None,
                                       **load_page(request.args))

    @api("GET", "/auth/session", public=True, answer=c.SessionAnswer,
         summary="Who this browser is signed in as (user: null when nobody): the web app "
                 "asks at start, without a 401 for the signed-out case")
    def current_session(self, request):
        sms_login = bool(self.settings.sms_url)
        try:
            me = self._me(request)
        except Unauthorized:
            return {"user": None, "sms_login": sms_login}
        if me["must_change_password"]:
            return {"user": me, "sms_login": sms_login}
        # One answer where a page load asked twice: a round trip less on a phone's network.
        return {"user": me, "sms_login": sms_login, "units": directory.list_units(self.db)}

    @api("GET", "/me", answer=c.MeAnswer, summary="Who I am")
    def me(self, request):
        return self._me(request)

    def _me(self, request) -> dict:
        # What the person may know of themselves: not the seal services check the
        # principal by (its expiry and signature are for services, not for browsers).
        return c.reusable(c.MeAnswer).dump(self._principal(request, password_pending_ok=True))

    @api("POST", "/me/password", body=c.PasswordChange, answer=c.PasswordChanged,
         summary="Change my own password (the current one first)", audit="me.password")
    def change_password(self, request):
        principal = self._principal(request, password_pending_ok=True)
        bearer = bool(request.headers.get("Authorization"))
        user = directory.change_password(self.db, principal["id"], read_json(request),
                                         None if bearer else request.cookies.get(SESSION_COOKIE))
        answer = {"changed": True}
        if bearer:  # the old token ended with the old password
            answer["access_token"] = auth.issue_token(self.secret, user["id"],
                                                      user["token_version"],
                                                      self.settings.token_lifetime)
        return answer

    @api("GET", "/directory/import-template", binary=XLSX, roles=MAY["manage_directory"],
         summary="The roster spreadsheet to fill in (姓名, 用户名, 手机, 邮箱, 角色, 单位, ...)")
    def roster_template(self, request):
        self._principal(request)
        return Response(roster_xlsx.template(), content_type=XLSX, headers={
            "Content-Disposition": "attachment; filename=roster-template.xlsx; "
                                   f"filename*=UTF-8''{quote('名册导入模板.xlsx')}"})

    @api("POST", "/directory/imports", upload="file", answer=c.RosterImport,
         roles=MAY["manage_directory"],
         max_body=ROSTER_MAX_BYTES,
         query=(("dry_run", "boolean", "true: check and tell, store nothing"),),
         summary="Import a roster: every row or none; the same file again changes nothing",
         audit="roster.import")
    def import_roster(self, request):
        admin = self._principal(request)
        lang = i18n.language(request.headers.get("Accept-Language"))
        # Bounded also when the client sends no Content-Length (chunked): werkzeug stops
        # reading past the limit with a 413.
        request.max_content_length = ROSTER_MAX_BYTES
        upload = request.files.get("file")
        try:
            table = roster_xlsx.read_table(upload.read(ROSTER_MAX_BYTES + 1)) if upload else None
        except ValueError:
            table = None
        if table is None:
            raise ValidationFailed("the upload needs an .xlsx file in the multipart field file",
                                   {"file": ["Upload the roster as an .xlsx file."]})
        dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
        answer = roster.import_roster(self.db, admin["id"], table, dry_run)
        for error in answer["errors"]:
            error["message"] = i18n.translate_message(error["message"], lang)
        if answer["errors"] and not dry_run:
            where = "第{row}行 {column}：{message}" if lang != "en" else "row {row}, {column}: {message}"
            return problem(422, "Invalid fields", "the roster file has errors; nothing was imported",
                           {"file": [where.format(**e) for e in answer["errors"]]}, lang=lang,
                           import_errors=answer["errors"])
        return answer

    @api("POST", "/users/<user_id>/password-reset", answer=c.PasswordReset,
         roles=MAY["manage_directory"],
         summary="Reset another person's password: a one-time password, shown once "
                 "(one's own: 409, change it with POST /me/password)", audit="user.password_reset")
    def reset_password(self, request, user_id):
        admin = self._principal(request)
        return {"one_time_password": directory.reset_password(self.db, admin["id"], user_id)}

    @api("POST", "/units", body=c.UnitInput, answer=c.UnitOutput, status=201,
         roles=MAY["manage_directory"],
         summary="Add a unit", audit="unit.create")
    def create_unit(self, request):
        admin = self._principal(request)
        return json_response(directory.create_unit(self.db, admin["id"], read_json(request)),
                             status=201)

    @api("PATCH", "/units/<unit_id>", body=c.UnitInput, answer=c.UnitOutput,
         roles=MAY["manage_directory"],
         summary="Rename a unit or change its kind", audit="unit.update")
    def update_unit(self, request, unit_id):
        admin = self._principal(request)
        return directory.update_unit(self.db, admin["id"], unit_id, read_json(request))

    @api("GET", "/units", page_of=c.UnitOutput, query=PAGE, summary="Units")
    def list_units(self, request):
        self._principal(request)
        return paged(directory.list_units(self.db), request.args)

    @api("POST", "/users", body=c.UserInput, answer=c.UserOutput, status=201,
         roles=MAY["manage_directory"],
         summary="Add an account", audit="user.create")
    def create_user(self, request):
        admin = self._principal(request)
        return json_response(directory.create_user(
            self.db, admin["id"], read_json(request),
            mobile_required=bool(self.settings.sms_url)), status=201)

    @api("GET", "/users", page_of=c.UserOutput,
         query=PAGE + (("q", {"type": "string", "maxLength": 50},
                        "part of a name, user name or mobile"),),
         roles=MAY["manage_directory"], summary="Accounts")
    def list_users(self, request):
        self._principal(request)
        return directory.list_users(self.db, search_term(request.args),
                                    **load_page(request.args))

    @api("PATCH", "/users/<user_id>", body=c.UserInput, answer=c.UserOutput,
         roles=MAY["manage_directory"],
         summary="Change an account (any fields; active=false disables it)", audit="user.update")
    def update_user(self, request, user_id):
        admin = self._principal(request)
        return directory.update_user(self.db, admin["id"], user_id, read_json(request),
                                     mobile_required=bool(self.settings.sms_url))

    @api("GET", "/users/<user_id>/notification-preferences", answer=c.Preferences,
         roles=MAY["manage_directory"], summary="A person's notice channels")
    def get_user_preferences(self, request, user_id):
        return self.notify.get_preferences_of(self._principal(request), user_id)

    @api("PUT", "/users/<user_id>/notification-preferences", body=c.PreferencesInput,
         answer=c.Preferences, roles=MAY["manage_directory"], audit="user.channels",
         summary="Set a person's channels for them (an older member who asked the office "
                 "to): the same rules as their own change")
    def put_user_preferences(self, request, user_id):
        return self.notify.put_preferences_of(self._principal(request), user_id,
                                              read_json(request))

    @api("GET", "/audit", page_of=c.AuditEntry, roles=MAY["read_audit"],
         query=PAGE + (("actor", {"type": "string", "maxLength": 64}, "a person's id or username"),
                       ("action", {"type": "string", "maxLength": 32},
                        "an action (user.update) or its family (user.)"),
                       ("from", "string", "from this day (2026-12-01), the office's calendar"),
                       ("to", "string", "to this day, included")),
         summary="The audit log, newest first: sign-ins, accounts and roles, passwords, "
                 "rules, quotas, adjustments, imports, webhooks, links, downloads")
    def audit_log(self, request):
        self._principal(request)
        args = request.args
        return audit.entries(self.db, (args.get("actor") or "").strip()[:64] or None,
                             (args.get("action") or "").strip() or None, args.get("from"),
                             args.get("to"), **load_page(args))

    # --- reports (intake) -------------------------------------------------------------------
    @api("POST", "/reports", body=ReportInputSchema, answer=c.ReportSchema, status=201,
         roles=MAY["create_reports"], idempotent=True,
         summary="Submit a report (or save a draft); with on_behalf_of, enter one for "
                 "its author (代录)")
    def create_report(self, request):
        principal = self._principal(request)
        body = read_json(request)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not 1 <= len(key) <= 200:
            raise ValidationFailed("some fields are invalid", {
                "Idempotency-Key": ["At most {max} characters.".format(max=200)]})
        # Gathered with the submissions arriving at the same moment (gateway/gather.py).
        outcome = self.submissions.call(
            [principal, body, key],
            lambda batch, remaining: self.intake.within(remaining).create_reports(batch),
            self.settings.rpc_timeout)
        if "error" in outcome:
            raise deserialize(outcome["error"])
        answer = outcome["answer"]
        # A retry with the same key is answered as the first request was (a client whose
        # 201 was lost to a fault gets it now), marked as a replay.
        replayed = {} if answer["created"] else {"Idempotent-Replayed": "true"}
        return json_response(answer["report"], status=201, headers=replayed)

    @api("GET", "/reports", page_of=c.ReportSchema, summary="Reports I may see",
         query=PAGE + (("status", "string", "a status"), ("category", "string", "a category"),
                       ("unit_id", "string", "a unit"), ("q", "string", "text search"),
                       ("period", "string", "a quarter (2026-Q3) or a year, office time"),
                       ("mine", "boolean", "only those I wrote")))
    def list_reports(self, request):
        return self.intake.list_reports(self._principal(request), request.args.to_dict())

    @api("GET", "/reports/<report_id>", answer=c.ReportSchema,
         summary="A report with its decision, outcomes and history")
    def get_report(self, request, report_id):
        return self.intake.get_report(self._principal(request), report_id)

    @api("PUT", "/reports/<report_id>", body=ReportInputSchema, answer=c.ReportSchema,
         summary="Edit my draft or returned report")
    def update_report(self, request, report_id):
        principal = self._principal(request)
        return self.intake.update_report(principal, report_id, read_json(request))

    @api("POST", "/reports/<report_id>/submit", answer=c.ReportSchema,
         summary="Submit a draft, or resubmit a returned report")
    def submit_report(self, request, report_id):
        return self.intake.submit_report(self._principal(request), report_id)

    @api("POST", "/reports/<report_id>/withdraw", answer=c.ReportSchema,
         summary="Withdraw my pending or returned report")
    def withdraw_report(self, request, report_id):
        return self.intake.withdraw_report(self._principal(request), report_id)

    @api("POST", "/reports/docx-import", upload="file", answer=c.DocxImport,
         roles=MAY["create_reports"], max_body=DOCX_IMPORT_MAX_BYTES,
         summary="Read a report written in Word (.docx, at most 10 MB) into the form's "
                 "fields by its headings (从Word导入); stores nothing")
    def docx_import(self, request):
        self._principal(request)
        request.max_content_length = DOCX_IMPORT_MAX_BYTES
        upload = request.files.get("file")
        if upload is None:
            raise ValidationFailed("the upload needs a .docx file in the multipart field file",
                                   {"file": ["Upload the report as a .docx file."]})
        try:
            return docx_import.read_report(upload.read(DOCX_IMPORT_MAX_BYTES + 1))
        except docx_import.NotADocx as refused:
            raise ValidationFailed(
                "the upload needs a .docx file in the multipart field file",
                {"file": [DOCX_REFUSALS[refused.reason]]}) from None

    @api("GET", "/reports/import-template", binary=XLSX, roles=MAY["import_reports"],
         summary="The spreadsheet of past reports to fill in (标题, 作者用户名, ..., 成效)")
    def backlog_template(self, request):
        self._principal(request)
        return Response(backlog_xlsx.template(), content_type=XLSX, headers={
            "Content-Disposition": "attachment; filename=reports-template.xlsx; "
                                   f"filename*=UTF-8''{quote('往期信息导入模板.xlsx')}"})

    @api("POST", "/reports/imports", upload="file", answer=c.BacklogImport,
         roles=MAY["import_reports"], max_body=BACKLOG_MAX_BYTES,
         query=(("dry_run", "boolean", "true: check and tell, store nothing"),),
         summary="Import past reports with their decisions and outcomes: every row or "
                 "none; the same file again changes nothing; no notices", audit="backlog.import")
    def import_backlog(self, request):
        principal = self._principal(request)
        lang = i18n.language(request.headers.get("Accept-Language"))
        request.max_content_length = BACKLOG_MAX_BYTES
        upload = request.files.get("file")
        try:
            rows, header_problem = backlog_xlsx.read_rows(upload.read(BACKLOG_MAX_BYTES + 1)) \
                if upload else (None, None)
        except ValueError:
            rows, header_problem = None, None
        if rows is None or header_problem:
            reason = ("The first row must name the columns: {columns}.".format(
                columns="、".join(backlog_xlsx.COLUMNS)) if header_problem == "header" else
                "The file has no rows to import." if header_problem == "empty" else
                "Upload the past reports as an .xlsx file.")
            raise ValidationFailed("the upload needs an .xlsx file in the multipart field file",
                                   {"file": [reason]})
        dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
        resolved, errors = backlog.resolve(self.db, rows, backlog_xlsx.MAX_ROWS)
        answer = self.intake.import_reports(principal, resolved, dry_run, errors)
        for error in answer["errors"]:
            error["message"] = i18n.translate_message(error["message"], lang)
        if answer["errors"] and not dry_run:
            where = "第{row}行 {column}：{message}" if lang != "en" else "row {row}, {column}: {message}"
            return problem(422, "Invalid fields", "the file has errors; nothing was imported",
                           {"file": [where.format(**e) for e in answer["errors"]]}, lang=lang,
                           import_errors=answer["errors"])
        return answer

    @api("POST", "/reports/<report_id>/attachments", upload="file", answer=c.AttachmentSchema,
         status=201, max_body=ATTACHMENT_MAX_BODY, too_large=ATTACHMENT_TOO_LARGE,
         summary="Attach a file (JPEG, PNG, PDF, DOCX or XLSX by its content; at most 20 MB, "
                 "10 per report): the author or who entered it, until it is decided")
    def add_attachment(self, request, report_id):
        principal = self._principal(request)
        return self._store_upload(request, lambda blob: self.intake.add_attachment(
            principal, report_id, blob))

    @api("POST", "/review/<report_id>/outcomes/<outcome_id>/attachments", upload="file",
         answer=c.OutcomeAttachment, status=201, roles=MAY["review"],
         max_body=ATTACHMENT_MAX_BODY, too_large=ATTACHMENT_TOO_LARGE,
         summary="Attach a file to an outcome (the scanned 批示件), as for a report")
    def add_outcome_attachment(self, request, report_id, outcome_id):
        principal = self._principal(request)
        return self._store_upload(request, lambda blob: self.review.add_outcome_attachment(
            principal, report_id, outcome_id, blob))

    @api("GET", "/reports/<report_id>/outcome-attachments", answer=c.OutcomeAttachments,
         summary="The files on the outcomes of a report I may see (批示件)")
    def list_outcome_attachments(self, request, report_id):
        return self.review.list_outcome_attachments(self._principal(request), report_id)

    @api("GET", "/reports/<report_id>/outcome-attachments/<attachment_id>",
         binary="application/octet-stream",
         summary="A file on an outcome of a report I may see (404 for anyone else)")
    def download_outcome_attachment(self, request, report_id, attachment_id):
        return self._send_file(self.review.outcome_attachment_to_send(
            self._principal(request), report_id, attachment_id))

    def _store_upload(self, request, claim):
        upload = self._file(request, attachments.MAX_BYTES, ATTACHMENT_MAX_BODY)
        try:
            kept = attachments.checked(upload.read(attachments.MAX_BYTES + 1),
                                       upload.filename)
        except uploads.Refused as refused:
            raise ValidationFailed("the upload is not a file that can be kept",
                                   {"file": [UPLOAD_REFUSALS[refused.reason]]}) from None
        return json_response(attachments.store_and_claim(self.db, self.blobs, kept, claim),
                             status=201)

    def _send_file(self, found):
        return Response(self.blobs.chunks(found["key"]), content_type=found["content_type"],
                        direct_passthrough=True, headers={
                            "Content-Length": str(found["size"]),
                            "Content-Disposition": "attachment; filename=attachment; "
                                                   f"filename*=UTF-8''{quote(found['name'])}",
                            "X-Content-Type-Options": "nosniff",
                            "Cache-Control": "private, no-store"})

    @api("GET", "/reports/<report_id>/attachments", answer=c.Attachments,
         summary="The files on a report I may see")
    def list_attachments(self, request, report_id):
        return self.intake.list_attachments(self._principal(request), report_id)

    @api("GET", "/reports/<report_id>/attachments/<attachment_id>", binary="application/octet-stream",
         summary="A file on a report I may see (404 for anyone else)")
    def download_attachment(self, request, report_id, attachment_id):
        return self._send_file(self.intake.attachment_to_send(
            self._principal(request), report_id, attachment_id))

    @api("DELETE", "/reports/<report_id>/attachments/<attachment_id>",
         summary="Take a file off my draft or returned report")
    def delete_attachment(self, request, report_id, attachment_id):
        gone = self.intake.delete_attachment(self._principal(request), report_id,
                                             attachment_id)
        self.blobs.delete(gone["key"])  # after the record is gone: never a dangling record
        return Response(status=204)

    def _file(self, request, limit: int, envelope: int):
        """The multipart ``file``, read while it streams and cut off past ``limit`` (413,
        nothing kept: werkzeug stops reading past the request's limit)."""
        request.max_content_length = envelope
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:  # a body sent without its length, cut off at the limit
            raise PayloadTooLarge(ATTACHMENT_TOO_LARGE) from None
        if upload is None:
            raise ValidationFailed("the upload is not a file that can be kept",
                                   {"file": ["Choose a file to upload."]})
        head = upload.stream.tell() if upload.stream.seekable() else 0
        upload.stream.seek(0, 2)
        size = upload.stream.tell()
        upload.stream.seek(head)
        if size > limit:
            raise PayloadTooLarge(ATTACHMENT_TOO_LARGE)
        return upload

    # --- what the office publishes and asks for (intake) ----------------------------
    @api("POST", "/topics", body=c.TopicInput, answer=c.TopicSchema, status=201,
         roles=MAY["review"], summary="Publish a topic for a year (年度选题)")
    def add_topic(self, request):
        return json_response(self.intake.add_topic(self._principal(request), read_json(request)),
                             status=201)

    @api("GET", "/topics", answer=c.Topics, query=(("year", "integer", "a year"),),
         summary="The topics, newest year first, with the reports submitted on each")
    def list_topics(self, request):
        return self.intake.list_topics(self._principal(request), request.args.get("year"))

    @api("POST", "/commissions", body=c.CommissionInput, answer=c.CommissionSchema,
         status=201, roles=MAY["review"],
         summary="Commission a piece (约稿) from a person or a unit, by a day")
    def add_commission(self, request):
        return json_response(self.intake.add_commission(self._principal(request), read_json(request)),
                             status=201)

    @api("GET", "/commissions", answer=c.Commissions,
         query=(("state", "string", "open, overdue or answered"),
                ("mine", "boolean", "editors: only those addressed to me")),
         summary="Commissions: every one for editors, else those addressed to me or "
                 "(unit admins) my units")
    def list_commissions(self, request):
        return self.intake.list_commissions(self._principal(request), request.args.to_dict())

    @api("POST", "/notices", body=c.NoticeInput, answer=c.NoticeSchema, status=201,
         roles=MAY["review"], summary="Publish a notice (通知公告); everyone is told once")
    def add_notice(self, request):
        return json_response(self.intake.add_notice(self._principal(request), read_json(request)),
                             status=201)

    @api("GET", "/notices", page_of=c.NoticeSchema, query=PAGE,
         summary="The office's notices, newest first, with their files")
    def list_notices(self, request):
        return self.intake.list_notices(self._principal(request), request.args.to_dict())

    @api("GET", "/notices/<notice_id>", answer=c.NoticeSchema, summary="A notice")
    def get_notice(self, request, notice_id):
        return self.intake.get_notice(self._principal(request), notice_id)

    @api("POST", "/notices/<notice_id>/files", upload="file", answer=c.AttachmentSchema,
         status=201, roles=MAY["review"], max_body=ATTACHMENT_MAX_BODY,
         too_large=ATTACHMENT_TOO_LARGE,
         summary="Add a file to a notice (as for a report: checked by its content, at "
                 "most 20 MB, 10 per notice)")
    def add_notice_file(self, request, notice_id):
        principal = self._principal(request)
        return self._store_upload(request, lambda blob: self.intake.add_notice_file(
            principal, notice_id, blob))

    @api("GET", "/notices/<notice_id>/files/<file_id>", binary="application/octet-stream",
         summary="A file of a notice")
    def download_notice_file(self, request, notice_id, file_id):
        return self._send_file(self.intake.notice_file_to_send(
            self._principal(request), notice_id, file_id))

    @api("POST", "/reports/<report_id>/co-authorship/decline", answer=c.CoAuthorshipDeclined,
         summary="Leave a report I am named on as co-author (退出联名), until it is decided")
    def decline_co_authorship(self, request, report_id):
        return self.intake.decline_co_authorship(self._principal(request), report_id)

    # --- review ------------------------------------------------------------------------------
    @api("GET", "/review/queue", page_of=c.CaseSchema, roles=MAY["review"],
         summary="Pending reports, oldest first, with similarity hints",
         query=PAGE + (("status", "string", "submitted or resubmitted"),
                       ("category", "string", "a category"), ("unit_id", "string", "a unit"),
                       ("q", "string", "text search"), ("urgent", "boolean", "urgent only"),
                       ("submitted_from", "string", "office day 2026-10-01"),
                       ("submitted_to", "string", "office day 2026-10-31, included")))
    def review_queue(self, request):
        editor = self._principal(request)
        return self.review.queue(editor, request.args.to_dict())

    @api("GET", "/review/cases/<report_id>", answer=c.CaseSchema, roles=MAY["review"],
         summary="One report as review holds it: edit, history, similar reports")
    def review_case(self, request, report_id):
        return self.review.get_case(self._principal(request), report_id)

    def _decide(self, request, report_id, action):
        editor = self._principal(request)
        return self.review.decide(editor, report_id, action, read_json(request))

    @api("POST", "/review/<report_id>/return", body=c.ReturnInput, answer=c.CaseSchema,
         roles=MAY["review"], summary="Return for revision (comment required)")
    def review_return(self, request, report_id):
        return self._decide(request, report_id, "return")

    @api("POST", "/review/<report_id>/retain", body=c.RetainInput, answer=c.CaseSchema,
         roles=MAY["review"], summary="Retain (留存)")
    def review_retain(self, request, report_id):
        return self._decide(request, report_id, "retain")

    @api("POST", "/review/<report_id>/reject", body=c.RejectInput, answer=c.CaseSchema,
         roles=MAY["review"], summary="Reject with a reason code and comment")
    def review_reject(self, request, report_id):
        return self._decide(request, report_id, "reject")

    @api("POST", "/review/<report_id>/adopt", body=c.AdoptInput, answer=c.CaseSchema,
         roles=MAY["review"], summary="Adopt, with the editor's edited text (核稿)")
    def review_adopt(self, request, report_id):
        return self._decide(request, report_id, "adopt")

    @api("POST", "/review/<report_id>/outcomes", body=c.OutcomeInput, answer=c.CaseSchema,
         roles=MAY["review"], summary="Record an outcome of an adopted report (or merged piece)")
    def review_outcome(self, request, report_id):
        return self._decide(request, report_id, "outcomes")

    # --- links between installs (报送 between levels) -----------------------------------------
    @api("POST", "/federation/links", body=c.LinkInput, answer=c.LinkSchema, status=201,
         roles=MAY["manage_federation"],
         summary="Link an upper or a lower office's install; a lower office gets a unit "
                 "(lower_office) its reports count for", audit="link.create")
    def create_link(self, request):
        admin = self._principal(request)
        body = read_json(request)
        load_contract(c.LinkInput, body)  # every field checked before anything is made
        if body["direction"] != "lower":
            return json_response(self.notify.create_link(admin, body), status=201)
        # A lower office's reports count for a unit of its own, made once the link is.
        if directory.unit_name_taken(self.db, body["name"]):
            raise ValidationFailed("a unit with this name exists",
                                   {"name": ["A unit with this name exists."]})
        unit_id = str(uuid.uuid4())
        link = self.notify.create_link(admin, body, unit_id)
        directory.create_unit(self.db, admin["id"], {"name": body["name"],
                                                     "kind": "lower_office"}, unit_id)
        return json_response(link, status=201)

    @api("GET", "/federation/links", answer=c.Links, roles=MAY["see_links"],
         summary="Each link with its state: last success, messages waiting and parked, "
                 "last error")
    def list_links(self, request):
        return self.notify.list_links(self._principal(request))

    @api("POST", "/federation/links/<link_id>/retry", answer=c.LinkSchema,
         roles=MAY["manage_federation"],
         summary="Send a link's parked messages again, once the other side is put right",
         audit="link.retry")
    def retry_parked(self, request, link_id):
        return self.notify.retry_parked(self._principal(request), link_id)

    @api("POST", "/review/pieces/<piece_id>/forward", body=c.ForwardInput,
         answer=c.ForwardAnswer, status=202, roles=MAY["review"],
         summary="Forward an adopted piece to an upper office by its link (报送); its "
                 "reports are forwarded at that level at once, the piece goes when it can")
    def forward_piece(self, request, piece_id):
        editor = self._principal(request)
        body = load_contract(c.ForwardInput, read_json(request))
        link = self.notify.link_to_forward_on(editor, body["link_id"])
        return json_response(self.review.forward_piece(editor, piece_id, link), status=202)

    @api("POST", "/federation/inbound", public=True, answer=c.InboundAnswer,
         max_body=c.MAX_MESSAGE_BYTES,
         summary="Another install's message (signed as webhooks are, with X-Minyi-Link): "
                 "401 for a bad or old signature or a message the link does not carry, "
                 "200 for one seen before (nothing changes), 404 for an unknown piece")
    def federation_inbound(self, request):
        if request.content_length is not None and request.content_length > c.MAX_MESSAGE_BYTES:
            raise PayloadTooLarge(f"the body may not exceed {c.MAX_MESSAGE_BYTES} bytes")
        raw = request.stream.read(c.MAX_MESSAGE_BYTES + 1)
        if len(raw) > c.MAX_MESSAGE_BYTES:
            raise PayloadTooLarge(f"the body may not exceed {c.MAX_MESSAGE_BYTES} bytes")
        return self.notify.receive_link_message(
            request.headers.get("X-Minyi-Link"), request.headers.get("X-Minyi-Signature"),
            base64.b64encode(raw).decode("ascii"))

    # --- hand-offs (转办) -----------------------------------------------------------------
    @api("POST", "/review/<report_id>/handoffs", body=c.HandoffInput, answer=c.HandoffSchema,
         status=201, roles=MAY["review"],
         summary="Hand an adopted report, or a local matter, to a town office or department "
                 "with a due date (转办)")
    def create_handoff(self, request, report_id):
        editor = self._principal(request)
        return json_response(self.review.create_handoff(editor, report_id, read_json(request)),
                             status=201)

    @api("GET", "/handoffs", page_of=c.HandoffSchema, roles=MAY["see_handoffs"],
         summary="Hand-offs: every one for editors, my units' for their admins; open ones "
                 "soonest due first",
         query=PAGE + (("overdue", "boolean", "past the due date without a reply"),
                       ("open", "boolean", "not replied yet"), ("unit_id", "string", "a unit"),
                       ("report_id", "string", "a report")))
    def list_handoffs(self, request):
        return self.review.list_handoffs(self._principal(request), request.args.to_dict())

    @api("GET", "/reports/<report_id>/handoffs", answer=c.Handoffs,
         summary="Where a report I may see was handed, with the replies (办复)")
    def report_handoffs(self, request, report_id):
        return self.review.handoffs_of_report(self._principal(request), report_id)

    @api("POST", "/handoffs/<handoff_id>/reply", body=c.HandoffReplyInput,
         answer=c.HandoffSchema, roles=MAY["answer_handoffs"],
         summary="Reply to a hand-off (办复) with how far the matter is solved; a later reply "
                 "replaces it until the author rates it")
    def reply_to_handoff(self, request, handoff_id):
        return self.review.reply_to_handoff(self._principal(request), handoff_id,
                                            read_json(request))

    @api("POST", "/handoffs/<handoff_id>/rating", body=c.HandoffRatingInput,
         answer=c.HandoffSchema, roles=MAY["create_reports"],
         summary="The author rates the reply (满意度), once")
    def rate_handoff(self, request, handoff_id):
        return self.review.rate_handoff(self._principal(request), handoff_id, read_json(request))

    @api("POST", "/handoffs/<handoff_id>/attachments", upload="file",
         answer=c.AttachmentSchema, status=201, roles=MAY["answer_handoffs"],
         max_body=ATTACHMENT_MAX_BODY, too_large=ATTACHMENT_TOO_LARGE,
         summary="Attach a file to the reply (办复件), as for a report")
    def add_handoff_attachment(self, request, handoff_id):
        principal = self._principal(request)
        return self._store_upload(request, lambda blob: self.review.add_handoff_attachment(
            principal, handoff_id, blob))

    @api("GET", "/handoffs/<handoff_id>/attachments/<attachment_id>",
         binary="application/octet-stream",
         summary="A file on a hand-off's reply (404 for anyone who may not see it)")
    def download_handoff_attachment(self, request, handoff_id, attachment_id):
        return self._send_file(self.review.handoff_attachment_to_send(
            self._principal(request), handoff_id, attachment_id))

    @api("POST", "/handoffs/reminders", body=c.RemindersInput, answer=c.RemindersAnswer,
         roles=MAY["review"], summary="Send due hand-off reminders now (the hourly job)")
    def run_handoff_reminders(self, request):
        editor = self._principal(request)
        body = read_json(request) if request.content_length else {}
        return {"sent": self.review.send_handoff_reminders(editor, body)}

    @api("POST", "/review/merge", body=c.MergeInput, answer=c.PieceSchema, status=201,
         roles=MAY["review"], summary="Merge 2+ pending reports into one piece (综合采用)")
    def review_merge(self, request):
        editor = self._principal(request)
        return json_response(self.review.merge(editor, read_json(request)), status=201)

    @api("GET", "/review/pieces", page_of=c.PieceSchema, roles=MAY["review"],
         query=PAGE + (("unassigned", "boolean", "only pieces in no issue"),),
         summary="Adopted pieces")
    def review_pieces(self, request):
        editor = self._principal(request)
        return self.review.list_pieces(editor, request.args.to_dict())

    @api("POST", "/review/issues", body=c.IssueInput, answer=c.IssueSchema, status=201,
         roles=MAY["review"], summary="Compose a numbered issue (期)")
    def create_issue(self, request):
        editor = self._principal(request)
        return json_response(self.review.create_issue(editor, read_json(request)), status=201)

    @api("GET", "/review/issues", page_of=c.IssueSchema, query=PAGE, roles=MAY["review"],
         summary="Issues, newest first")
    def list_issues(self, request):
        editor = self._principal(request)
        return self.review.list_issues(editor, request.args.to_dict())

    @api("GET", "/review/issues/<issue_id>", answer=c.IssueSchema, roles=MAY["review"],
         summary="An issue with its pieces in order")
    def get_issue(self, request, issue_id):
        return self.review.get_issue(self._principal(request), issue_id)

    @api("PATCH", "/review/issues/<issue_id>", body=c.IssueImprint, answer=c.IssueSchema,
         roles=MAY["review"], summary="Change an issue's 签发, 版记 lines, date or 总第M期")
    def update_issue(self, request, issue_id):
        editor = self._principal(request)
        return self.review.update_issue(editor, issue_id, read_json(request))

    @api("PUT", "/review/issues/<issue_id>/pieces", body=c.IssuePiecesInput,
         answer=c.IssueSchema, roles=MAY["review"], summary="Set an issue's pieces and their order")
    def set_issue_pieces(self, request, issue_id):
        editor = self._principal(request)
        return self.review.set_issue_pieces(editor, issue_id, read_json(request))

    @api("GET", "/review/issues/<issue_id>/docx", binary=DOCX, roles=MAY["review"],
         summary="An issue as a Word document", audit="document.download")
    def issue_docx(self, request, issue_id):
        document = self.review.issue_docx(self._principal(request), issue_id)
        return attachment(document, DOCX, "issue.docx")

    @api("GET", "/review/pieces/<piece_id>/docx", binary=DOCX, roles=MAY["review"],
         query=(("signed_by", "string", "签发人"), ("report_to", "string", "报送对象（报：）"),
                ("published_on", "string", "日期 2026-11-27（默认今天）")),
         summary="One adopted piece as a 专报 (Word)", audit="document.download")
    def piece_docx(self, request, piece_id):
        document = self.review.piece_docx(self._principal(request), piece_id,
                                          request.args.to_dict())
        return attachment(document, DOCX, "special-report.docx")

    # --- scores ------------------------------------------------------------------------------
    @api("GET", "/scores/people/<person_id>", answer=c.Scores,
         query=(("period", "string", "2026-Q3, 2026 or 2025..2026"),),
         summary="A person's points and score lines (self, unit admin, editors)")
    def person_scores(self, request, person_id):
        principal = self._principal(request)
        return self.scoring.person_scores(principal, person_id, request.args.get("period"))

    @api("GET", "/scores/people/<person_id>/record", answer=c.MemberRecord,
         audit="document.download",
         query=(("period", "string", "term:十五届 (the default: the current term), or years"),
                ("format", {"type": "string", "enum": ["json", "xlsx", "docx"]},
                 "json (the default), xlsx or docx")),
         summary="A person's record (履职档案) for a term: quota met per year, reports and "
                 "what became of them, points (self, unit admin, editors)")
    def person_record(self, request, person_id):
        principal = self._principal(request)
        wanted = request.args.get("format", "json")
        found = self.scoring.person_record(principal, person_id, request.args.get("period"),
                                           wanted)
        if wanted == "json":
            return found
        return attachment(found, found["content_type"], f"record.{wanted}")

    @api("GET", "/scores/records", answer=c.MemberRecords, roles=MAY["see_every_score"],
         audit="document.download",
         query=(("period", "string", "term:十五届 (the default: the current term), or years"),
                ("format", {"type": "string", "enum": ["json", "xlsx"]},
                 "json (the default) or xlsx")),
         summary="Every member's and officer's record for a term, for evaluation")
    def member_records(self, request):
        principal = self._principal(request)
        wanted = request.args.get("format", "json")
        found = self.scoring.member_records(principal, request.args.get("period"), wanted)
        if wanted == "json":
            return found
        return attachment(found, found["content_type"], "records.xlsx")

    @api("GET", "/scores/units/<unit_id>", answer=c.Scores,
         query=(("period", "string", "2026-Q3, 2026 or 2025..2026"),),
         summary="A unit's points and score lines (its admins, editors)")
    def unit_scores(self, request, unit_id):
        principal = self._principal(request)
        return self.scoring.unit_scores(principal, unit_id, request.args.get("period"))

    @api("GET", "/scores/standings", answer=c.Standings, summary="Ranked standings",
         query=PAGE + (("period", "string", "2026-Q3, 2026 or 2025..2026"),
                       ("kind", "string", "person or unit"),
                       ("role", "string", "member or officer")))
    def standings(self, request):
        return self.scoring.standings(self._principal(request), request.args.to_dict())

    @api("GET", "/scores/rules", page_of=c.RuleSetOutput, query=PAGE,
         summary="Rule set versions")
    def rule_sets(self, request):
        self._principal(request)
        return paged(self.scoring.rule_sets(), request.args)

    @api("POST", "/scores/rules", body=c.RuleSetInput, answer=c.RuleSetOutput, status=201,
         roles=MAY["manage_scoring"], summary="Add a rule set version (old ones are never edited)",
         audit="rules.add")
    def add_rule_set(self, request):
        admin = self._principal(request)
        return json_response(self.scoring.add_rule_set(admin, read_json(request)), status=201)

    @api("GET", "/scores/check", answer=c.ScoreCheck, roles=MAY["manage_scoring"],
         summary="Prove the stored score lines and totals equal a recomputation (changes "
                 "nothing; python -m services.scoring.rebuild --check is its twin)")
    def score_check(self, request):
        return self.scoring.check(self._principal(request))

    @api("GET", "/scores/quota", answer=c.Quota,
         query=(("year", {"type": "integer", "minimum": 2000, "maximum": 2999}, "a year"),),
         summary="Quota owed and submitted per person: editors all, unit admins their "
                 "units', members and officers their own")
    def quota(self, request):
        principal = self._principal(request)
        return self.scoring.quota(principal, request.args.get("year"))

    @api("POST", "/scores/quotas", body=c.QuotaInput, answer=c.QuotaInput,
         roles=MAY["manage_scoring"],
         summary="Set a role's yearly quota", audit="quota.set")
    def set_quota(self, request):
        return self.scoring.set_quota(self._principal(request), read_json(request))

    @api("POST", "/scores/quota/reminders", body=c.RemindersInput, answer=c.RemindersAnswer,
         roles=MAY["manage_scoring"], summary="Send due quota reminders now (the hourly job)")
    def run_quota_reminders(self, request):
        admin = self._principal(request)
        body = read_json(request) if request.content_length else {}
        return {"sent": self.scoring.run_quota_reminders(admin, body)}

    @api("POST", "/scores/adjustments", body=c.AdjustmentInput, answer=c.AdjustmentSchema,
         status=201, roles=MAY["manage_scoring"], audit="score.adjust",
         summary="Add or take points by hand with a reason (积分调整): its own score line, "
                 "counted in standings, bulletins and the check; the person is told")
    def add_adjustment(self, request):
        admin = self._principal(request)
        return json_response(self.scoring.add_adjustment(admin, read_json(request)),
                             status=201)

    @api("POST", "/scores/appeals", body=c.AppealInput, answer=c.AppealSchema, status=201,
         summary="Appeal one of my score lines by its key (申诉); one open appeal per line")
    def file_appeal(self, request):
        person = self._principal(request)
        return json_response(self.scoring.file_appeal(person, read_json(request)), status=201)

    @api("GET", "/scores/appeals", page_of=c.AppealSchema,
         query=PAGE + (("status", {"type": "string", "enum": list(c.APPEAL_STATUSES)},
                        "open, accepted or rejected"),),
         summary="Appeals, newest first: editors every one, anyone else their own")
    def list_appeals(self, request):
        principal = self._principal(request)
        return self.scoring.list_appeals(principal, request.args.get("status"),
                                         **load_page(request.args))

    @api("POST", "/scores/appeals/<appeal_id>/resolve", body=c.AppealResolution,
         answer=c.AppealSchema, roles=MAY["review"],
         summary="Resolve an appeal with a comment; the person is told. Accepting changes no "
                 "points by itself: correct the decision or outcome, or add an adjustment")
    def resolve_appeal(self, request, appeal_id):
        editor = self._principal(request)
        return self.scoring.resolve_appeal(editor, appeal_id, read_json(request))

    @api("GET", "/scores/bulletins", answer=c.PublishedBulletins,
         summary="Published bulletins, newest first")
    def list_bulletins(self, request):
        return self.scoring.list_bulletins(self._principal(request))

    @api("GET", "/scores/bulletins/<period>", answer=c.Bulletin,
         query=(("format", {"type": "string", "enum": ["json", "csv", "xlsx", "docx"]},
                 "json (the default), csv, xlsx or docx"),),
         summary="The bulletin (通报) of a period", audit="document.download")
    def bulletin(self, request, period):
        principal = self._principal(request)
        wanted = request.args.get("format", "json")
        if wanted == "json":
            return self.scoring.bulletin(principal, period)
        document = self.scoring.bulletin_file(principal, period, wanted)
        return attachment(document, document["content_type"], f"bulletin.{wanted}")

    @api("POST", "/scores/bulletins/<period>/publish", answer=c.Bulletin,
         roles=MAY["publish_bulletins"],
         summary="Publish a bulletin: every unit admin is told")
    def publish_bulletin(self, request, period):
        editor = self._principal(request)
        return self.scoring.publish_bulletin(editor, period)

    @api("GET", "/scores/awards", answer=c.Awards, audit="document.download",
         summary="Awards (表彰) for a range of years: as data, or the decision (docx) and "
                 "the lists (xlsx); authors who did not consent are not named",
         query=(("period", "string", "2025..2026"), ("tiers", "string", "3,5,7"),
                ("top", "integer", "officers listed"),
                ("min_adoptions", "integer", "adoptions an officer needs"),
                ("format", {"type": "string", "enum": ["json", "xlsx", "docx"]},
                 "json (the default), xlsx or docx")))
    def awards(self, request):
        principal = self._principal(request)
        filters = request.args.to_dict()
        wanted = filters.pop("format", "json")
        if wanted == "json":
            return self.scoring.awards(principal, filters)
        document = self.scoring.awards_file(principal, filters, wanted)
        return attachment(document, document["content_type"], f"awards.{wanted}")

    # --- notifications -------------------------------------------------------------------------
    @api("GET", "/notifications", answer=c.Inbox,
         query=PAGE + (("unread", "boolean", "only unread"),), summary="My inbox, newest first")
    def notifications(self, request):
        return self.notify.inbox(self._principal(request), request.args.to_dict())

    @api("POST", "/notifications/<notification_id>/read", answer=c.NotificationSchema,
         summary="Mark one of mine read")
    def mark_read(self, request, notification_id):
        return self.notify.mark_read(self._principal(request), notification_id)

    @api("GET", "/notifications/preferences", answer=c.Preferences, summary="My preferences")
    def get_preferences(self, request):
        return self.notify.get_preferences(self._principal(request))

    @api("PUT", "/notifications/preferences", body=c.PreferencesInput, answer=c.Preferences,
         summary="Set my channels: email, SMS (with a mainland mobile, where the office "
                 "sends SMS), WeCom (with a WeCom user ID, where the office uses WeCom); "
                 "the inbox is always on")
    def put_preferences(self, request):
        return self.notify.put_preferences(self._principal(request), read_json(request))

    @api("GET", "/notifications/deliveries", page_of=c.DeliverySchema,
         roles=MAY["manage_notifications"],
         query=PAGE + (("status", "string", "pending, sending, sent or failed"),),
         summary="Email and webhook deliveries")
    def list_deliveries(self, request):
        admin = self._principal(request)
        return self.notify.list_deliveries(admin, request.args.to_dict())

    @api("POST", "/notifications/deliveries/<delivery_id>/retry", answer=c.DeliverySchema,
         roles=MAY["manage_notifications"], summary="Retry a failed delivery")
    def retry_delivery(self, request, delivery_id):
        return self.notify.retry_delivery(self._principal(request), delivery_id)

    @api("POST", "/webhooks", body=c.WebhookInput, answer=c.WebhookSchema, status=201,
         roles=MAY["manage_notifications"], summary="Subscribe an outside system to event types",
         audit="webhook.create")
    def create_webhook(self, request):
        admin = self._principal(request)
        return json_response(self.notify.create_webhook(admin, read_json(request)), status=201)

    @api("GET", "/webhooks", page_of=c.WebhookSchema, query=PAGE,
         roles=MAY["manage_notifications"],
         summary="Webhook subscriptions")
    def list_webhooks(self, request):
        return paged(self.notify.list_webhooks(self._principal(request))["items"],
                     request.args)

    @api("DELETE", "/webhooks/<webhook_id>", answer=c.Deleted, roles=MAY["manage_notifications"],
         summary="Remove a webhook subscription", audit="webhook.delete")
    def delete_webhook(self, request, webhook_id):
        return self.notify.delete_webhook(self._principal(request), webhook_id)

    # --- the web app (docs/web.md) --------------------------------------------------------------
    @api("GET", "/", prefix="", public=True, binary="text/html", summary="The web app")
    def web_index(self, request):
        return webapp.index(request.headers.get("Accept-Encoding"), "/",
                            SESSION_COOKIE in request.cookies)

    @api("GET", "/<path:path>", prefix="", public=True, binary="text/html",
         summary="The web app's files; any other page path answers the app")
    def web_files(self, request, path):
        return webapp.serve(path, request.headers.get("Accept-Encoding"),
                            SESSION_COOKIE in request.cookies)

    @rpc
    def ping(self):
        return "gateway"


def prepare(settings) -> None:
    """Before the container starts: the bootstrap admin (docs/operations.md), and the
    people published again after an upgrade that adds to person events."""
    database = Database(settings.db_url, metadata)
    try:
        directory.ensure_admin(database, os.environ.get("MINYI_ADMIN_USERNAME", "admin"),
                               os.environ.get("MINYI_ADMIN_PASSWORD"))
        republished = directory.republish_people_if_stale(database)
        if republished:
            logging.getLogger(__name__).info(
                "published %d people again: person events carry more than they did",
                republished)
    finally:
        database.dispose()


