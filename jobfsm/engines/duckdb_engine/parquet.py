"""Parquet read by DuckDB: views over the files, one pass over the rows, and the bad rows found
by conditions on row group statistics (:class:`_ParquetReading`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from jobfsm.engines.duckdb_engine.connection import _fetch, _insert, _sql_text
from jobfsm.engines.duckdb_engine.files import _File
from jobfsm.engines.duckdb_engine.run import _RunBase
from jobfsm.errors import UnknownStatus, UnreadableLog
from jobfsm.logs.reader import _job_id_problem
from jobfsm.logs.statuses import _StatusReading
from jobfsm.logs.times import MAX_TIME, MS_THRESHOLD, parse_time

#: DuckDB's integer types (a Parquet column of one holds codes or job ids).
_INTEGERS: Final = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
     "UBIGINT", "UHUGEINT"}
)  # fmt: skip


#: The most unknown status values the bad rows are looked for by (more: every row is read).
_LISTED_VALUES: Final = 64


#: Times a naive or zoned timestamp column holds only in range when none is outside these (the
#: last day of 9999 is left to the exact pass).
_TIME_BOUNDS: Final = ("1970-01-01 00:00:00+00", "9999-12-30 00:00:00+00")


@dataclass(frozen=True)
class _ParquetColumns:
    """One Parquet file's columns as SQL reads them: the expressions of ``parquet_raw``, and
    what the one pass over the rows needs to know of them."""

    source: str
    offset: int
    job: str
    job_problem: str
    st: str
    si: str
    kind: str
    t0: str
    tt: str
    time_problem: str
    detail: str
    #: The file's own columns (conditions on them are pushed down into the Parquet reader).
    job_column: str
    status_column: str
    time_column: str
    #: The job ids are text or integers; the times timestamps, dates or numbers.
    job_typed: bool
    time_typed: bool
    #: A condition on the time column that holds for every time out of range, and for a few
    #: in it (the last day of 9999): the Parquet reader tells it from row group statistics.
    time_outside: str = "false"
    #: For a timestamp or date column, its epoch microseconds, which order as the times do:
    #: the one pass takes their least and greatest, and reads only those as times.
    epoch: str = ""

    def raw(self) -> str:
        """The SELECT of the file's rows in ``parquet_raw``."""
        return (
            f"SELECT {self.offset} + file_row_number + 1 AS line, {self.job} AS job, "
            f"{self.job_problem} AS job_problem, {self.st} AS st, {self.si} AS si, "
            f"{self.kind} AS st_kind, {self.t0} AS t0, {self.tt} AS tt, "
            f"{self.time_problem} AS time_problem, {self.detail} AS detail "
            f"FROM read_parquet({self.source}, file_row_number = true)"
        )

    def lean(self, lines: bool, epoch: bool = False) -> str:
        """The SELECT of what judging reads of each row (the job, status, secondary phase and
        time ``tu``, or the time's ``epoch`` microseconds when asked; and the row's number
        and time ``t`` when ``lines``), nothing else: the one pass reads it."""
        line = f", {self.offset} + file_row_number + 1 AS line, {self.t0} AS t" if lines else ""
        numbered = ", file_row_number = true" if lines else ""
        when = self.epoch if epoch else f"CAST(floor(({self.t0}) * 1000000.0) AS BIGINT)"
        return (
            f"SELECT {self.job} AS job, {self.st} AS st, {self.si} AS si, "
            f"{self.detail} AS detail, {when} AS tu{line} "
            f"FROM read_parquet({self.source}{numbered})"
        )

    def numbers(self, where: str, limit: int) -> str:
        """The first ``limit`` row numbers (in the log) of the rows meeting ``where``."""
        return (
            f"SELECT {self.offset} + file_row_number + 1 AS line "
            f"FROM read_parquet({self.source}, file_row_number = true) "
            f"WHERE {where} ORDER BY file_row_number LIMIT {limit}"
        )


class _ParquetReading(_RunBase):
    """Reads Parquet files into ``groups``, ``intervals``, ``good``, ``bad`` and ``listed_bad``."""

    #: Judge from the one pass over the rows where it can (the tests turn it off to compare it
    #: with the exact pass).
    lean = True

    def _parquet(self) -> None:
        """Read the Parquet files: views over them (nothing is copied), each distinct status
        read once by the Python reader's rules, and times in other forms than SQL reads too.

        Judging reads the rows once (:meth:`_parquet_groups`); the bad rows listed are found
        by conditions the Parquet reader checks against each row group's statistics, and read
        again by their row numbers."""
        con = self.con
        key = 0
        for item in self.files:
            item.key_offset = item.line_offset = key
            path = _sql_text(item.read)
            described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
            types = {str(row[0]).lower(): (str(row[0]), str(row[1]).upper()) for row in described}
            missing = [c for c in ("job_id", "status", "time") if c not in types]
            if missing:
                raise UnreadableLog(
                    item.label,
                    f"the Parquet file has no {' or '.join(repr(c) for c in missing)} column; "
                    "expected the columns job_id, status and time",
                )
            found = con.execute(
                f"SELECT sum(num_rows) FROM parquet_file_metadata({path})"
            ).fetchone()
            item.rows = int(found[0] or 0) if found else 0
            item.columns = self._parquet_columns(item, types)
            key += item.rows
        self.rows = key
        con.execute("CREATE TEMP VIEW parquet_raw AS " + self._each_file(lambda c: c.raw()))
        lean = self.lean and not self.text_times and self._in_range()
        if lean:
            self._parquet_groups()
            self._parquet_statuses("groups" if len({f.kind for f in self._columns()}) == 1 else "")
            self._parquet_intervals()
        else:
            self._parquet_statuses("")
        con.execute("CREATE TEMP TABLE time_fix (k VARCHAR, t DOUBLE, problem VARCHAR)")
        if self.text_times:
            self._parquet_times()
        con.execute("CREATE TEMP VIEW pq AS " + self._pq_sql("parquet_raw"))
        tu = "CAST(floor(t * 1000000.0) AS BIGINT)"
        con.execute(
            f"CREATE TEMP VIEW fast AS SELECT job, code, t, {tu} AS tu, line, detail "
            "FROM pq WHERE problem IS NULL"
        )
        if not lean:
            self._parquet_exact_groups(tu)
        invalid = []
        # A job id of printable ASCII alone is one; only the others are read by Python's rule.
        others = "SELECT job FROM (SELECT DISTINCT job FROM intervals) "
        others += "WHERE NOT regexp_full_match(job, '[!-~]+')"
        for (job,) in _fetch(con.execute(others)):
            problem = _job_id_problem("job_id", job)
            if problem is not None:
                invalid.append((job, problem))
        con.execute("CREATE TEMP TABLE invalid_job (job VARCHAR, problem VARCHAR)")
        if not invalid:
            if lean:
                con.execute(
                    "CREATE TEMP VIEW good AS SELECT r.job, coalesce(sc.code, sn.code) AS code, "
                    "r.t, r.tu, r.line, r.detail FROM ("
                    + self._each_file(lambda c: c.lean(True))
                    + ") r LEFT JOIN status_text sc ON sc.st = r.st "
                    "LEFT JOIN status_int sn ON sn.si = r.si "
                    "WHERE r.job IS NOT NULL AND r.t IS NOT NULL "
                    "AND coalesce(sc.code, sn.code) IS NOT NULL"
                )
                # The replayed jobs' rows, joined to those jobs before their statuses are read.
                self.replayed_rows = (
                    "SELECT j.jid, coalesce(sc.code, sn.code) AS code, r.t, r.line FROM ("
                    + self._each_file(lambda c: c.lean(True))
                    + ") r JOIN replayed_jobs j ON j.job = r.job "
                    "LEFT JOIN status_text sc ON sc.st = r.st "
                    "LEFT JOIN status_int sn ON sn.si = r.si "
                    "WHERE r.t IS NOT NULL AND coalesce(sc.code, sn.code) IS NOT NULL"
                )
            else:
                con.execute("CREATE TEMP VIEW good AS SELECT * FROM fast")
            con.execute(
                "CREATE TEMP VIEW bad AS SELECT line, problem, status_text FROM pq "
                "WHERE problem IS NOT NULL"
            )
            self._parquet_listed(lean)
            return
        # Rare: every row of these jobs is a bad line, and the groups no longer say which bad
        # lines come first, nor which secondary phases were seen with good rows.
        _insert(con, "invalid_job", invalid)
        con.execute("DELETE FROM intervals WHERE job IN (SELECT job FROM invalid_job)")
        con.execute(
            "CREATE TEMP VIEW good AS SELECT * FROM fast f WHERE NOT EXISTS "
            "(SELECT 1 FROM invalid_job i WHERE i.job = f.job)"
        )
        con.execute(
            "CREATE TEMP VIEW bad AS SELECT line, problem, status_text FROM pq "
            "WHERE problem IS NOT NULL UNION ALL SELECT f.line, i.problem, NULL "
            "FROM fast f JOIN invalid_job i ON i.job = f.job"
        )
        self.listing, self.phases = "bad", "good"

    def _each_file(self, select: Callable[[_ParquetColumns], str]) -> str:
        """The SELECTs ``select`` makes of each Parquet file, one after another."""
        return " UNION ALL ".join(select(f.columns) for f in self.files if f.columns is not None)

    def _pq_sql(self, raw: str) -> str:
        """The rows of ``raw`` (``parquet_raw``'s columns) with their status code, time, and
        why a row is a bad line (``problem``, null for a good one)."""
        if self.text_times:
            times = "LEFT JOIN time_fix ft ON r.t0 IS NULL AND ft.k = r.tt"
            time, refused = "coalesce(r.t0, ft.t)", "ft.problem"
        else:
            times, time, refused = "", "r.t0", "NULL::VARCHAR"
        return f"""
            SELECT line, job, code, t, detail, problem,
                   CASE WHEN problem LIKE 'unknown status: %'
                        THEN coalesce(st, CAST(si AS VARCHAR)) END AS status_text
            FROM (
                SELECT line, job, code, t, detail, st, si,
                       CASE WHEN job_problem IS NOT NULL THEN job_problem
                            WHEN st IS NULL AND si IS NULL
                                THEN 'status is null; expected a status'
                            WHEN code IS NULL THEN status_problem
                            WHEN time_problem IS NOT NULL THEN time_problem
                            WHEN t IS NULL THEN coalesce(time_refused, 'time ' || tt)
                            WHEN NOT (t >= 0 AND t <= {MAX_TIME!r}) THEN
                                'the time is out of range; expected a time between '
                                || '1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z'
                       END AS problem
                FROM (
                    SELECT r.line, r.job, r.job_problem, r.st, r.si, r.tt, r.time_problem,
                           r.detail, coalesce(sc.code, sn.code) AS code,
                           coalesce(sc.problem, sn.problem) AS status_problem, {time} AS t,
                           {refused} AS time_refused
                    FROM {raw} r LEFT JOIN status_text sc ON sc.st = r.st
                    LEFT JOIN status_int sn ON sn.si = r.si {times}))"""

    def _columns(self) -> list[_ParquetColumns]:
        return [f.columns for f in self.files if f.columns is not None]

    def _in_range(self) -> bool:
        """True when no file holds a time out of range (by row group statistics, mostly): the
        one pass counts every timed row as good, and is made only then."""
        outside = self._each_file(
            lambda c: f"SELECT 1 FROM read_parquet({c.source}) WHERE {c.time_outside}"
        )
        return bool(
            self.con.execute(f"SELECT count(*) FROM ({outside} LIMIT 1)").fetchone() == (0,)
        )

    def _parquet_groups(self) -> None:
        """The one pass over the rows: ``groups`` holds each job's values of status (and
        secondary phase) with their timed rows' first and last time and count.

        A row without a job id, a status or a time (or with a value of no such type) is left
        out by those NULLs alone (a time out of range would not be: :meth:`_in_range`). Where
        every file's times are timestamps, the pass takes their epoch microseconds, and only
        each group's first and last are made times (the same, as times order as they do)."""
        epoch = all(c.epoch for c in self._columns())

        def time(of: str) -> str:
            return f"CAST(floor(({of} / 1000000.0) * 1000000.0) AS BIGINT)" if epoch else of

        # Text statuses leave si NULL, integers st: a key column fewer is a faster pass.
        kinds = {c.kind for c in self._columns()}
        keys = ["job", "st", "si"]
        if "'i'" not in kinds:
            keys.remove("si")
        elif kinds == {"'i'"}:
            keys.remove("st")
        keys += ["detail"] if self.details else []
        types = {"st": "VARCHAR", "si": "BIGINT"}
        constant = "".join(f", NULL::{types[k]} AS {k}" for k in types if k not in keys)
        first = ", min(line) FILTER (tu IS NOT NULL) AS first_line" if self.details else ""
        self.con.execute(
            f"""CREATE TEMP TABLE groups AS
            SELECT {", ".join(keys)}{constant}, {time("min(tu)")} AS first_tu,
                   {time("max(tu)")} AS last_tu, count(tu) AS n{first}
            FROM ({self._each_file(lambda c: c.lean(self.details, epoch))})
            GROUP BY {", ".join(keys)}"""
        )

    def _parquet_intervals(self) -> None:
        """``intervals`` (and the secondary phases' counts) from ``groups``, each value of
        status read as its code."""
        con = self.con
        known = (
            "FROM groups g LEFT JOIN status_text sc ON sc.st = g.st "
            "LEFT JOIN status_int sn ON sn.si = g.si "
            "WHERE g.job IS NOT NULL AND g.n > 0 AND coalesce(sc.code, sn.code) IS NOT NULL"
        )
        # Several values of one status (RUNNING, 8), or secondary phases, make several groups
        # of a job's status; else each group is one already.
        found = con.execute(
            "SELECT count(code) = count(DISTINCT code) FROM "
            "(SELECT code FROM status_text UNION ALL SELECT code FROM status_int)"
        ).fetchone()
        if found is not None and found[0] is not False and not self.details:
            con.execute(
                f"""CREATE TEMP TABLE intervals AS
                SELECT g.job, coalesce(sc.code, sn.code) AS code, g.first_tu, g.last_tu, g.n
                {known}"""
            )
        else:
            con.execute(
                f"""CREATE TEMP TABLE intervals AS
                SELECT g.job, coalesce(sc.code, sn.code) AS code, min(g.first_tu) AS first_tu,
                       max(g.last_tu) AS last_tu, sum(g.n) AS n {known}
                GROUP BY g.job, coalesce(sc.code, sn.code)"""
            )
        if self.details:
            con.execute(
                f"""CREATE TEMP VIEW phase_groups AS
                SELECT coalesce(sc.code, sn.code) AS code, g.detail, g.n, g.first_line {known}"""
            )
            self.phases = "phase_groups"
        self.listing = "bad" if self.listed is None else "listed_bad"

    def _parquet_exact_groups(self, tu: str) -> None:
        """``groups`` and ``intervals`` read off ``pq``, every row's problem worked out: for
        text times (the Python reader reads some of them) and times out of range."""
        con = self.con
        listed = self.listed
        odd = f", min(line, {listed}) FILTER (NOT ok) AS odd" if listed else ""
        detail = ", detail" if self.details else ""
        first = ", min(line) FILTER (ok) AS first_line" if self.details else ""
        con.execute(
            f"""CREATE TEMP TABLE groups AS
            SELECT job, code{detail}, min(tu) FILTER (ok) AS first_tu,
                   max(tu) FILTER (ok) AS last_tu, count(*) FILTER (ok) AS n{first}{odd}
            FROM (SELECT job, code, detail, line, problem IS NULL AS ok,
                         CASE WHEN problem IS NULL THEN {tu} END AS tu FROM pq)
            GROUP BY ALL"""
        )
        con.execute(
            """CREATE TEMP TABLE intervals AS
            SELECT job, code, min(first_tu) AS first_tu, max(last_tu) AS last_tu, sum(n) AS n
            FROM groups WHERE n > 0 GROUP BY job, code"""
        )
        if self.details:
            self.phases = "groups"
        self.listing = "bad" if listed is None else "listed_bad"

    def _parquet_listed(self, lean: bool) -> None:
        """``listed_bad``: the first ``listed`` bad rows, read again by their row numbers."""
        con = self.con
        con.execute("CREATE TEMP TABLE listed_bad (line BIGINT, problem VARCHAR)")
        listed = self.listed
        if not listed:
            return
        if not lean:
            found = con.execute(
                "SELECT line FROM (SELECT unnest(odd) AS line FROM groups WHERE odd IS NOT NULL) "
                f"ORDER BY line LIMIT {listed}"
            ).fetchall()
        else:
            queries = self._bad_row_queries(listed)
            if queries is None:
                self.listing = "bad"
                return
            found = con.execute(
                "SELECT DISTINCT line FROM ("
                + " UNION ALL ".join(f"SELECT * FROM ({q})" for q in queries)
                + ") "
                f"ORDER BY line LIMIT {listed}"
            ).fetchall() if queries else []  # fmt: skip
        lines = [int(row[0]) for row in found]
        if not lines:
            return
        selects = []
        for item in self.files:
            here = [n - item.key_offset for n in lines if 0 < n - item.key_offset <= item.rows]
            if here and item.columns is not None:
                numbers = ", ".join(str(n - 1) for n in here)  # file_row_number counts from 0
                selects.append(f"{item.columns.raw()} WHERE file_row_number IN ({numbers})")
        raw = "(" + " UNION ALL ".join(selects) + ")"
        con.execute(
            f"INSERT INTO listed_bad SELECT line, problem FROM ({self._pq_sql(raw)}) "
            "WHERE problem IS NOT NULL"
        )

    def _bad_row_queries(self, listed: int) -> list[str] | None:
        """Queries of the first ``listed`` row numbers of each kind of bad row the files hold
        (a job id, status or time missing or of another type, an unknown status), on the
        files' own columns so that the Parquet reader skips the row groups whose statistics
        rule them out; None when the unknown statuses are too many to list in a query."""
        unknown_text = [
            row[0]
            for row in self.con.execute("SELECT st FROM status_text WHERE code IS NULL").fetchall()
        ]
        unknown_int = [
            row[0]
            for row in self.con.execute("SELECT si FROM status_int WHERE code IS NULL").fetchall()
        ]
        if len(unknown_text) + len(unknown_int) > _LISTED_VALUES:
            return None
        queries: list[str] = []
        for item in self.files:
            c = item.columns
            if c is None:
                continue
            status = c.status_column
            where = [f"{status} IS NULL"]
            where.append(f"{c.job_column} IS NULL" if c.job_typed else "true")
            where.append(f"{c.time_column} IS NULL" if c.time_typed else "true")
            if c.kind == "'x'":
                where.append(f"{status} IS NOT NULL")  # neither text nor an integer: unknown
            elif c.kind == "'i'" and unknown_int:
                where.append(f"{status} IN ({', '.join(str(int(v)) for v in unknown_int)})")
            elif c.kind == "'t'" and unknown_text:
                where.append(f"{status} IN ({', '.join(_sql_text(v) for v in unknown_text)})")
            queries.extend(c.numbers(w, listed) for w in where)
        return queries

    def _parquet_columns(self, item: _File, types: dict[str, tuple[str, str]]) -> _ParquetColumns:
        def column(name: str) -> str:
            return '"' + types[name][0].replace('"', '""') + '"'

        job, status, when = column("job_id"), column("status"), column("time")
        jk, sk, tk = types["job_id"][1], types["status"][1], types["time"][1]
        null_job = f"CASE WHEN {job} IS NULL THEN 'job_id is null; expected a job id' END"
        if jk == "VARCHAR":
            job_sql, job_problem = job, null_job
        elif jk in _INTEGERS:
            job_sql, job_problem = f"CAST({job} AS VARCHAR)", null_job
        else:
            job_sql = "NULL::VARCHAR"
            job_problem = (
                f"'job_id ' || coalesce(CAST({job} AS VARCHAR), 'null') || ' is a "
                f"{jk.lower()}, not a job id; expected text or an integer'"
            )
        # Text statuses are looked up as text, integers as integers; any other type is shown
        # as text, and refused.
        if sk in _INTEGERS:
            st, si, kind = "NULL::VARCHAR", f"CAST({status} AS BIGINT)", "'i'"
        else:
            st = status if sk == "VARCHAR" else f"CAST({status} AS VARCHAR)"
            si, kind = "NULL::BIGINT", "'t'" if sk == "VARCHAR" else "'x'"
        null_time = f"CASE WHEN {when} IS NULL THEN 'time is null; expected a time' END"
        time_typed = True
        tt = "NULL::VARCHAR"  # a time given as text, read again by Python if SQL did not
        outside, epoch = "false", ""
        if tk.startswith("TIMESTAMP") or tk == "DATE":
            moment = when if "TIME ZONE" in tk else f"CAST({when} AS TIMESTAMP)"
            t0, problem = f"epoch_us({moment}) / 1000000.0", null_time
            epoch = f"epoch_us({moment})"
            kind_of = "TIMESTAMPTZ" if "TIME ZONE" in tk else "DATE" if tk == "DATE" else tk
            low, high = ("1970-01-01", "9999-12-30") if tk == "DATE" else _TIME_BOUNDS
            outside = f"{when} < {kind_of} '{low}' OR {when} > {kind_of} '{high}'"
        elif tk in _INTEGERS or tk in ("FLOAT", "DOUBLE") or tk.startswith("DECIMAL"):
            value = f"CAST({when} AS DOUBLE)"
            t0 = f"CASE WHEN abs({value}) >= {MS_THRESHOLD} THEN {value} / 1000.0 ELSE {value} END"
            problem = null_time
            # Seconds below MS_THRESHOLD, milliseconds from it; NaN is above everything.
            outside = f"{when} < 0 OR {when} > {(MAX_TIME - 86400) * 1000:.0f}"
        elif tk == "VARCHAR":
            t0, tt, problem = self._time_sql(when), when, null_time
            self.text_times, time_typed = True, False
        else:
            t0, time_typed = "NULL::DOUBLE", False
            problem = f"'a time of type {tk.lower()}; expected a timestamp, a number or text'"
        detail = (
            f"CAST({column('secondary_phase')} AS VARCHAR)"
            if self.details and "secondary_phase" in types
            else "NULL::VARCHAR"
        )
        return _ParquetColumns(
            source=_sql_text(item.read),
            offset=item.key_offset,
            job=job_sql,
            job_problem=job_problem,
            st=st,
            si=si,
            kind=kind,
            t0=t0,
            tt=tt,
            time_problem=problem,
            detail=detail,
            job_column=job,
            status_column=status,
            time_column=when,
            job_typed=jk == "VARCHAR" or jk in _INTEGERS,
            time_typed=time_typed,
            time_outside=outside,
            epoch=epoch,
        )

    def _parquet_statuses(self, groups: str) -> None:
        """Read every distinct status once, by the Python reader's rules (``status_code``): an
        integer column's values as ints, a text column's as text; the values are those of
        ``groups`` when named (the files' statuses all of one type), else of the files.

        Where each value is first seen matters only when a value is a word of another
        lifecycle (the log is refused whole, naming lines): then the values are read again, in
        the order of their first rows."""
        con = self.con
        for table, key in (("status_text", "st VARCHAR"), ("status_int", "si BIGINT")):
            con.execute(f"CREATE TEMP TABLE {table} ({key}, code INTEGER, problem VARCHAR)")
        values = "FROM parquet_raw WHERE st IS NOT NULL OR si IS NOT NULL GROUP BY st, si"
        if groups:
            kind = self._columns()[0].kind
            each = f"SELECT DISTINCT st, si, {kind} AS st_kind FROM {groups}"
        else:
            each = self._each_file(
                lambda c: (
                    f"SELECT {c.st} AS st, {c.si} AS si, {c.kind} AS st_kind FROM "
                    f"(SELECT DISTINCT {c.status_column} FROM read_parquet({c.source}))"
                )
            )
        found = con.execute(
            f"SELECT st, si, any_value(st_kind), 0 FROM ({each}) "
            "WHERE st IS NOT NULL OR si IS NOT NULL GROUP BY st, si"
        ).fetchall()
        texts, ints = self._read_statuses(found)
        if self.reading.foreign is not None:
            self.reading = _StatusReading(self.lifecycle)
            found = con.execute(
                f"SELECT st, si, any_value(st_kind), min(line) {values} ORDER BY min(line)"
            ).fetchall()
            texts, ints = self._read_statuses(found)
        _insert(con, "status_text", texts)
        _insert(con, "status_int", ints)
        self._one_lifecycle()

    def _read_statuses(
        self, found: Sequence[tuple[Any, ...]]
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The rows of ``status_text`` and ``status_int`` for the values ``found`` (text, int,
        kind, line)."""
        texts: list[tuple[Any, ...]] = []
        ints: list[tuple[Any, ...]] = []
        for text, number, kind, line in found:
            value = number if text is None else text
            row: tuple[Any, ...]
            try:
                if kind == "x":  # neither text nor an integer
                    raise UnknownStatus(value, lifecycle=self.vocab.name)
                row = (value, self.reading.code(value, int(line)), None)
            except UnknownStatus as exc:
                row = (value, None, f"unknown status: {exc.message}")
            (texts if text is not None else ints).append(row)
        return texts, ints

    def _parquet_times(self) -> None:
        """Read by the Python reader's rules the text times SQL does not read (``time_fix``)."""
        found: list[tuple[Any, ...]] = []
        for (value,) in _fetch(
            self.con.execute(
                "SELECT DISTINCT tt FROM parquet_raw "
                "WHERE t0 IS NULL AND tt IS NOT NULL AND time_problem IS NULL"
            )
        ):
            try:
                found.append((value, parse_time(value), None))
            except (ValueError, TypeError) as exc:
                found.append((value, None, str(exc)))
        _insert(self.con, "time_fix", found)

    def _parquet_own_sql(self) -> str:
        joins, _, own = self._status_sql("st", "si")
        return f"SELECT line, st FROM parquet_raw {joins} WHERE {own} ORDER BY line LIMIT 1"
