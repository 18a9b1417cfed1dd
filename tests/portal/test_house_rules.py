"""House rules that hold across the whole tree: no function or method over 40 lines, its decorators included,
outside bench/ (measurements, not the product) and the migrations (written by makemigrations)."""

import ast
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 40
# Folders that never hold the project's own source, for a tree without git: what .gitignore leaves out.
NOT_SOURCE = {"__pycache__", "var", "build", "dist"}


def python_files(root: Path) -> list[Path]:
    """The .py files git tracks under `root`, relative to it; every .py file outside hidden and generated folders
    when git cannot say (not installed, or a copy of the tree without its history)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "*.py"], cwd=root, capture_output=True, check=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return sorted(walked_python_files(root))
    return sorted(Path(name) for name in listed.split("\0") if name and (root / name).is_file())


def walked_python_files(root: Path):
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in NOT_SOURCE and not name.endswith(".egg-info")
        ]
        for name in names:
            if name.endswith(".py"):
                yield (Path(folder) / name).relative_to(root)


def held_to_the_rule(path: Path) -> bool:
    return path.parts[0] != "bench" and "migrations" not in path.parts[:-1]


def long_functions(source: str, path: str, *, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """`path:line name (N lines)` for each function or method of `source` longer than `limit` lines, counted from
    its first decorator to its last line."""
    found = []
    for node in ast.walk(ast.parse(source, filename=path)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        first = min([decorator.lineno for decorator in node.decorator_list] + [node.lineno])
        lines = node.end_lineno - first + 1
        if lines > limit:
            found.append(f"{path}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_no_function_is_longer_than_the_house_allows():
    files = [path for path in python_files(ROOT) if held_to_the_rule(path)]
    assert files, "no Python files found to check"

    too_long = [
        found for path in files for found in long_functions((ROOT / path).read_text(encoding="utf-8"), str(path))
    ]

    assert not too_long, f"functions over {MAX_FUNCTION_LINES} lines (split them into named steps):\n" + "\n".join(
        too_long
    )


def function_of(lines: int, *, decorators: int = 0) -> str:
    """A function `lines` long in all, its decorators included."""
    body = [f"    value_{number} = {number}" for number in range(lines - decorators - 1)]
    return "\n".join(["@decorated"] * decorators + ["def sample():", *body]) + "\n"


def test_the_check_counts_a_function_from_its_first_decorator_to_its_last_line():
    assert long_functions(function_of(40), "sample.py") == []
    assert long_functions(function_of(41), "sample.py") == ["sample.py:1 sample (41 lines)"]
    assert long_functions(function_of(40, decorators=2), "sample.py") == []
    assert long_functions(function_of(41, decorators=2), "sample.py") == ["sample.py:3 sample (41 lines)"]


def test_the_check_finds_long_methods_and_nested_functions():
    method = "class Sample:\n" + "".join(f"    {line}\n" for line in function_of(41).splitlines())
    nested = "def outer():\n" + "".join(f"    {line}\n" for line in function_of(41).splitlines())

    assert long_functions(method, "sample.py") == ["sample.py:2 sample (41 lines)"]
    assert long_functions(nested, "sample.py") == [
        "sample.py:1 outer (42 lines)",
        "sample.py:2 sample (41 lines)",
    ]


def test_bench_and_migrations_are_left_out_and_everything_else_is_held():
    assert not held_to_the_rule(Path("bench/faults.py"))
    assert not held_to_the_rule(Path("learning/migrations/0001_initial.py"))
    assert not held_to_the_rule(Path("home/migrations/0002_homepage_body.py"))
    assert held_to_the_rule(Path("learning/catalogue/hugo.py"))
    assert held_to_the_rule(Path("tests/learning/bookings/test_bookings.py"))
    assert held_to_the_rule(Path("portal/benchmarks.py"))


def test_without_git_the_walk_leaves_out_hidden_and_generated_folders(tmp_path):
    for name in ("app/views.py", "app/migrations/0001_initial.py", "bench/run.py", ".venv/lib/site.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "app/__pycache__").mkdir()
    (tmp_path / "app/__pycache__/views.py").write_text("")

    walked = sorted(walked_python_files(tmp_path))

    assert walked == [Path("app/migrations/0001_initial.py"), Path("app/views.py"), Path("bench/run.py")]
    assert [path for path in walked if held_to_the_rule(path)] == [Path("app/views.py")]
