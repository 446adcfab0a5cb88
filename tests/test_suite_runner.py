"""`make test` (tools/run_tests.py) runs every test module exactly once, and alone those
that restart the broker or PostgreSQL under the others' feet."""
import configparser
import importlib.util
import os
import re

from .system import ROOT


def _runner():
    spec = importlib.util.spec_from_file_location(
        "run_tests", os.path.join(ROOT, "tools", "run_tests.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _test_modules(paths) -> set:
    found = set()
    for path in paths:
        if path.endswith(".py"):
            found.add(path)
            continue
        for folder, dirs, files in os.walk(os.path.join(ROOT, path)):
            dirs[:] = [d for d in dirs if d != "__pycache__"]
            found.update(os.path.relpath(os.path.join(folder, name), ROOT) for name in files
                         if name.startswith("test_") and name.endswith(".py"))
    return found


def _what_a_share_runs(args: list) -> set:
    paths, ignored = [], []
    for i, arg in enumerate(args):
        if arg == "--ignore":
            continue
        (ignored if i and args[i - 1] == "--ignore" else paths).append(arg)
    return {m for m in _test_modules(paths)
            if not any(m == i or m.startswith(i.rstrip("/") + "/") for i in ignored)}


def test_every_test_module_runs_exactly_once():
    runner = _runner()
    ini = configparser.ConfigParser()
    ini.read(os.path.join(ROOT, "pytest.ini"))
    everything = _test_modules(ini["pytest"]["testpaths"].split())
    assert len(everything) > 40  # the walk found the suite

    runs = [_what_a_share_runs(runner.share_args(share)) for share in runner.SHARES]
    runs.append(set(runner.ALONE))
    assert set().union(*runs) == everything
    assert sum(len(run) for run in runs) == len(everything), "a module runs twice"


def test_the_modules_that_restart_shared_services_run_alone():
    # tests/faults.py: the only ways the tests stop or restart the shared servers.
    restarts = re.compile(r"\b(restart_broker|restart_postgres|rabbitmqctl|postgres)\(")
    found = {m for m in _test_modules(["minyi_common", "services", "gateway", "tests"])
             if restarts.search(open(os.path.join(ROOT, m), encoding="utf-8").read())}
    assert found == set(_runner().EXCLUSIVE)


def test_a_failure_anywhere_fails_the_suite_and_nothing_collected_only_when_nowhere():
    overall_exit = _runner().overall_exit
    assert overall_exit([0, 0, 0], 0) == 0
    assert overall_exit([0, 5, 5], 0) == 0      # a -k that matched in one part only
    assert overall_exit([5, 5, 5], 0) == 5      # ... or in none
    assert overall_exit([0, 1, 0], 0) == 1
    assert overall_exit([0, 0, 0], 2) == 2      # vue-tsc or Vitest failed
    assert overall_exit([5, 5, 5], 1) == 1
    assert overall_exit([4, 0, 0], 1) == 4
