"""A broker or database that does not answer at start gives one clear line, not a
traceback (SPEC §10)."""
import os
import subprocess
import sys

from .system import ROOT, free_port


def start(args, **env):
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **env})


def test_no_broker(tmp_path):
    port = free_port()  # nothing listens there
    for args in (["minyi_common.serve", "intake"], ["minyi_common.launcher"]):
        run = start(args, AMQP_URI=f"amqp://guest:guest@127.0.0.1:{port}//",
                    MINYI_DATA_DIR=str(tmp_path))
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr
        lines = [line for line in run.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "RabbitMQ is not answering" in lines[0]
        assert "rabbitmq-server -detached" in lines[0] and "guest:guest" not in lines[0]


def test_no_database(amqp_uri):
    port = free_port()
    run = start(["minyi_common.serve", "scoring"], AMQP_URI=amqp_uri,
                SCORING_DB_URL=f"postgresql://minyi:secret@127.0.0.1:{port}/scoring")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "database" in lines[0] and "pg_ctlcluster" in lines[0]
    assert "secret" not in lines[0]
