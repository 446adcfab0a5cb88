"""What an office's operator reads in the logs (docs/operations.md): one JSON line per
request with its method, route template, status, duration and request id; an expected
4xx leaves no warning and no traceback; the request id travels into the services' lines."""
import json
import uuid

from .people import REPORT, make_people
from .system import eventually


def lines_of(system, request_id):
    with open(system.log_path, encoding="utf-8", errors="replace") as log:
        found = []
        for text in log:
            try:
                line = json.loads(text)
            except ValueError:
                continue
            if line.get("request_id") == request_id:
                found.append(line)
        return found


def test_each_request_is_one_access_line_and_a_404_is_no_warning(system):
    _, people = make_people(system, writer=["member"])
    writer = people["writer"]
    missing = f"req-{uuid.uuid4().hex}"
    answer = writer.api.get(f"/reports/{uuid.uuid4()}", headers={"X-Request-ID": missing})
    assert answer.status_code == 404 and answer.headers["X-Request-ID"] == missing
    made = f"req-{uuid.uuid4().hex}"
    assert writer.api.post("/reports", REPORT, headers={"X-Request-ID": made}).status_code == 201

    def access(request_id):
        return eventually(lambda: [line for line in lines_of(system, request_id)
                                   if line["logger"] == "gateway.access"], timeout=5)
    [line] = access(missing)
    assert (line["method"], line["path"], line["status"]) == (
        "GET", "/api/v1/reports/<report_id>", 404)
    assert line["level"] == "info" and line["duration_ms"] >= 0
    assert all(other["level"] in ("info", "debug") and "exc" not in other
               for other in lines_of(system, missing))
    [line] = access(made)
    assert (line["method"], line["path"], line["status"]) == ("POST", "/api/v1/reports", 201)
