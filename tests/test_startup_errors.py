"""Starting and stopping: a broker or database that does not answer gives one clear line,
not a traceback (docs/operations.md); SIGTERM stops every process quickly, also mid-start."""
import os
import subprocess
import sys
import time

from kombu import Connection

from minyi_common import topology

from .system import ROOT, RunningSystem, ServiceProcess, eventually, free_port


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


def test_a_restarted_service_waits_for_the_broker_then_says_so(tmp_path):
    """MINYI_BROKER_WAIT (set by the launcher for restarts, and by compose): a service that
    starts while RabbitMQ restarts waits for it rather than exiting at once."""
    port = free_port()
    started = time.monotonic()
    run = start(["minyi_common.serve", "intake"], AMQP_URI=f"amqp://guest:guest@127.0.0.1:{port}//",
                MINYI_DATA_DIR=str(tmp_path), MINYI_BROKER_WAIT="2")
    assert run.returncode == 2 and time.monotonic() - started >= 2
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert "waiting up to 2 s" in lines[0] and "RabbitMQ is not answering" in lines[-1]
    assert "Traceback" not in run.stderr


def test_a_short_secret_key_is_refused_with_one_line(tmp_path):
    run = start(["minyi_common.serve", "gateway"], MINYI_SECRET_KEY="too-short",
                MINYI_DATA_DIR=str(tmp_path))
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "MINYI_SECRET_KEY must be at least 32 bytes" in run.stderr


def test_no_database(amqp_uri):
    port = free_port()
    run = start(["minyi_common.serve", "scoring"], AMQP_URI=amqp_uri,
                SCORING_DB_URL=f"postgresql://minyi:secret@127.0.0.1:{port}/scoring")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "database" in lines[0] and "pg_ctlcluster" in lines[0]
    assert "secret" not in lines[0]


def test_sigterm_stops_every_process_quickly_even_while_starting(amqp_uri, tmp_path):
    for moment in ("starting", "running"):
        (tmp_path / moment).mkdir()
        system = RunningSystem(amqp_uri, str(tmp_path / moment))
        if moment == "starting":
            system.launch()
            time.sleep(1)  # services are migrating and declaring now
        else:
            system.start()
        started = time.monotonic()
        assert system.stop(timeout=15, group=False), system.tail()  # the launcher alone
        assert time.monotonic() - started < 15
        system.cleanup_broker()


def test_make_run_starts_a_service_again_that_died(amqp_uri, tmp_path):
    """Under `make run` a crashed service comes back by itself, the others keep running."""
    import signal as signals

    import requests

    system = RunningSystem(amqp_uri, str(tmp_path)).start()
    try:
        admin = system.admin()
        # Every process beats for its container healthcheck (minyi_common.health).
        env = {**os.environ, "MINYI_HEALTH_DIR": str(tmp_path)}
        for name in ("intake", "review", "scoring", "notify", "gateway"):
            check = subprocess.run([sys.executable, "-m", "minyi_common.health", name],
                                   cwd=ROOT, env=env, capture_output=True, text=True)
            assert check.returncode == 0, check.stderr
        scoring = subprocess.run(["pgrep", "-f", "-g", str(system.process.pid),
                                  "minyi_common.serve scoring"], capture_output=True, text=True)
        pid = int(scoring.stdout.split()[0])
        os.kill(pid, signals.SIGKILL)
        assert eventually(lambda: "scoring exited with -9; starting it again" in system.tail(),
                          timeout=5), system.tail()
        assert admin.get("/me").status_code == 200  # the rest kept running
        assert eventually(lambda: requests.get(system.base + "/readyz", timeout=3)
                          .status_code == 200 and admin.get("/scores/rules").status_code == 200,
                          timeout=30), system.tail()
        again = subprocess.run(["pgrep", "-f", "-g", str(system.process.pid),
                                "minyi_common.serve scoring"], capture_output=True, text=True)
        assert again.stdout.split() and int(again.stdout.split()[0]) != pid
    finally:
        assert system.stop(), system.tail()
        system.cleanup_broker()


def test_sigterm_during_the_start_waits_for_it_then_stops_cleanly(amqp_uri, tmp_path):
    """SIGTERM while the container starts (its event consumers still subscribing): nameko
    cannot stop a container half started (the stop crashed on the second consumer and the
    process hung until killed), so the stop waits for the start, then stops cleanly."""
    namespace = f"t{os.getpid()}x{time.monotonic_ns()}"
    env = {"AMQP_URI": amqp_uri, "MINYI_NAMESPACE": namespace,
           "MINYI_DATA_DIR": str(tmp_path), "MINYI_LOG_LEVEL": "INFO"}
    scoring = ServiceProcess("scoring", env, str(tmp_path / "scoring.log")).start()
    try:
        assert eventually(lambda: '"msg": "starting scoring"' in scoring.tail(), timeout=60,
                          interval=0.005), scoring.tail()
        scoring.process.terminate()  # at once: scoring subscribes to eleven queues now
        assert scoring.process.wait(timeout=25) == 0, scoring.tail()
        log = scoring.tail(lines=200)
        assert "Traceback" not in log and '"msg": "scoring started"' in log, log
    finally:
        scoring.stop()
        with Connection(amqp_uri) as connection:
            topology.delete(connection, namespace, (1.0, 5.0, 30.0))
