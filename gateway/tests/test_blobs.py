"""Where uploaded files are kept: a folder, or an S3-compatible store (moto stands in for
MinIO here), and the sweep that drops what a killed gateway stored and never got claimed
(SQLite and PostgreSQL)."""
import io
import os
import subprocess
import sys
from datetime import timedelta

import pytest

from gateway import attachments
from gateway.adapters import blobs
from gateway.adapters.orm import metadata, uploads_in_flight
from minyi_common.db import Database
from minyi_common.errors import Forbidden
from minyi_common.testing import both_backends
from tests.system import ROOT

CONTENT = b"%PDF-1.7\n" + bytes(range(256)) * 600  # larger than one chunk


def round_trip(store):
    store.put("a" * 32, io.BytesIO(CONTENT))
    assert store.exists("a" * 32)
    assert b"".join(store.chunks("a" * 32)) == CONTENT
    store.delete("a" * 32)
    store.delete("a" * 32)  # dropping what is gone is no error
    assert not store.exists("a" * 32)


def test_a_folder_keeps_a_file_whole_or_not_at_all(tmp_path):
    store = blobs.store_for("", str(tmp_path))
    round_trip(store)

    class Broken(io.BytesIO):
        def read(self, *args):
            raise ConnectionResetError("the client went away")
    with pytest.raises(ConnectionResetError):
        store.put("b" * 32, Broken())
    assert list((tmp_path / "files").iterdir()) == []  # no half file, no temporary left
    with pytest.raises(ValueError):
        store.put("../escape", io.BytesIO(b"x"))


S3_CHECK = """
import eventlet
eventlet.monkey_patch()  # as a service runs (minyi_common/serve.py)
import boto3
from moto import mock_aws
from gateway.adapters import blobs
from gateway.tests.test_blobs import CONTENT, round_trip
with mock_aws():
    store = blobs.store_for("s3://minyi/files?region=us-east-1", "/nowhere")
    round_trip(store)
    store.put("c" * 32, io.BytesIO(CONTENT))
    keys = [o["Key"] for o in boto3.client("s3", region_name="us-east-1")
            .list_objects_v2(Bucket="minyi")["Contents"]]
    assert keys == ["files/" + "c" * 32], keys
    assert not blobs.store_for("s3://minyi?region=us-east-1", "/nowhere").exists("c" * 32)
print("s3 store ok")
"""


def test_an_s3_store_makes_its_bucket_and_keeps_files_under_its_prefix():
    """In a process of its own, patched as a service is: this test process loaded ssl
    before eventlet patched it (pytest's plugins), which botocore's TLS setup trips on."""
    run = subprocess.run([sys.executable, "-c", "import io\n" + S3_CHECK], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, env={
                             **os.environ, "AWS_ACCESS_KEY_ID": "testing",
                             "AWS_SECRET_ACCESS_KEY": "testing"})
    assert run.returncode == 0 and "s3 store ok" in run.stdout, run.stderr[-3000:]


def test_an_unknown_store_is_named_at_start():
    with pytest.raises(SystemExit):
        blobs.store_for("ftp://files.example.org/", "/tmp")


@pytest.fixture
def db(databases):
    database = Database(databases.url("gateway"), metadata)
    yield database
    database.dispose()


@both_backends
def test_a_refused_claim_drops_the_bytes_and_a_killed_gateways_upload_is_swept(db, tmp_path):
    store = blobs.store_for("", str(tmp_path))
    upload = attachments.checked(CONTENT, "材料.pdf")

    def refuse(blob):
        raise Forbidden("only the author, or who entered the report, attaches files to it")
    with pytest.raises(Forbidden):
        attachments.store_and_claim(db, store, upload, refuse)
    assert list((tmp_path / "files").iterdir()) == []
    claimed = attachments.store_and_claim(db, store, upload, lambda blob: blob)
    assert store.exists(claimed["key"]) and claimed["name"] == "材料.pdf"
    # A gateway killed after storing, before the claim: its row stays, and so do the
    # bytes, until the sweep.
    with db.unit_of_work() as uow:
        uow.execute(uploads_in_flight.insert(), {"key": "d" * 32,
                                                 "created_at": attachments.utcnow()})
        uow.commit()
    store.put("d" * 32, io.BytesIO(CONTENT))
    assert attachments.sweep(db, store) == 0  # not yet abandoned
    assert attachments.sweep(db, store, older_than=timedelta(0)) == 1
    assert not store.exists("d" * 32) and store.exists(claimed["key"])
    with db.engine.connect() as connection:
        assert connection.execute(uploads_in_flight.select()).fetchall() == []
