"""/openapi.json: the OpenAPI 3 document of the gateway, made from the routes' own
declarations (``@api(..., body=..., answer=...)``) and the contract schemas they name,
so the document cannot drift from what the routes take and answer."""
import json
import re
from functools import lru_cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from .http import ApiRoute

PROBLEM = {"type": "object", "required": ["type", "title", "status", "code", "detail"],
           "properties": {
    "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
    "code": {"type": "string", "description": "stable, machine-readable (docs/office.md); title, "
                                              "detail and errors follow Accept-Language"},
    "detail": {"type": "string"},
    "import_errors": {"type": "array", "description": "a refused roster import, row by row",
                      "items": {"type": "object", "additionalProperties": True}},
    "errors": {"type": "object", "description": "field name → messages",
               "additionalProperties": True},
    "request_id": {"type": "string"}}}
PROBLEMS = {
    "400": "Malformed JSON", "401": "No or bad token", "403": "Not allowed",
    "404": "Unknown or not visible", "409": "Illegal transition or conflict",
    "413": "Body over 64 KiB", "422": "Invalid fields (errors names each)",
    "429": "Too many attempts", "503": "A service did not answer",
}
_PATH_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def _routes(service_cls):
    for name in sorted(vars(service_cls)):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                yield name, entrypoint


_pages = {}


def _page_of(item: type) -> type:
    """{items: [item], total, page, page_size}, one schema per item type."""
    if item not in _pages:
        name = item.__name__.replace("Schema", "").replace("Output", "") + "Page"
        _pages[item] = Schema.from_dict({
            "items": fields.List(fields.Nested(item), required=True),
            "total": fields.Integer(required=True), "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
            "total_exact": fields.Boolean(metadata={"description": (
                "false when total is a lower bound: a search of reports counts its first "
                "1,000 matches")})}, name=name)
    return _pages[item]


def _problem_responses(route, doc, path_params) -> dict:
    wanted = ["422", "503"]
    if doc["body"] is not None or doc.get("upload"):
        wanted += ["400", "413"]
    if not doc["public"]:
        wanted.append("401")
    if doc["roles"]:
        wanted.append("403")
    if path_params:
        wanted += ["404", "409"] if route.method != "GET" else ["404"]
    if route.url.endswith("/auth/login"):
        wanted.append("429")
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    answers = {code: {"description": PROBLEMS[code], "content": problem}
               for code in sorted(set(wanted))}
    answers["default"] = {"description": "Unexpected error (with a request id)",
                          "content": problem}
    return answers


def _operation(name, route) -> dict:
    doc = route.doc
    path_params = _PATH_PARAM.findall(route.url)
    parameters = [{"in": "path", "name": p, "required": True, "schema": {"type": "string"}}
                  for p in path_params]
    parameters += [{"in": "query", "name": q, "required": False, "description": text,
                    "schema": kind if isinstance(kind, dict) else {"type": kind}}
                   for q, kind, text in doc["query"]]
    parameters.append({"in": "header", "name": "X-Request-ID", "required": False,
                       "description": "Passed through to every service's log lines",
                       "schema": {"type": "string", "maxLength": 100}})
    if doc["idempotent"]:
        parameters.append({"in": "header", "name": "Idempotency-Key", "required": False,
                           "description": "A retry with the same key and body answers the "
                                          "same report, with the same status and the "
                                          "header Idempotent-Replayed: true (keys are "
                                          "kept 24 h per user)",
                           "schema": {"type": "string", "maxLength": 200}})
    if doc["binary"]:
        success = {"description": "OK", "content": {doc["binary"]: {
            "schema": {"type": "string", "format": "binary"}}}}
    else:
        answer = _page_of(doc["page_of"]) if doc["page_of"] else doc["answer"]
        success = {"description": "OK", "content": {"application/json": {
            "schema": answer or {"type": "object"}}}}
    if doc["answer"] is not None and route.url.startswith("/api/v1/scores/bulletins/") \
            and route.method == "GET":
        success["content"].update({
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}},
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                "schema": {"type": "string", "format": "binary"}}})
    operation = {
        "operationId": name,
        "summary": doc["summary"] or name.replace("_", " "),
        "tags": [route.url.split("/")[3] if route.url.startswith("/api/v1/") else "operations"],
        "parameters": parameters,
        "responses": {str(doc["status"]): success,
                      **_problem_responses(route, doc, path_params)},
        "security": [] if doc["public"] else [{"bearer": []}],
    }
    if doc["roles"]:
        operation["description"] = "Roles: " + ", ".join(doc["roles"])
    if doc["body"] is not None:
        # A PATCH changes the fields it names (the service loads it as partial): its body
        # is the schema with nothing required, registered as <Schema>Patch.
        body = doc["body"](partial=True) if route.method == "PATCH" else doc["body"]
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": body}}}
    if doc.get("upload"):
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {
            "schema": {"type": "object", "required": [doc["upload"]], "properties": {
                doc["upload"]: {"type": "string", "format": "binary"}}}}}}
    return operation


@lru_cache(maxsize=None)
def document(service_cls) -> dict:
    spec = APISpec(title="民意 Minyi API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()],
                   info={"description": "社情民意信息: reports, review, scoring and "
                                        "notifications of a CPPCC information office."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.schema("Problem", PROBLEM)
    for body in sorted({route.doc["body"] for _, route in _routes(service_cls)
                        if route.method == "PATCH" and route.doc["body"] is not None},
                       key=lambda schema: schema.__name__):
        spec.components.schema(body.__name__ + "Patch", schema=body(partial=True))
    paths = {}
    for name, route in _routes(service_cls):
        path = _PATH_PARAM.sub(r"{\1}", route.url)
        paths.setdefault(path, {})[route.method.lower()] = _operation(name, route)
    for path, operations in sorted(paths.items()):
        spec.path(path=path, operations=operations)
    # Defaults such as coauthor_share are Decimals: JSON numbers in the document.
    return _nullable_refs(json.loads(json.dumps(spec.to_dict(), default=float)))


def _nullable_refs(node):
    """A nested schema that may be null is "that schema, or null". apispec writes it as
    ``anyOf: [{type: object, nullable: true}, {$ref}]``, which reads as "any object or
    that schema" (generated types: ``Record<string, never> | X``); this writes
    ``allOf: [{$ref}], nullable: true`` instead, in the whole document."""
    if isinstance(node, list):
        return [_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if (isinstance(options, list) and len(options) == 2
            and options[0] == {"nullable": True, "type": "object"} and "$ref" in options[1]):
        rest = {k: v for k, v in node.items() if k != "anyOf"}
        return {**rest, "allOf": [options[1]], "nullable": True}
    return {key: _nullable_refs(value) for key, value in node.items()}
