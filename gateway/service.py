"""The gateway: the HTTP API (SPEC §9) in front of the services, and the directory."""
import base64
import os
from urllib.parse import quote

import eventlet
from kombu import Connection
from nameko.extensions import DependencyProvider
from nameko.rpc import rpc
from werkzeug.wrappers import Response

from minyi_common.errors import Unauthorized
from minyi_common.db import Database
from minyi_common.nameko_glue import DatabaseProvider, Settings, TimedRpcProxy
from minyi_common.schemas import load_page, require_role

from . import directory
from .adapters.orm import metadata
from .http import RateLimited, api, json_response, problem, read_json

READY_DEADLINE = 2.0
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BACKENDS = ("intake", "review", "scoring", "notify")


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


class GatewayService:
    name = "gateway"
    settings = Settings()
    db = DatabaseProvider(metadata)
    secret = SecretKey()
    intake = TimedRpcProxy("intake")
    review = TimedRpcProxy("review")
    scoring = TimedRpcProxy("scoring")
    notify = TimedRpcProxy("notify")

    # --- helpers ---------------------------------------------------------------------
    def _principal(self, request) -> dict:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send Authorization: Bearer <token> (POST /api/v1/auth/login)")
        return directory.principal_for_token(self.db, self.secret, token.strip())

    def _staff(self, request, *roles) -> dict:
        principal = self._principal(request)
        require_role(principal, *roles)
        return principal

    # --- health ----------------------------------------------------------------------
    @api("GET", "/healthz", prefix="")
    def healthz(self, request):
        return {"status": "ok"}

    @api("GET", "/readyz", prefix="")
    def readyz(self, request):
        checks = {}

        def broker():
            with Connection(self.settings.amqp_uri, connect_timeout=READY_DEADLINE) as conn:
                conn.ensure_connection(max_retries=1, timeout=READY_DEADLINE)

        def service(name):
            getattr(self, name).within(READY_DEADLINE).ping()

        probes = {"broker": broker, **{n: (lambda n=n: service(n)) for n in BACKENDS}}
        pool = eventlet.GreenPool(len(probes))
        results = {name: pool.spawn(self._probe, probe) for name, probe in probes.items()}
        for name, thread in results.items():
            checks[name] = thread.wait()
        ready = all(v == "ok" for v in checks.values())
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        if ready:
            return body
        missing = ", ".join(n for n, v in checks.items() if v != "ok")
        return problem(503, "Not ready", f"not answering: {missing}", checks=checks)

    @staticmethod
    def _probe(probe) -> str:
        try:
            with eventlet.Timeout(READY_DEADLINE + 0.5):
                probe()
            return "ok"
        except BaseException as exc:  # eventlet.Timeout is a BaseException
            return f"failed: {exc.__class__.__name__}: {exc}"[:200]

    # --- auth and directory ----------------------------------------------------------
    @api("POST", "/auth/login")
    def login(self, request):
        try:
            return directory.login(self.db, self.secret, read_json(request))
        except directory.TooManyAttempts as exc:
            raise RateLimited("too many failed logins for this username; wait and retry",
                              exc.retry_after) from None

    @api("GET", "/me")
    def me(self, request):
        return self._principal(request)

    @api("POST", "/units")
    def create_unit(self, request):
        admin = self._staff(request, "admin")
        return json_response(directory.create_unit(self.db, admin["id"], read_json(request)),
                             status=201)

    @api("GET", "/units")
    def list_units(self, request):
        self._principal(request)
        items = directory.list_units(self.db)
        return {"items": items, "total": len(items), "page": 1, "page_size": len(items)}

    @api("POST", "/users")
    def create_user(self, request):
        admin = self._staff(request, "admin")
        return json_response(directory.create_user(self.db, admin["id"], read_json(request)),
                             status=201)

    @api("GET", "/users")
    def list_users(self, request):
        self._staff(request, "admin")
        return directory.list_users(self.db, **load_page(request.args))

    @api("PATCH", "/users/<user_id>")
    def update_user(self, request, user_id):
        admin = self._staff(request, "admin")
        return directory.update_user(self.db, admin["id"], user_id, read_json(request))

    # --- reports (intake) ------------------------------------------------------------
    @api("POST", "/reports")
    def create_report(self, request):
        principal = self._principal(request)
        body = read_json(request)
        key = request.headers.get("Idempotency-Key")
        answer = self.intake.create_report(principal, body, key)
        return json_response(answer["report"], status=201 if answer["created"] else 200)

    @api("GET", "/reports")
    def list_reports(self, request):
        principal = self._principal(request)
        return self.intake.list_reports(principal, request.args.to_dict())

    @api("GET", "/reports/<report_id>")
    def get_report(self, request, report_id):
        return self.intake.get_report(self._principal(request), report_id)

    @api("PUT", "/reports/<report_id>")
    def update_report(self, request, report_id):
        principal = self._principal(request)
        return self.intake.update_report(principal, report_id, read_json(request))

    @api("POST", "/reports/<report_id>/submit")
    def submit_report(self, request, report_id):
        return self.intake.submit_report(self._principal(request), report_id)

    @api("POST", "/reports/<report_id>/withdraw")
    def withdraw_report(self, request, report_id):
        return self.intake.withdraw_report(self._principal(request), report_id)

    # --- review ------------------------------------------------------------------------
    @api("GET", "/review/queue")
    def review_queue(self, request):
        editor = self._staff(request, "editor", "admin")
        return self.review.queue(editor, request.args.to_dict())

    @api("POST", "/review/merge")
    def review_merge(self, request):
        editor = self._staff(request, "editor", "admin")
        return json_response(self.review.merge(editor, read_json(request)), status=201)

    @api("GET", "/review/pieces")
    def review_pieces(self, request):
        editor = self._staff(request, "editor", "admin")
        return self.review.list_pieces(editor, request.args.to_dict())

    @api("POST", "/review/issues")
    def create_issue(self, request):
        editor = self._staff(request, "editor", "admin")
        return json_response(self.review.create_issue(editor, read_json(request)), status=201)

    @api("GET", "/review/issues")
    def list_issues(self, request):
        editor = self._staff(request, "editor", "admin")
        return self.review.list_issues(editor, request.args.to_dict())

    @api("GET", "/review/issues/<issue_id>")
    def get_issue(self, request, issue_id):
        return self.review.get_issue(self._staff(request, "editor", "admin"), issue_id)

    @api("PUT", "/review/issues/<issue_id>/pieces")
    def set_issue_pieces(self, request, issue_id):
        editor = self._staff(request, "editor", "admin")
        return self.review.set_issue_pieces(editor, issue_id, read_json(request))

    @api("GET", "/review/issues/<issue_id>/docx")
    def issue_docx(self, request, issue_id):
        document = self.review.issue_docx(self._staff(request, "editor", "admin"), issue_id)
        return Response(base64.b64decode(document["content_base64"]), mimetype=DOCX,
                        headers={"Content-Disposition": "attachment; filename=issue.docx; "
                                 f"filename*=UTF-8''{quote(document['filename'])}"})

    @api("POST", "/review/<report_id>/<action>")
    def review_decide(self, request, report_id, action):
        editor = self._staff(request, "editor", "admin")
        if action not in ("return", "retain", "reject", "adopt", "outcomes"):
            return problem(404, "Not Found", f"no review action {action!r}")
        return self.review.decide(editor, report_id, action, read_json(request))

    # --- scores ------------------------------------------------------------------------
    @api("GET", "/scores/people/<person_id>")
    def person_scores(self, request, person_id):
        principal = self._principal(request)
        return self.scoring.person_scores(principal, person_id, request.args.get("period"))

    @api("GET", "/scores/units/<unit_id>")
    def unit_scores(self, request, unit_id):
        principal = self._principal(request)
        return self.scoring.unit_scores(principal, unit_id, request.args.get("period"))

    @api("GET", "/scores/standings")
    def standings(self, request):
        return self.scoring.standings(self._principal(request), request.args.to_dict())

    @api("GET", "/scores/rules")
    def rule_sets(self, request):
        self._principal(request)
        items = self.scoring.rule_sets()
        return {"items": items, "total": len(items), "page": 1, "page_size": len(items)}

    @api("POST", "/scores/rules")
    def add_rule_set(self, request):
        admin = self._staff(request, "admin")
        return json_response(self.scoring.add_rule_set(admin, read_json(request)), status=201)

    @api("GET", "/scores/quota")
    def quota(self, request):
        principal = self._staff(request, "editor", "admin", "unit_admin")
        return self.scoring.quota(principal, request.args.get("year"))

    @api("POST", "/scores/quotas")
    def set_quota(self, request):
        return self.scoring.set_quota(self._staff(request, "admin"), read_json(request))

    @api("POST", "/scores/quota/reminders")
    def run_quota_reminders(self, request):
        admin = self._staff(request, "admin")
        body = read_json(request) if request.content_length else {}
        return {"sent": self.scoring.run_quota_reminders(admin, (body or {}).get("on"))}

    @api("GET", "/scores/bulletins/<period>")
    def bulletin(self, request, period):
        principal = self._principal(request)
        wanted = request.args.get("format", "json")
        if wanted == "json":
            return self.scoring.bulletin(principal, period)
        document = self.scoring.bulletin_file(principal, period, wanted)
        return Response(base64.b64decode(document["content_base64"]),
                        content_type=document["content_type"],
                        headers={"Content-Disposition": f"attachment; filename=bulletin.{wanted};"
                                 f" filename*=UTF-8''{quote(document['filename'])}"})

    @api("POST", "/scores/bulletins/<period>/publish")
    def publish_bulletin(self, request, period):
        editor = self._staff(request, "editor", "admin")
        return self.scoring.publish_bulletin(editor, period)

    @api("GET", "/scores/awards")
    def awards(self, request):
        return self.scoring.awards(self._principal(request), request.args.to_dict())

    # --- notifications ----------------------------------------------------------------
    @api("GET", "/notifications")
    def notifications(self, request):
        principal = self._principal(request)
        return self.notify.inbox(principal, request.args.to_dict())

    @api("POST", "/notifications/<notification_id>/read")
    def mark_read(self, request, notification_id):
        return self.notify.mark_read(self._principal(request), notification_id)

    @api("GET", "/notifications/preferences")
    def get_preferences(self, request):
        return self.notify.get_preferences(self._principal(request))

    @api("PUT", "/notifications/preferences")
    def put_preferences(self, request):
        return self.notify.put_preferences(self._principal(request), read_json(request))

    @api("GET", "/notifications/deliveries")
    def list_deliveries(self, request):
        admin = self._staff(request, "admin")
        return self.notify.list_deliveries(admin, request.args.to_dict())

    @api("POST", "/notifications/deliveries/<delivery_id>/retry")
    def retry_delivery(self, request, delivery_id):
        return self.notify.retry_delivery(self._staff(request, "admin"), delivery_id)

    @api("POST", "/webhooks")
    def create_webhook(self, request):
        admin = self._staff(request, "admin")
        return json_response(self.notify.create_webhook(admin, read_json(request)), status=201)

    @api("GET", "/webhooks")
    def list_webhooks(self, request):
        return self.notify.list_webhooks(self._staff(request, "admin"))

    @api("DELETE", "/webhooks/<webhook_id>")
    def delete_webhook(self, request, webhook_id):
        return self.notify.delete_webhook(self._staff(request, "admin"), webhook_id)

    @rpc
    def ping(self):
        return "gateway"


def prepare(settings) -> None:
    """Before the first start: the bootstrap admin (SPEC §10)."""
    database = Database(settings.db_url, metadata)
    try:
        directory.ensure_admin(database, os.environ.get("MINYI_ADMIN_USERNAME", "admin"),
                               os.environ.get("MINYI_ADMIN_PASSWORD"))
    finally:
        database.dispose()

