"""Healthchecks for containers (compose): ``python -m minyi_common.health intake``.

A running service beats: every few seconds, while its nameko container is up, it writes
the time to a file of its own. The check passes when the beat is fresh, so a process
whose event loop is stuck or whose container died shows as unhealthy in
``docker compose ps`` (an RPC ping could be answered by any instance, not this one).
"""
import os
import sys
import tempfile
import time

BEAT_EVERY = 5.0
STALE_AFTER = 30.0


def heartbeat_path(service: str) -> str:
    folder = os.environ.get("MINYI_HEALTH_DIR") or tempfile.gettempdir()
    return os.path.join(folder, f"minyi-{service}.alive")


def beat(service: str, alive) -> None:
    """Write the time while ``alive()`` says the container runs (a green thread)."""
    import eventlet
    path = heartbeat_path(service)
    while True:
        if alive():
            with open(path + ".tmp", "w") as out:
                out.write(f"{time.time():.0f}\n")
            os.replace(path + ".tmp", path)  # never a half-written file
        eventlet.sleep(BEAT_EVERY)


def problem(service: str, now=None) -> str | None:
    """None when the service's last beat is fresh, else why not."""
    try:
        with open(heartbeat_path(service)) as beat_file:
            last = float(beat_file.read().strip())
    except (OSError, ValueError):
        return f"{service}: no heartbeat yet"
    age = (now or time.time()) - last
    return None if age <= STALE_AFTER else f"{service}: last heartbeat {age:.0f} s ago"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m minyi_common.health SERVICE", file=sys.stderr)
        return 2
    found = problem(argv[0])
    if found:
        print(found, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
