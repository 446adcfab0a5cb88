"""`make backup` and `make restore` (tools/backup.py) on each database: an archive made
while the system runs, put back into empty databases and an empty data folder, and a
system started there finds the reports, their files and the keys; a corrupt archive and
one from a newer release are refused and change nothing."""
import io
import json
import os
import pathlib
import subprocess
import sys
import tarfile

from minyi_common.testing import DatabaseMaker, own_vhost

from .people import REPORT, make_people
from .system import SERVICES, Api, RunningSystem, eventually

ROOT = pathlib.Path(__file__).resolve().parent.parent
TOOL = [sys.executable, str(ROOT / "tools" / "backup.py")]


def run(env, *args):
    return subprocess.run(TOOL + list(args), env=env, capture_output=True, text=True)


def rewritten(archive, target, change):
    """A copy of ``archive`` with its manifest changed by ``change``."""
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            content = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(content)
                change(manifest)
                content = json.dumps(manifest).encode()
                member.size = len(content)
            out.addfile(member, io.BytesIO(content))


def test_a_backup_made_while_running_restores_into_an_empty_install(
        system, broker_uri, tmp_path, request):
    backend = "postgresql" if system.urls["intake"].startswith("postgresql") else "sqlite"
    _, people = make_people(system, writer=["member"])
    writer = people["writer"]
    report_id = writer.api.post("/reports", dict(REPORT, draft=True)).json()["id"]
    scan = b"%PDF-1.7\n" + b"1" * 5000 + b"\n%%EOF\n"
    added = writer.api.post(f"/reports/{report_id}/attachments",
                            files={"file": ("现场.pdf", scan, "application/pdf")})
    assert added.status_code == 201, added.text
    archive = str(tmp_path / "backup.tar.gz")
    made = run(system.env, "backup", archive)
    assert made.returncode == 0, made.stderr
    with tarfile.open(archive) as contents:
        names = contents.getnames()
    assert "manifest.json" in names and any(n.startswith("files/") for n in names)
    assert all(f"db/{s}." in " ".join(names) for s in SERVICES)

    # An empty install: new databases, a new data folder.
    pg = request.getfixturevalue("pg_server_url") if backend == "postgresql" else None
    databases = DatabaseMaker(backend, tmp_path, pg)
    data_dir = str(tmp_path / "restored")
    os.makedirs(data_dir)
    urls = ({s: databases.url(s, migrate=False) for s in SERVICES}
            if backend == "postgresql" else None)
    env = {**os.environ, "MINYI_DATA_DIR": data_dir,
           **{f"{s.upper()}_DB_URL": u for s, u in (urls or {}).items()}}
    corrupt = str(tmp_path / "corrupt.tar.gz")
    with open(archive, "rb") as source, open(corrupt, "wb") as out:
        content = bytearray(source.read())
        content[len(content) // 2] ^= 0xFF
        out.write(content)
    refused = run(env, "restore", corrupt)
    assert refused.returncode == 1 and "未恢复" in refused.stderr
    newer = str(tmp_path / "newer.tar.gz")
    rewritten(archive, newer, lambda m: m.update(release="99.0.0"))
    refused = run(env, "restore", newer)
    assert refused.returncode == 1 and "较新的版本" in refused.stderr
    assert os.listdir(data_dir) == []  # nothing put back by a refused archive
    restored = run(env, "restore", archive)
    assert restored.returncode == 0, restored.stderr
    try:
        with own_vhost(broker_uri) as amqp_uri:
            again = RunningSystem(amqp_uri, data_dir, urls=urls,
                                  extra_env={"MINYI_PRINCIPAL_KEY": system.env["MINYI_PRINCIPAL_KEY"]})
            again.start(90)
            try:
                username = writer.api.get("/me").json()["username"]
                back = Api(again.base).login(username, "password-123")
                assert back.get(f"/reports/{report_id}").json()["title"] == REPORT["title"]
                [file] = back.get(f"/reports/{report_id}/attachments").json()["items"]
                got = back.get(f"/reports/{report_id}/attachments/{file['id']}")
                assert got.status_code == 200 and got.content == scan
                assert eventually(lambda: back.post(f"/reports/{report_id}/submit")
                                  .status_code == 200, timeout=10)
            finally:
                assert again.stop()
                again.cleanup_broker()
    finally:
        databases.drop_all()
