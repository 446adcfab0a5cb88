"""Password hashing runs in a native thread, so the gateway's event loop keeps answering
while argon2 works (a login flood once froze /healthz)."""
import os
import pathlib
import subprocess
import sys

import eventlet
from argon2 import PasswordHasher

from gateway.directory import auth

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_argon2_leaves_the_event_loop_free(monkeypatch):
    # The deployed parameters (the suite's own people get cheap ones, see conftest.py).
    monkeypatch.setattr(auth, "_hasher", PasswordHasher())
    ticks = []

    def ticker():
        for _ in range(50):
            ticks.append(1)
            eventlet.sleep(0.005)

    runner = eventlet.spawn(ticker)
    hashed = [auth.hash_password(f"password-{n}") for n in range(3)]
    assert all(auth.verify_password(h, f"password-{n}") for n, h in enumerate(hashed))
    assert not auth.verify_password(hashed[0], "wrong") and not auth.verify_password(None, "x")
    # Six argon2 runs take over half a second; the ticker ran meanwhile, not after.
    assert len(ticks) >= 20
    runner.kill()


def test_hashes_wait_their_turn_and_a_suspect_address_has_a_lane_of_its_own(monkeypatch):
    """Twenty hashes at once would take every core from the event loop (argon2 runs four
    lanes each): at most half the cores' worth run at a time. Logins from an address that
    failed lately queue apart, so a flood from a few addresses leaves others' turn alone."""
    running, most = {"clean": 0, "suspect": 0}, {"clean": 0, "suspect": 0}
    finished = []

    def slow_verify(password_hash, password):
        lane = "suspect" if password == "suspect" else "clean"
        running[lane] += 1
        most[lane] = max(most[lane], running[lane])
        eventlet.sleep(0.02)
        running[lane] -= 1
        finished.append(lane)
        return False

    # Runs on the loop here (not in the thread pool) so the test can count what overlaps.
    monkeypatch.setattr(auth, "_verify", slow_verify)
    monkeypatch.setattr(auth.tpool, "execute", lambda work, *args: work(*args))
    flood = [eventlet.spawn(auth.verify_password, None, "suspect", True) for _ in range(20)]
    eventlet.sleep(0.01)
    assert auth.verify_password(None, "clean") is False
    for thread in flood:
        thread.wait()
    assert most["suspect"] == auth._LANE_WIDTH and most["clean"] == 1
    # The clean login did not wait for the twenty suspect ones to be hashed first.
    assert finished.index("clean") <= 2 * auth._LANE_WIDTH, finished


def test_passwords_get_the_deployed_argon2_parameters_unless_the_suite_says_otherwise():
    """The suite's cheap hashes (conftest.py) come from one environment variable that
    `make run` and compose never set: without it, new passwords get argon2's defaults."""
    environment = {k: v for k, v in os.environ.items()
                   if k != "MINYI_TEST_CHEAP_PASSWORD_HASHES"}
    probe = ("from gateway.directory import auth; h = auth._hasher.hash('x'); "
             "print(h.split('$')[3])")
    deployed = subprocess.run([sys.executable, "-c", probe], env=environment, cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    assert deployed == "m=65536,t=3,p=4", deployed
    cheap = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                           text=True, check=True, env={**environment,
                                                       "MINYI_TEST_CHEAP_PASSWORD_HASHES": "1"})
    assert cheap.stdout.strip() != deployed and "test-only" in cheap.stderr
