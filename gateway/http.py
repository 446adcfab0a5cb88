"""HTTP plumbing for the gateway on nameko's web entrypoint: JSON bodies with a size
limit, problem+json for every error (also unknown routes and wrong methods), request ids."""
import gzip
import json
import logging
import re
import time
import uuid

from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from minyi_common import errors, i18n
from minyi_common.nameko import DatabaseProvider
from minyi_common.metrics import HTTP_REQUESTS, HTTP_SECONDS
from minyi_common.outages import what_is_away

from . import audit

log = logging.getLogger(__name__)

PREFIX = "/api/v1"
# A 503 is a broker restart or a busy service: seconds, not minutes (docs/operations.md).
RETRY_AFTER_UNAVAILABLE = 5
MAX_BODY = 64 * 1024
PROBLEM = "application/problem+json"
# docs/security.md: no inline script anywhere (the docs page included), no framing, no sniffing.
# Element Plus sets style attributes, hence 'unsafe-inline' for styles only.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                               "font-src 'self' data:; connect-src 'self'; object-src 'none'; "
                               "base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def json_response(data, status=200, headers=None) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status=status, headers=headers,
                    mimetype="application/json")


def problem(status: int, title: str, detail: str, errors_=None, headers=None,
            lang=i18n.DEFAULT_LANGUAGE, **extra):
    """problem+json in the caller's language (docs/office.md), with a stable ``code`` taken from
    the detail's template, else from the kind of problem."""
    code, detail = i18n.translate_detail(detail, lang)
    code = code or i18n.code_for_title(title) or "error"
    body = {"type": "about:blank", "title": i18n.translate_title(title, lang), "status": status,
            "code": code, "detail": detail, **extra}
    if errors_:
        body["errors"] = i18n.translate_field_errors(errors_, lang)
    headers = {**(headers or {}), "Content-Language": "en" if lang == "en" else "zh-CN",
               "Vary": "Accept-Language"}
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type=PROBLEM)


class PayloadTooLarge(errors.DomainError):
    status = 413
    title = "Payload too large"


class MalformedJson(errors.DomainError):
    status = 400
    title = "Malformed JSON"


class RateLimited(errors.DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, detail="", retry_after=60):
        super().__init__(detail)
        self.retry_after = retry_after


# A lone surrogate is valid JSON ("\\ud800") but no character: it cannot be encoded to
# UTF-8, so no database, log or document could take it. (A pair becomes one character.)
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value) -> str | None:
    """The first NUL or lone surrogate in any string of a parsed body, if any."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        return found.group() if found else None
    if isinstance(value, dict):
        items = value.items()
        return next((c for k, v in items for c in (_unstorable(k), _unstorable(v)) if c), None)
    if isinstance(value, list):
        return next((c for c in map(_unstorable, value) if c), None)
    return None


def client_address(request: Request, trusted_proxies: int = 0) -> str | None:
    """Who is calling, for login limits. Each trusted proxy appends the address it was
    called from to X-Forwarded-For, so the client is the entry that many places from the
    end; anything further left was written by the client itself and proves nothing."""
    if trusted_proxies <= 0:
        return request.remote_addr
    forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",")
                 if a.strip()]
    if len(forwarded) < trusted_proxies:
        return request.remote_addr  # not through all of them: the peer is the client
    return forwarded[-trusted_proxies][:45]


def read_json(request: Request):
    """The request body as JSON, refusing more than 64 KiB before reading it all."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise PayloadTooLarge(f"the body may not exceed {MAX_BODY} bytes")
    raw = request.stream.read(MAX_BODY + 1)
    if len(raw) > MAX_BODY:
        raise PayloadTooLarge(f"the body may not exceed {MAX_BODY} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedJson(f"the body is not valid JSON: {exc}") from None
    found = _unstorable(data)
    if found == "\x00":
        # PostgreSQL stores no NUL in text: refused here, for every field and route alike.
        raise MalformedJson("the body may not contain NUL characters")
    if found:
        raise MalformedJson("the body may not contain lone surrogates (\\ud800-\\udfff)")
    request.environ[audit.BODY] = data  # what an audited call asked for
    return data


def response_for_error(exc: Exception, request_id: str, lang=i18n.DEFAULT_LANGUAGE) -> Response:
    if isinstance(exc, errors.DomainError):
        headers = {}
        if isinstance(exc, RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, errors.Unauthorized):
            headers["WWW-Authenticate"] = "Bearer"
        if isinstance(exc, errors.ServiceUnavailable):
            headers["Retry-After"] = str(RETRY_AFTER_UNAVAILABLE)
        return problem(exc.status, exc.title, exc.detail, exc.errors, headers, lang)
    if what_is_away(exc) == "the database":
        # The gateway's own database restarting: nothing was done, try again shortly.
        log.warning("request %s: the database is not answering (%s)", request_id,
                    exc.__class__.__name__, extra={"request_id": request_id})
        return problem(503, "Service unavailable", "the database is not answering",
                       headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}, lang=lang)
    log.error("unexpected error on request %s", request_id, exc_info=exc,
              extra={"request_id": request_id})
    return problem(500, "Internal server error",
                   f"something went wrong on our side; quote request id {request_id}",
                   lang=lang, request_id=request_id)


def _request_id(environ) -> str:
    """The caller's X-Request-ID when it is sane, else a new one."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    if 0 < len(given) <= 100 and all(c.isalnum() or c in "-_.:" for c in given):
        return given
    return uuid.uuid4().hex


ACCESS = logging.getLogger("gateway.access")


def accepted_codings(accept_encoding: str | None) -> set:
    """The content codings an Accept-Encoding header accepts (``;q=0`` refuses one)."""
    names = set()
    for part in (accept_encoding or "").lower().split(","):
        name, *params = [piece.strip() for piece in part.split(";")]
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        if name and weight > 0:
            names.add(name)
    return names


# A JSON answer at least this long goes gzipped to a browser that accepts it: a page of
# the review queue is 35 KB as it is, 6 KB gzipped, which a phone on slow 4G waits for.
# Only answers to GET: they echo no secret beside text a caller chose (BREACH), and a
# submit's answer stays as cheap as it was.
COMPRESS_FROM = 1400


def compressed(environ, response):
    if environ.get("REQUEST_METHOD") != "GET" or response.is_streamed \
            or response.headers.get("Content-Encoding") \
            or response.mimetype not in ("application/json", PROBLEM):
        return response
    body = response.get_data()
    if len(body) < COMPRESS_FROM or not {"gzip", "*"} & accepted_codings(
            environ.get("HTTP_ACCEPT_ENCODING")):
        return response
    response.set_data(gzip.compress(body, compresslevel=5))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    return response


class ProblemWsgiApp(WsgiApp):
    """nameko's WsgiApp, answering problem+json where it would answer an HTML page,
    refusing oversized bodies before reading them, and counting every request."""

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        request_id = environ["minyi.request_id"] = _request_id(environ)
        lang = i18n.language(environ.get("HTTP_ACCEPT_LANGUAGE"))
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        route = "unmatched"
        try:
            if "\x00" in environ.get("PATH_INFO", "") or "%00" in environ.get("QUERY_STRING", "") \
                    or "\x00" in environ.get("QUERY_STRING", ""):
                raise MalformedJson("the address may not contain NUL characters")
            provider, values = adapter.match()
            route = provider.url
            length, limit = request.content_length, getattr(provider, "max_body", MAX_BODY)
            if length is not None and length > limit:
                raise PayloadTooLarge(getattr(provider, "too_large", None)
                                      or f"the body may not exceed {limit} bytes")
            request.path_values = values
            response = provider.handle_request(request)
        except HTTPException as exc:
            headers = {}
            if exc.code == 405:
                headers["Allow"] = ", ".join(sorted(exc.valid_methods or ()))
            response = problem(exc.code, exc.name, exc.description, headers=headers, lang=lang)
        except Exception as exc:
            response = response_for_error(exc, request_id, lang)
        response = compressed(environ, response)
        response.headers["X-Request-ID"] = request_id
        for header, value in SECURITY_HEADERS.items():
            response.headers.setdefault(header, value)
        method = environ.get("REQUEST_METHOD", "-")
        seconds = time.perf_counter() - started
        HTTP_REQUESTS.labels(method, route, str(response.status_code)).inc()
        HTTP_SECONDS.labels(method, route).observe(seconds)
        # One line per request, by its route's template (never the ids in its path).
        ACCESS.info("%s %s %s", method, route, response.status_code, extra={
            "request_id": request_id, "fields": {
                "method": method, "path": route, "status": response.status_code,
                "duration_ms": round(seconds * 1000, 1)}})
        return response(environ, start_response)


class ProblemWebServer(WebServer):
    def get_wsgi_app(self):
        return ProblemWsgiApp(self)

    def context_data_from_headers(self, request):
        # Travels with every RPC the request causes, into each service's log lines.
        return {"request_id": request.environ.get("minyi.request_id")}


# Where a route leaves the roles it declares for the worker that answers it.
ROUTE_ROLES = "minyi.route_roles"


class ApiRoute(HttpRequestHandler):
    """``@api("GET", "/reports/<id>")``: a route under /api/v1 answering JSON."""

    server = ProblemWebServer()

    def __init__(self, method, url, prefix=PREFIX, summary="", body=None, answer=None,
                 page_of=None, query=(), status=200, public=False, roles=None, binary=None,
                 idempotent=False, max_body=MAX_BODY, upload=None, too_large=None, audit=None,
                 **kwargs):
        kwargs.setdefault("expected_exceptions", (errors.DomainError,))
        super().__init__(method, prefix + url, **kwargs)
        self.max_body = max_body  # refused from the headers, before the body is read
        # What such a refusal says, when the route has its own words for it.
        self.too_large = too_large
        # The audit log's name for what this route does (gateway/audit.py), if it is kept.
        self.audit = audit
        self._database = None
        # What /openapi.json says of this route (gateway/openapi.py).
        self.doc = {"summary": summary, "body": body, "answer": answer, "page_of": page_of,
                    "query": query, "status": status, "public": public, "roles": roles,
                    "binary": binary, "idempotent": idempotent, "upload": upload}

    def handle_request(self, request):
        request.environ[ROUTE_ROLES] = self.doc["roles"]
        if not self.audit:
            return super().handle_request(request)
        try:
            response = super().handle_request(request)
        except Exception as exc:
            self._audit(request, _status_of(exc), None)
            raise
        self._audit(request, response.status_code, response.mimetype)
        return response

    def _audit(self, request, status: int, content_type: str | None) -> None:
        if not audit.should_record(request, status, content_type):
            return
        if self._database is None:  # the service's own, opened by its DatabaseProvider
            self._database = next(d.database for d in self.container.dependencies
                                  if isinstance(d, DatabaseProvider))
        proxies = self.container.config["MINYI"].trusted_proxies
        audit.record(self._database, request, self.audit, status,
                     client_address(request, proxies), request.environ.get("minyi.request_id"))

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        return json_response(result)

    def response_from_exception(self, exc):
        # ProblemWsgiApp turns it into problem+json, with the request id in hand.
        raise exc


def _status_of(exc: Exception) -> int:
    if isinstance(exc, errors.DomainError):
        return exc.status
    if isinstance(exc, HTTPException):
        return exc.code or 500
    return 503 if what_is_away(exc) else 500


api = ApiRoute.decorator
