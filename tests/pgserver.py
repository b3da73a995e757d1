"""A throwaway PostgreSQL server for the tests and the benchmarks.

``initdb`` into a temporary directory, ``pg_ctl start`` listening only on a Unix socket in that
directory, and at the end ``pg_ctl stop`` and the directory removed. PostgreSQL refuses to run as
root, so as root every server command runs as the ``postgres`` system user that Debian's
``postgresql`` package creates (``runuser -u postgres --``); anyone else runs them directly.

The binaries are looked up on PATH, then under ``/usr/lib/postgresql/*/bin`` (where Debian puts
them), newest version first.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

__all__ = ["INSTALL_HINT", "PostgresServer", "PostgresUnavailable", "find_bin_dir", "running"]

INSTALL_HINT = "install PostgreSQL (Debian: apt-get install postgresql) or run `make system-deps`"

#: Settings for a throwaway server: no fsync (nothing here must survive a power cut; atomicity
#: and isolation do not depend on it).
FAST: Mapping[str, str] = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


class PostgresUnavailable(RuntimeError):
    """The server could not be found, started or reached; the message says what to do."""


def _version_key(path: Path) -> tuple[int, ...]:
    digits = path.parent.name.split(".")
    return tuple(int(d) for d in digits if d.isdigit())


def find_bin_dir() -> Path | None:
    """The directory holding ``initdb`` and ``pg_ctl``, or None when PostgreSQL is missing."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    found = [
        p.parent
        for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")
        if (p.parent / "initdb").exists()
    ]
    return max(found, key=lambda p: _version_key(p / "x")) if found else None


class PostgresServer:
    """One PostgreSQL cluster in ``root``, reachable at :attr:`url` while started."""

    def __init__(
        self,
        root: Path,
        *,
        bin_dir: Path | None = None,
        settings: Mapping[str, str] = FAST,
        port: int = 5432,
    ) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise PostgresUnavailable(f"initdb and pg_ctl were not found; {INSTALL_HINT}")
        self.bin_dir = found
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.settings = dict(settings)
        # The socket lives in root; the port only names the socket file.
        self.port = port
        self._as_postgres = os.geteuid() == 0

    @property
    def url(self) -> str:
        """A SQLAlchemy URL for the ``postgres`` database as the ``postgres`` superuser."""
        return f"postgresql+psycopg://postgres@/postgres?host={self.root}&port={self.port}"

    def fresh_url(self) -> str:
        """:attr:`url` after emptying the ``public`` schema, so each test starts clean."""
        import psycopg

        with psycopg.connect(
            host=str(self.root), port=self.port, user="postgres", dbname="postgres"
        ) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return self.url

    def _run(self, argv: Sequence[str]) -> None:
        command = [str(self.bin_dir / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(
                f"{' '.join(argv[:2])} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-2000:]}\n{log}"
            )

    def start(self) -> None:
        """Create the cluster and start the server; wait until it accepts connections."""
        if self._as_postgres:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root needs the 'postgres' system user; {INSTALL_HINT}"
                ) from None
            os.chown(self.root, account.pw_uid, account.pw_gid)
        self._run(
            [
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        )
        options = [
            "-c listen_addresses=''",
            f"-c unix_socket_directories='{self.root}'",
            f"-p {self.port}",
            *(f"-c {k}={v}" for k, v in self.settings.items()),
        ]
        self._run(
            [
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                "-t",
                "60",
                "-o",
                " ".join(options),
                "start",
            ]
        )

    def stop(self) -> None:
        """Stop the server at once (the data is thrown away anyway)."""
        if (self.data / "postmaster.pid").exists():
            self._run(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])


@contextlib.contextmanager
def running(settings: Mapping[str, str] = FAST) -> Iterator[PostgresServer]:
    """A started server in a fresh temporary directory, stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="jobfsm-pg-"))
    try:
        server = PostgresServer(root, settings=settings)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
