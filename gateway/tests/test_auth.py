"""Password hashing runs in a native thread, so the gateway's event loop keeps answering
while argon2 works (issue 13: a login flood froze /healthz)."""
import eventlet

from gateway import auth


def test_argon2_leaves_the_event_loop_free():
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
