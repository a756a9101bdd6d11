"""Every management command ends a failure in one readable line and exit 1, never a traceback, writing nothing."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

MALFORMED = {
    "binary.xlsx": bytes(range(256)) * 16,
    "nul.csv": b"RXX,A NAME\x00,Y56\n",
    "huge-field.csv": b"RXX," + b"A" * 140_000 + b",x\n",
    "deeply-nested.json": b'{"type": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


def run(*args: str, database: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=120, env=environment
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    # A migrated SQLite file of its own: the commands run in subprocesses, as an operator runs them.
    url = f"sqlite:///{tmp_path_factory.mktemp('commands') / 'db.sqlite3'}"
    assert run("migrate", "--noinput", database=url).returncode == 0
    return url


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_import_trusts_turns_a_malformed_file_into_one_line_and_writes_nothing(tmp_path, database, name):
    path = tmp_path / name
    path.write_bytes(MALFORMED[name])
    result = run("import_trusts", str(path), database=database)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"CommandError: {name}: ") and "Nothing was imported" in lines[0]
    counted = run("shell", "-c", "from buddying.models import Trust; print(Trust.objects.count())", database=database)
    assert counted.stdout.strip().splitlines()[-1] == "0"


def test_a_command_whose_database_is_unusable_says_so_in_one_line(tmp_path):
    result = run("shortlist", "RJ1", database=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("CommandError: The database could not be used:")
