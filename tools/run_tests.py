"""`make test`: the whole pytest suite in two processes at once, then, alone, the tests
that restart the shared broker or PostgreSQL, with the web app's checks beside them.

Most of the suite's time is waiting (systems starting, retries backing off, browsers),
not computing: one process kept the two cores about a third busy and took more than
ten minutes. Two processes share nothing that matters: each pytest makes a RabbitMQ
vhost of its own (``amqp_uri``), and databases, ports and temporary directories of its
own. The tests that restart the local RabbitMQ or PostgreSQL (``EXCLUSIVE``) would take
them away from whatever the other process runs, so they run last, by themselves.

Each process writes to a file; each file is printed whole when its process ends, so the
output reads as two ordinary pytest runs and then a third. Arguments are passed to every
pytest (``-x``, ``-k ...``). ``pytest`` alone still runs everything in one process.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# They restart the machine's RabbitMQ or PostgreSQL (tests/faults.py).
EXCLUSIVE = ["tests/test_survive_faults.py", "tests/test_scaled_system.py"]
# These start several systems of their own (three linked installs per database; an old
# release and this one; a restored install): beside the browser tests, whose steps time
# out on a loaded CPU, they made those fail now and then. They run with the exclusive
# ones, after the shares; alone they cost about two and a half minutes.
SEVERAL_SYSTEMS = ["tests/test_linked_levels.py", "tests/test_upgrade.py",
                   "tests/test_backup.py"]
ALONE = EXCLUSIVE + SEVERAL_SYSTEMS
# Two shares of about the same time on a two-core machine. The browser tests (a minute
# and a half) run beside the share that holds tests/test_web_app.py (the root conftest).
# tests/test_crash_recovery.py and tests/test_startup_errors.py (~45 s each, they start
# services of their own) go with the first, which otherwise ends a minute or more before
# the second. (Three shares were tried: 8 min 26 s against 8 min 49 s, for a third
# process competing for the cores while timing-sensitive tests run; not worth it.)
SHARES = [["minyi_common", "services", "gateway", "tests/test_crash_recovery.py",
           "tests/test_startup_errors.py"], ["tests"]]
# The web app's type check (vue-tsc) and unit tests (Vitest): web/package.json, as
# `make web-check` runs them.
WEB_CHECK = ["npm", "run", "--silent", "check"]


def share_args(share: list) -> list:
    """The paths of a share, without what other shares (or the exclusive run) take from
    inside its directories."""
    others = [path for other in SHARES if other is not share for path in other]
    args = list(share)
    for path in others + ALONE:
        if any(path.startswith(mine.rstrip("/") + "/") for mine in share):
            args += ["--ignore", path]
    return args


def main(argv: list) -> int:
    python = sys.executable
    workdir = tempfile.mkdtemp(prefix="minyi-tests-")
    started = time.monotonic()
    runs = []
    for number, share in enumerate(SHARES, 1):
        output = os.path.join(workdir, f"share{number}.txt")
        with open(output, "wb") as sink:
            process = subprocess.Popen(
                [python, "-m", "pytest", "--basetemp", os.path.join(workdir, f"t{number}"),
                 *share_args(share), *argv],
                cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        runs.append((f"share {number} of {len(SHARES)}", process, output))
    codes = []
    for name, process, output in runs:
        codes.append(process.wait())
        show(f"{name}: exit {codes[-1]} ({time.monotonic() - started:.0f} s since the start)",
             output)
    # The web app's checks need neither broker nor database: they run beside the tests
    # that restart those (which wait more than they compute), not before everything.
    web_output = os.path.join(workdir, "web-check.txt")
    with open(web_output, "wb") as sink:
        web_check = subprocess.Popen(WEB_CHECK, cwd=os.path.join(ROOT, "web"),
                                     stdout=sink, stderr=subprocess.STDOUT)
    print("\n===== alone: the tests that restart RabbitMQ or PostgreSQL, or start several "
          "systems =====", flush=True)
    codes.append(subprocess.call(
        [python, "-m", "pytest", "--basetemp", os.path.join(workdir, "alone"),
         *ALONE, *argv], cwd=ROOT))
    web_code = web_check.wait()
    show(f"the web app's type check and unit tests: exit {web_code}", web_output)
    print(f"\nminyi: the suite took {time.monotonic() - started:.0f} s "
          f"(pytest's exit codes {codes}, the web app's {web_code})", flush=True)
    code = overall_exit(codes, web_code)
    if code not in (0, 5):
        # Kept for a look at what failed (each run is ~45 MB of outputs and databases).
        print(f"minyi: the runs' outputs and temporary files are in {workdir}", flush=True)
        return code
    shutil.rmtree(workdir, ignore_errors=True)
    return code


def show(heading: str, output: str) -> None:
    """A finished process's output, whole, under a heading."""
    print(f"\n===== {heading} =====", flush=True)
    with open(output, encoding="utf-8", errors="replace") as text:
        sys.stdout.write(text.read())
    sys.stdout.flush()


def overall_exit(pytest_codes: list, web_code: int) -> int:
    """The first failure's code; else 0, or pytest's 5 ("nothing collected") when every
    pytest said so (a -k that matched nothing anywhere). A 5 from one part alone is a -k
    that matched nothing there, not a failure; the web app's checks have no such code."""
    failed = [code for code in pytest_codes if code not in (0, 5)]
    failed += [web_code] if web_code else []
    if failed:
        return failed[0]
    return 0 if 0 in pytest_codes else 5


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
