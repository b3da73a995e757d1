"""Store URLs: reading a path or URL, checking its query parameters, and masking its password."""

from __future__ import annotations

import math
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from jobfsm.errors import InvalidArgument, StoreUnavailable
from jobfsm.store.arguments import _STORABLE, _unstorable
from jobfsm.store.sqlite import SQLITE_BUSY_TIMEOUT

# The password runs from the first ':' of the user part to the last '@' before the query: a
# password may hold '@' and '/' unquoted, and showing too little of a URL is the safe mistake.
_PASSWORD_IN_TEXT = re.compile(r"(://[^:/@?#]*:)[^?#]*@")
_PASSWORD_QUERY_IN_TEXT = re.compile(r"([?&]password=)[^&]*", re.IGNORECASE)


def mask_url(url: str | URL) -> str:
    """``url`` as text with its password replaced by ``***``.

    >>> mask_url("postgresql+psycopg://sched:s3cret@db.example:5432/jobs")
    'postgresql+psycopg://sched:***@db.example:5432/jobs'
    >>> mask_url("postgresql+psycopg://sched@db.example/jobs?password=s3cret&sslmode=require")
    'postgresql+psycopg://sched@db.example/jobs?password=***&sslmode=require'
    """
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
        # Rendering quotes the parts, which text that is not valid Unicode cannot be.
        text = parsed.render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):  # UnicodeEncodeError is a ValueError
        return _PASSWORD_QUERY_IN_TEXT.sub(r"\1***", _PASSWORD_IN_TEXT.sub(r"\1***@", str(url)))
    # A password holding '@' unquoted is parsed as 'se' with host 'cret@host': hide up to the
    # last '@' again. libpq also takes the password as a query parameter (?password=...).
    return _PASSWORD_QUERY_IN_TEXT.sub(r"\1***", _PASSWORD_IN_TEXT.sub(r"\1***@", text))


_URL_EXPECTED = (
    "a SQLite file path or a database URL as a non-empty string or a Path, such as jobs.db, "
    "sqlite:///path/to/jobs.db or postgresql+psycopg://user:password@host/dbname"
)


def _store_url(url: str | Path | URL) -> URL:
    """Read a store URL: a SQLite file path, ``sqlite:///…`` or ``postgresql[+psycopg]://…``."""
    if isinstance(url, URL):
        parsed = url
    else:
        # str(None) or str(5) would name a file in the current directory, and "" the directory.
        if not isinstance(url, (str, Path)) or (isinstance(url, str) and not url.strip()):
            shown = mask_url(str(url)) if isinstance(url, (bytes, bytearray)) else url
            raise InvalidArgument("url", shown, _URL_EXPECTED)
        text = str(url)
        if _unstorable(text) is not None:
            raise InvalidArgument("url", mask_url(text), f"a path or URL {_STORABLE}")
        if "://" not in text:
            return URL.create("sqlite", database=str(Path(text).expanduser().absolute()))
        try:
            parsed = make_url(text)
        except (sa.exc.ArgumentError, ValueError):
            raise StoreUnavailable(
                mask_url(text),
                "not a database URL; give a file path, sqlite:///path/to/jobs.db or "
                "postgresql+psycopg://user:password@host/dbname",
            ) from None
    if parsed.host is not None and "@" in parsed.host:
        # The password holds an unquoted '@': the server's error would name the rest as a host.
        raise InvalidArgument(
            "url",
            mask_url(parsed),
            "a URL whose password writes '@' as %40 (and ':' as %3A, '/' as %2F), such as "
            "postgresql+psycopg://user:p%40ss@host/dbname",
        )
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres") and driver in ("", "psycopg"):
        # psycopg 3 is the driver the extra installs; SQLAlchemy's default would be psycopg2.
        return parsed.set(drivername="postgresql+psycopg")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        return parsed
    raise StoreUnavailable(
        mask_url(parsed),
        f"the {parsed.drivername!r} backend is not supported; use sqlite:///path/to/jobs.db "
        "or postgresql+psycopg://user:password@host/dbname",
    )


def _parameter(url: URL, name: str) -> str:
    """The value of the URL's query parameter ``name``, refused when it is given twice."""
    value = url.query[name]
    if isinstance(value, str):
        return value
    shown = "***" if name.lower() == "password" else value
    raise InvalidArgument(f"url parameter {name}", shown, f"{name}=... given once")


_SQLITE_PARAMETERS = (
    "timeout, the one parameter a SQLite store takes (timeout=SECONDS: how long a writer waits "
    f"for the write lock in all; {SQLITE_BUSY_TIMEOUT:g} by default)"
)


def _sqlite_parameters(url: URL) -> tuple[URL, float]:
    """The URL to connect to (without the store's own parameters) and its busy timeout.

    SQLAlchemy would hand any other parameter to the driver, which takes some that break the
    store (``detect_types`` changes how times are read) and fails on a malformed value with a
    bare ValueError.
    """
    timeout = SQLITE_BUSY_TIMEOUT
    for name in url.query:
        if name != "timeout":
            raise InvalidArgument("url parameter", name, _SQLITE_PARAMETERS)
        text = _parameter(url, name)
        try:
            timeout = float(text)
        except ValueError:
            timeout = math.nan
        if not 0 <= timeout < math.inf:
            raise InvalidArgument(
                "url parameter timeout",
                text,
                "a number of seconds of 0 or more, such as timeout=60 (how long a writer waits "
                "for the write lock in all)",
            )
    return url.set(query={}), timeout


#: libpq's connection parameters that take a whole number (``port`` a comma-separated list).
_POSTGRES_WHOLE_NUMBERS = frozenset(
    {
        "connect_timeout",
        "keepalives",
        "keepalives_count",
        "keepalives_idle",
        "keepalives_interval",
        "port",
        "tcp_user_timeout",
    }
)


def _postgres_parameters(url: URL) -> URL:
    """``url`` once its query parameters are ones libpq takes, with whole numbers where needed.

    Otherwise psycopg would refuse an unknown name with a ProgrammingError and SQLAlchemy a
    non-numeric port with an ArgumentError, both mid-connect.
    """
    from psycopg import pq

    known = {o.keyword.decode() for o in pq.Conninfo.get_defaults()}
    for name in url.query:
        text = _parameter(url, name)
        if name not in known:
            raise InvalidArgument(
                "url parameter",
                name,
                "a libpq connection parameter, such as sslmode, connect_timeout, "
                "application_name, host or port",
            )
        if name in _POSTGRES_WHOLE_NUMBERS:
            parts = text.split(",") if name == "port" else [text]
            if not all(p.strip().isascii() and p.strip().isdigit() for p in parts):
                listed = ", or several separated by commas" if name == "port" else ""
                raise InvalidArgument(f"url parameter {name}", text, f"a whole number{listed}")
    return url
