"""Run one Minyi service as a process: ``python -m minyi_common.serve intake``.

Checks the broker and the database first (one clear line if either is missing),
migrates the service's database, declares the broker topology, then runs the nameko
container until SIGTERM or Ctrl-C.
"""
import eventlet

eventlet.monkey_patch()  # noqa: E402  (before anything opens a socket)

import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from eventlet.event import Event  # noqa: E402
from nameko.runners import ServiceRunner  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from . import config, health, logs  # noqa: E402
from .amqp import check_broker, ensure_topology  # noqa: E402
from .db import make_engine  # noqa: E402
from .migrate import startup_lock, upgrade  # noqa: E402
from .nameko import install as install_nameko_errors  # noqa: E402
from .registry import (SERVICE_CLASSES, migrations_dir, service_class,  # noqa: E402
                       service_module)


# How long a stop asked during the start waits for the start to finish.
START_GRACE = 20.0


def check_database(url: str) -> str | None:
    try:
        engine = make_engine(url)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        safe = make_url(url).render_as_string(hide_password=True)
        hint = ("start PostgreSQL with `pg_ctlcluster --skip-systemctl-redirect "
                "$(ls /etc/postgresql) main start` and create the database"
                if safe.startswith("postgresql") else "check MINYI_DATA_DIR is writable")
        return f"The database at {safe} is not answering ({exc.__class__.__name__}): {hint}."


def wait_for_broker(settings) -> str | None:
    """The broker's problem, after waiting up to MINYI_BROKER_WAIT seconds for it to come
    back (a service restarted while RabbitMQ restarts); one log line, not one per try."""
    problem = check_broker(settings.amqp_uri)
    if problem is None or settings.broker_wait <= 0:
        return problem
    logging.getLogger(__name__).warning("RabbitMQ is not answering; waiting up to %g s",
                                        settings.broker_wait)
    deadline, pause = time.monotonic() + settings.broker_wait, 0.5
    while problem and time.monotonic() < deadline:
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        pause = min(pause * 2, 5.0)
        problem = check_broker(settings.amqp_uri)
    return problem


def prepare(settings) -> None:
    """Everything a service needs before it starts; exits with one line on a problem."""
    for problem in (wait_for_broker(settings), check_database(settings.db_url)):
        if problem:
            print(f"minyi {settings.service}: {problem}", file=sys.stderr)
            raise SystemExit(2)
    with startup_lock(settings.db_url):
        upgrade(migrations_dir(settings.service), settings.db_url)
        run_prepare_hook(settings)
    ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)


def run_prepare_hook(settings) -> None:
    """A service module may define ``prepare(settings)``: first-start data (the bootstrap
    admin, the default rule set), run after migrations and before the container starts."""
    module = service_module(settings.service)
    if hasattr(module, "prepare"):
        module.prepare(settings)


def on_stop_signals(act, signums=(signal.SIGTERM, signal.SIGINT)) -> None:
    """Call ``act(signum)`` for each SIGTERM or SIGINT, in a greenthread of its own.

    A Python signal handler runs inside whichever greenthread the signal interrupts,
    between any two of its bytecodes, eventlet's bookkeeping included. A handler that
    logged re-entered eventlet's green ``threading.current_thread()`` halfway through its
    first call in that greenthread: two clean-ups were linked for one entry, the second
    raised KeyError when the greenthread ended and the links after it never ran, and the
    logging handler's stream and lock were entered twice. A stop asked while the
    container started (dozens of greenthreads logging) then hung until it was killed.
    So no Python code of ours runs in the handler: the interpreter's own C handler
    writes the signal's number to a pipe (``signal.set_wakeup_fd``), and a greenthread
    that reads the pipe acts, at a moment of its own.
    """
    read_end, write_end = os.pipe()
    for end in (read_end, write_end):
        os.set_blocking(end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    for signum in signums:
        # A Python handler must be installed for the wakeup byte to be written; it does
        # nothing itself (not even note the signal: the greenthread below does).
        signal.signal(signum, _wakeup_only)

    def read_signals():
        while True:
            for signum in os.read(read_end, 64):  # green: waits in the hub
                if signum in signums:
                    act(signum)

    eventlet.spawn_n(read_signals)


def _wakeup_only(_signum, _frame) -> None:
    """The signal's number is already in the wakeup pipe; nothing to do here."""


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or argv[0] not in SERVICE_CLASSES:
        raise SystemExit(f"usage: python -m minyi_common.serve {{{','.join(SERVICE_CLASSES)}}}")
    settings = config.load(argv[0])
    logs.configure(settings.service)
    install_nameko_errors()
    prepare(settings)
    runner = ServiceRunner(settings.nameko_config())
    runner.add_service(service_class(settings.service))

    asked = []
    started = Event()

    def stop_once_started():
        # nameko cannot stop a container that is still starting (its consumers still
        # subscribing: the stop crashed and the process hung until it was killed): the
        # stop waits for the start. One that does not finish (a broker away) has nothing
        # under way to finish: the process ends.
        if not started.wait(START_GRACE):
            logging.getLogger(__name__).warning("%s did not finish starting within %s s; "
                                                "ending it", settings.service, START_GRACE)
            os._exit(1)
        runner.stop()

    def shutdown(signum):
        # Ctrl-C reaches every process of the group and the launcher forwards it too:
        # nameko's stop is not re-entrant (a second one waits for ever on consumers the
        # first has already cancelled), so only the first signal stops.
        if asked:
            return
        asked.append(signum)
        logging.getLogger(__name__).info("stopping %s on signal %s", settings.service, signum)
        eventlet.spawn_n(stop_once_started)

    on_stop_signals(shutdown)
    logging.getLogger(__name__).info("starting %s", settings.service)
    runner.start()
    started.send(True)
    # The container healthcheck reads this beat (minyi_common.health).
    # (a container that died has its _died event set; nameko has no public flag for it)
    eventlet.spawn_n(health.beat, settings.service,
                     lambda: not asked and not any(c._died.ready() for c in runner.containers))
    logging.getLogger(__name__).info("%s started", settings.service)
    runner.wait()


if __name__ == "__main__":
    main()
