"""See every reliability mechanism's test fail when the mechanism is taken out.

For each row of tools/breakages.toml: copy the tree to a scratch directory, make the
small edits that remove the mechanism (each inside a function, class or constant named
by its module and qualified name, so that a row follows its code or says it lost it),
run the tests that claim it (with this checkout's .venv), and expect each of them to
fail. A row whose tests still pass is a test that cannot fail.

Not part of `make test` (a row takes from seconds to a minute, the whole table about
ten minutes): run `make breakages`, or `.venv/bin/python tools/breakages.py [--list] [ROW ...]`
for some rows by number or by a word of their name. It needs RabbitMQ and PostgreSQL as
`make test` does, and must not run beside another suite (one row restarts the broker).
"""
import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
SKIP = shutil.ignore_patterns(".venv", "node_modules", ".git", "var", "__pycache__",
                              ".pytest_cache", "dist", "screenshots")


TABLE = os.path.join(ROOT, "tools", "breakages.toml")


@dataclass
class Edit:
    symbol: str  # "package.module:Class.method" (a def, a class or a constant)
    old: str  # must occur exactly once inside the symbol's source
    new: str


@dataclass
class Breakage:
    mechanism: str
    tests: tuple  # pytest node ids; each must fail
    edits: tuple  # one Edit, or more when a mechanism has several parts


def load_table(path: str = TABLE) -> list:
    with open(path, "rb") as table:
        rows = tomllib.load(table)["row"]
    return [Breakage(row["mechanism"], tuple(row["tests"]),
                     tuple(Edit(**edit) for edit in row["edit"])) for row in rows]


def source_path(module: str, root: str = ROOT) -> str:
    base = os.path.join(root, *module.split("."))
    return base + ".py" if os.path.exists(base + ".py") else os.path.join(base, "__init__.py")


def _definitions(tree) -> dict:
    """Each def, class and module- or class-level constant by its qualified name: its
    first and last line (decorators included)."""
    found = {}

    def walk(node, prefix, in_function=False):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                first = min([d.lineno for d in child.decorator_list] + [child.lineno])
                found[name] = (first, child.end_lineno)
                walk(child, name + ".", not isinstance(child, ast.ClassDef))
            elif isinstance(child, (ast.Assign, ast.AnnAssign)) and not in_function:
                targets = child.targets if isinstance(child, ast.Assign) else [child.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        found[prefix + target.id] = (child.lineno, child.end_lineno)
            elif isinstance(child, (ast.If, ast.For, ast.While, ast.With, ast.Try)):
                walk(child, prefix, in_function)
    walk(tree, "")
    return found


def apply(edit: Edit, root: str = ROOT) -> tuple:
    """(path, the file's text with the edit made), or (path, None, why it cannot be)."""
    module, _, name = edit.symbol.partition(":")
    path = source_path(module, root)
    if not os.path.exists(path):
        return path, None, f"no module {module}"
    with open(path, encoding="utf-8") as source:
        text = source.read()
    span = _definitions(ast.parse(text)).get(name)
    if span is None:
        return path, None, f"no {name} in {module}"
    lines = text.splitlines(keepends=True)
    start = sum(map(len, lines[:span[0] - 1]))
    end = sum(map(len, lines[:span[1]]))
    inside = text[start:end]
    if inside.count(edit.old) != 1:
        return path, None, f"{edit.symbol} holds the text to break {inside.count(edit.old)} times"
    return path, text[:start] + inside.replace(edit.old, edit.new) + text[end:], None


def run_row(number: int, row: Breakage) -> tuple:
    scratch = tempfile.mkdtemp(prefix=f"minyi-break-{number}-")
    try:
        shutil.copytree(ROOT, scratch, ignore=SKIP, dirs_exist_ok=True)
        for edit in row.edits:
            target, text, problem = apply(edit, scratch)
            if problem:
                return "not applied", problem, 0
            with open(target, "w", encoding="utf-8") as source:
                source.write(text)
        started = time.monotonic()
        run = subprocess.run([PYTHON, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
                              "--durations=0", *row.tests], cwd=scratch,
                             capture_output=True, text=True, timeout=900)
        seconds = time.monotonic() - started
        failed = set(re.findall(r"^FAILED (\S+)", run.stdout, re.M)) | set(
            re.findall(r"^ERROR (\S+)", run.stdout, re.M))
        missed = [t for t in row.tests if not any(f.startswith(t) for f in failed)]
        if run.returncode in (4, 5):
            return "not run", run.stdout[-1500:] + run.stderr[-1500:], seconds
        if missed:
            return "STILL PASSES", "not caught by: " + ", ".join(missed), seconds
        return "failed, as it should", "; ".join(sorted(failed)), seconds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", nargs="*", help="row numbers, or words of a mechanism")
    parser.add_argument("--list", action="store_true", help="print the table and stop")
    args = parser.parse_args(argv)
    chosen = [(n, row) for n, row in enumerate(load_table(), 1)
              if not args.rows or str(n) in args.rows
              or any(word.lower() in row.mechanism.lower() for word in args.rows
                     if not word.isdigit())]
    if args.list:
        for n, row in chosen:
            print(f"{n:2}. {row.mechanism}")
            for edit in row.edits:
                print(f"    {edit.symbol}: {edit.old.strip()!r} -> {edit.new.strip()!r}")
            print("    " + "\n    ".join(row.tests))
        return 0
    outcomes = []
    for n, row in chosen:
        print(f"{n:2}. {row.mechanism} ...", flush=True)
        result, detail, seconds = run_row(n, row)
        outcomes.append((n, row, result))
        print(f"    {result} ({seconds:.0f} s): {detail[:600]}", flush=True)
    print("\n| # | mechanism | what was removed | tests | result |\n|---|---|---|---|---|")
    for n, row, result in outcomes:
        tests = "<br>".join(f"`{t.split('::')[-1]}`" for t in row.tests)
        removed = "<br>".join(f"`{edit.symbol}`: `{edit.old.strip().splitlines()[0][:60]}`"
                              for edit in row.edits).replace("|", "\\|")
        print(f"| {n} | {row.mechanism} | {removed} | {tests} | {result} |")
    return 0 if all(r == "failed, as it should" for _, _, r in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
