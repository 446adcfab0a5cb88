"""An office upgrades (docs/operations.md): the previous release runs on its databases and
is used, is stopped, and this release starts on the same databases, on SQLite and on
PostgreSQL. Every service migrates its own database as it starts, and what the office
had is there and works: reports, decisions, points, and a local matter handed to a town
office before hand-offs had rows of their own."""
import io
import pathlib
import subprocess
import tarfile
import uuid

import pytest
import requests

import minyi_common

from minyi_common.testing import DatabaseMaker, SmtpServer, own_vhost

from .people import REPORT
from .system import SERVICES, Api, RunningSystem, eventually

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The previous release, by its tag and by its commit (a clone without tags has it too).
PREVIOUS_RELEASE = ("v0.8.0", "7fd2dee")


def previous_release(where: pathlib.Path) -> str:
    """The previous release's tree, from git."""
    for revision in PREVIOUS_RELEASE:
        found = subprocess.run(["git", "archive", revision], cwd=ROOT, capture_output=True)
        if found.returncode == 0:
            archive = found.stdout
            break
    else:
        pytest.skip("this checkout holds no history (a shallow clone): no previous release")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tree:
        tree.extractall(where, filter="data")
    return str(where)


def person(admin, name, roles, units=()):
    made = admin.post("/users", {"username": name, "password": "password-123",
                                 "display_name": name, "roles": list(roles),
                                 "unit_ids": list(units)})
    assert made.status_code == 201, made.text
    return made.json()["id"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_this_release_starts_on_the_previous_ones_data(backend, broker_uri, tmp_path, request):
    pg = request.getfixturevalue("pg_server_url") if backend == "postgresql" else None
    old_tree = previous_release(tmp_path / "previous")
    databases = DatabaseMaker(backend, tmp_path, pg)
    data_dir = str(tmp_path / "data")
    pathlib.Path(data_dir).mkdir()
    urls = ({s: databases.url(s, migrate=False) for s in SERVICES}
            if backend == "postgresql" else None)
    smtp = SmtpServer(pathlib.Path(data_dir)).start()
    try:
        with own_vhost(broker_uri) as amqp_uri:
            # The previous release: an office at work.
            old = RunningSystem(amqp_uri, data_dir, urls=urls, smtp=smtp, root=old_tree)
            key = old.env["MINYI_PRINCIPAL_KEY"]
            old.start(90)
            try:
                admin = old.admin()
                party = admin.post("/units", {"name": "民进县委会", "kind": "party"}).json()
                town = admin.post("/units", {"name": "城关镇政协工作室",
                                             "kind": "town_office"}).json()
                zhang = person(admin, "zhang", ["member"], [party["id"]])
                person(admin, "bianji", ["editor"])
                author = Api(old.base).login("zhang", "password-123")
                editor = Api(old.base).login("bianji", "password-123")
                kept = author.post("/reports", dict(REPORT, title="关于整治灌溉渠道渗漏的建议"))
                local = author.post("/reports", dict(REPORT, title="关于修缮村道路灯的建议"))
                kept_id, local_id = kept.json()["id"], local.json()["id"]
                assert eventually(lambda: editor.post(f"/review/{kept_id}/adopt", {})
                                  .status_code == 200, timeout=15)
                assert eventually(lambda: editor.post(f"/review/{local_id}/reject", {
                    "reason_code": "local_matter", "comment": "请镇里协调解决",
                    "handoff_unit_id": town["id"]}).status_code == 200, timeout=15)
                # The office stops once its work has settled (what is in flight then is
                # carried by the broker's queues: the new release reads the same ones).
                assert eventually(lambda: author.get(f"/reports/{local_id}").json()["status"]
                                  == "rejected", timeout=15)
                points = eventually(lambda: author.get(f"/scores/people/{zhang}").json().get("points"),
                                    timeout=15)
                assert points
            finally:
                assert old.stop(), "the previous release did not stop cleanly"

            # This release on the same data.
            new = RunningSystem(amqp_uri, data_dir, urls=urls, smtp=smtp,
                                extra_env={"MINYI_PRINCIPAL_KEY": key})
            new.namespace = new.env["MINYI_NAMESPACE"] = old.namespace  # the same queues
            new.start(90)
            try:
                author = Api(new.base).login("zhang", "password-123")
                editor = Api(new.base).login("bianji", "password-123")
                assert author.get(f"/reports/{kept_id}").json()["status"] == "adopted"
                assert author.get(f"/reports/{local_id}").json()["status"] == "rejected"
                assert author.get(f"/scores/people/{zhang}").json()["points"] == points
                handed = editor.get("/handoffs").json()["items"]
                assert [(h["report_id"], h["unit_name"]) for h in handed] == [
                    (local_id, "城关镇政协工作室")]
                assert requests.get(f"{new.base}/healthz", timeout=5).json()["version"] == \
                    minyi_common.__version__
                # And it works: a new report goes all the way.
                fresh = author.post("/reports", dict(REPORT, title=f"关于新{uuid.uuid4().hex[:4]}的建议"))
                assert fresh.status_code == 201, fresh.text
                assert eventually(lambda: editor.post(f"/review/{fresh.json()['id']}/adopt",
                                                      {}).status_code == 200, timeout=15)
            finally:
                assert new.stop(), "this release did not stop cleanly"
                new.cleanup_broker()
    finally:
        smtp.stop()
        databases.drop_all()
