"""The breakage table (tools/breakages.py) still fits the code: each row's text occurs
exactly once where it says, and each test it names exists. A row that no longer applies
proves nothing, and `make breakages` runs only now and then."""
import importlib.util
import os
import re

from .system import ROOT


def load_table():
    spec = importlib.util.spec_from_file_location("breakages",
                                                  os.path.join(ROOT, "tools", "breakages.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.BREAKAGES


def test_every_row_still_applies_and_names_tests_that_exist():
    stale = []
    for number, row in enumerate(load_table(), 1):
        for path, old, _new in row.edits():
            with open(os.path.join(ROOT, path), encoding="utf-8") as source:
                found = source.read().count(old)
            if found != 1:
                stale.append(f"row {number} ({row.mechanism}): {path} has its text {found} times")
        for node in row.tests:
            path, _, name = node.partition("::")
            name = re.sub(r"\[.*\]$", "", name)
            with open(os.path.join(ROOT, path), encoding="utf-8") as source:
                if not re.search(rf"^def {re.escape(name)}\(", source.read(), re.M):
                    stale.append(f"row {number} ({row.mechanism}): no test {node}")
    assert not stale, "\n".join(stale)
