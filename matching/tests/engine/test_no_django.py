"""The matching engine is pure: nothing under matching/engine imports Django (or the apps that do)."""

import ast
import subprocess
import sys
from pathlib import Path

import matching.engine

ENGINE = Path(matching.engine.__file__).resolve().parent
REPO = ENGINE.parents[1]


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_engine_module_imports_django_or_a_django_app():
    files = sorted(ENGINE.glob("*.py"))
    assert len(files) >= 9
    for path in files:
        for module in imported_modules(path):
            top = module.split(".")[0]
            assert top != "django", f"{path.name} imports {module}"
            assert top not in {"buddying", "arrangements", "reports"}, f"{path.name} imports {module}"
            if top == "matching":
                assert module.startswith("matching.engine"), f"{path.name} imports {module}"


def test_importing_the_engine_loads_no_django_module():
    # A fresh interpreter, so nothing the test run already imported can hide a transitive import.
    code = "import sys, matching.engine; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
