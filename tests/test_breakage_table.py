"""The breakage table (tools/breakages.toml) still fits the code: each row's symbol
exists and holds its text exactly once, and each test it names exists. A row that no
longer applies proves nothing, and `make breakages` runs only now and then."""
import importlib.util
import os
import re

from .system import ROOT


def load_runner():
    spec = importlib.util.spec_from_file_location("breakages",
                                                  os.path.join(ROOT, "tools", "breakages.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_row_still_applies_and_names_tests_that_exist():
    runner = load_runner()
    stale = []
    for number, row in enumerate(runner.load_table(), 1):
        for edit in row.edits:
            _path, _text, problem = runner.apply(edit)
            if problem:
                stale.append(f"row {number} ({row.mechanism}): {problem}")
        for node in row.tests:
            path, _, name = node.partition("::")
            name = re.sub(r"\[.*\]$", "", name)
            with open(os.path.join(ROOT, path), encoding="utf-8") as source:
                if not re.search(rf"^def {re.escape(name)}\(", source.read(), re.M):
                    stale.append(f"row {number} ({row.mechanism}): no test {node}")
    assert not stale, "\n".join(stale)


def test_an_edit_is_made_inside_its_symbol_only(tmp_path):
    """The same text outside the named symbol is left alone; a symbol that is gone, or
    that holds the text twice, is said."""
    runner = load_runner()
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "mod.py").write_text(
        "LIMIT = 3\n\n\ndef first():\n    return LIMIT\n\n\n"
        "class Second:\n    def go(self):\n        return LIMIT\n\n"
        "    def twice(self):\n        return LIMIT + LIMIT\n")
    path, text, problem = runner.apply(
        runner.Edit("pkg.mod:Second.go", "return LIMIT", "return 0"), str(tmp_path))
    assert problem is None and path == str(package / "mod.py")
    assert "def first():\n    return LIMIT" in text and "return 0" in text
    _, _, problem = runner.apply(runner.Edit("pkg.mod:LIMIT", "3", "4"), str(tmp_path))
    assert problem is None
    assert runner.apply(runner.Edit("pkg.mod:third", "x", "y"), str(tmp_path))[2] == \
        "no third in pkg.mod"
    assert runner.apply(runner.Edit("pkg.mod:Second.twice", "LIMIT", "0"),
                        str(tmp_path))[2] == "pkg.mod:Second.twice holds the text to break 2 times"
