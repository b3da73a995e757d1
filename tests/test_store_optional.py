"""The core works without the `sql` extra; the store then says what to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Run first in each child: make `import sqlalchemy` fail as if the extra were not installed.
HIDE_SQLALCHEMY = """
import sys

class HideSQLAlchemy:
    def find_spec(self, name, path=None, target=None):
        if name == "sqlalchemy" or name.startswith("sqlalchemy."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, HideSQLAlchemy())
"""


def without_sqlalchemy(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter where SQLAlchemy cannot be imported."""
    return subprocess.run(
        [sys.executable, "-c", HIDE_SQLALCHEMY + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_core_imports_without_sqlalchemy() -> None:
    """`import jobfsm` and a job's moves work, and SQLAlchemy is never imported."""
    done = without_sqlalchemy(
        """
        import jobfsm
        job = jobfsm.Job("j-1")
        assert job.advance_to(jobfsm.JobStatus.SUBMIT_TRYING)
        assert "sqlalchemy" not in sys.modules
        print("ok")
        """
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "ok\n", "")


def test_importing_jobfsm_does_not_load_sqlalchemy() -> None:
    """Even with the extra installed, `import jobfsm` leaves SQLAlchemy unloaded until used."""
    done = subprocess.run(
        [sys.executable, "-c", "import sys, jobfsm; print('sqlalchemy' in sys.modules)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stdout == "False\n"


def test_core_cli_works_without_sqlalchemy() -> None:
    """The core commands run and exit as usual without the extra."""
    done = without_sqlalchemy(
        """
        from jobfsm.cli import main
        sys.exit(main(["explain", "WAITING", "RUNNING"]))
        """
    )
    assert done.returncode == 0
    assert "legal by 'start'" in done.stdout


def test_store_names_the_extra_to_install() -> None:
    """Using the store without SQLAlchemy raises MissingExtra naming pip install 'jobfsm[sql]'."""
    done = without_sqlalchemy(
        """
        from jobfsm import MissingExtra
        try:
            from jobfsm import JobStore
        except MissingExtra as exc:
            assert isinstance(exc, ImportError)
            print(exc)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "the job store (jobfsm.store) needs sqlalchemy, which is not installed; "
        "run: pip install 'jobfsm[sql]'\n"
    )


def test_store_cli_names_the_extra_to_install() -> None:
    """`jobfsm store …` without SQLAlchemy is one line naming the extra, exit 2."""
    done = without_sqlalchemy(
        """
        from jobfsm.cli import main
        sys.exit(main(["store", "list", "jobs.db"]))
        """
    )
    assert done.returncode == 2
    assert done.stderr.endswith("run: pip install 'jobfsm[sql]'\n")
    assert done.stderr.count("\n") == 1
