"""`jobfsm sql`: the SQL of jobfsm.store.rules on the command line."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from test_rules import V1, V1_TABLE, V2
from test_store_optional import without_sqlalchemy

from jobfsm.store.rules import table_rules


def test_the_command_prints_sql_a_database_takes(tmp_path: Path) -> None:
    """`jobfsm sql --dialect sqlite ... | sqlite3 jobs.db` in effect: the printed script applies."""
    done = subprocess.run(
        [sys.executable, "-m", "jobfsm", "sql", "--dialect", "sqlite", "--table", "training_jobs",
         "--column", "state", "--id-column", "name"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    connection = sqlite3.connect(tmp_path / "team.db", isolation_level=None)
    connection.execute(V1_TABLE)
    connection.executescript(done.stdout)
    connection.execute("INSERT INTO training_jobs (name, state) VALUES ('a', 1)")
    with pytest.raises(sqlite3.IntegrityError, match=re.escape("cannot move INIT(1) → RUNNING(8)")):
        connection.execute("UPDATE training_jobs SET state = 8")
    connection.close()


def sql_command(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    from jobfsm.cli import main

    code = main(["sql", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_takes_each_option_to_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = sql_command(
        capsys, "--dialect", "postgresql", "--lifecycle", "modelarts-v2", "--table", "jobs",
        "--column", "phase", "--id-column", "job_id", "--start", "any", "--lifecycle-column",
        "kind",
    )  # fmt: skip
    assert (code, err) == (0, "")
    expected = table_rules(V2, dialect="postgresql", table="jobs", column="phase",
                           id_column="job_id", start="any", lifecycle_column="kind")  # fmt: skip
    assert out == expected.script()
    assert "(names)" in out.splitlines()[0]
    code, out, _ = sql_command(
        capsys, "--dialect", "sqlite", "--table", "jobs", "--column", "state", "--values", "names",
        "--start", "INIT, 7", "--sqlite-version", "3.47.0", "--drop",
    )  # fmt: skip
    dropped = table_rules(V1, dialect="sqlite", table="jobs", column="state", values="names",
                          start=["INIT", 7], sqlite_version="3.47.0")  # fmt: skip
    assert (code, out) == (0, dropped.script(drop=True))


@pytest.mark.parametrize(
    ("argv", "option", "says"),
    [
        (["--table", "ops.jobs", "--column", "c"], "'--table'", "holds a '.'"),
        (["--table", "t", "--column", ""], "'--column'", "it is empty"),
        (["--table", "t", "--column", "c", "--id-column", "a\tb"], "'--id-column'", "control"),
        (["--table", "t", "--column", "c", "--lifecycle-column", "c"], "'--lifecycle-column'",
         "a column of its own"),
        (["--table", "t", "--column", "c", "--start", "RUNING"], "'--start'",
         "did you mean RUNNING"),
        (["--table", "t", "--column", "c", "--sqlite-version", "latest"], "'--sqlite-version'",
         "a SQLite version"),
        (["--table", "t"], "'--column'", "Missing option"),
    ],
)  # fmt: skip
def test_the_command_refuses_what_it_cannot_write_naming_the_option(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str, says: str
) -> None:
    code, out, err = sql_command(capsys, "--dialect", "postgresql", *argv)
    assert (code, out) == (2, "")
    assert option in err
    assert says in err
    assert "Traceback" not in err


def test_the_command_works_without_sqlalchemy() -> None:
    done = without_sqlalchemy(
        """
        from jobfsm.cli import main
        code = main(["sql", "--dialect", "postgresql", "--table", "t", "--column", "c"])
        assert "sqlalchemy" not in sys.modules
        sys.exit(code)
        """
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert "CREATE FUNCTION" in done.stdout
