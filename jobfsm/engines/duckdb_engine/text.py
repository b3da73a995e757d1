"""JSON Lines and CSV read into DuckDB: the lines SQL reads, and the Python reader for the rest
(:class:`_TextReading`)."""

from __future__ import annotations

import re
import threading
from typing import Any, Final

from jobfsm.engines import query
from jobfsm.engines.duckdb_engine.connection import _fetch, _insert, _sql_text
from jobfsm.engines.duckdb_engine.files import (
    _DUCK_MAX_LINE,
    _clean_copy,
    _File,
    _line_at,
    _needs_copy,
    _status_of,
)
from jobfsm.engines.duckdb_engine.run import _RunBase
from jobfsm.logs import MAX_LINE, LogFormat
from jobfsm.logs.csvlog import _CsvReader
from jobfsm.logs.jsonl import _JsonReader
from jobfsm.logs.lines import _TooLong
from jobfsm.logs.observations import ObservationLog
from jobfsm.logs.reader import _job_id_problem, _Reader
from jobfsm.logs.times import MAX_TIME

#: What DuckDB writes for a JSON value that is no string and no int: a job id SQL read as this
#: may have been one (a float, true, an object...), so the Python reader reads it again.
_JSON_SCALAR: Final = re.compile(
    r"-?[0-9]+[.eE][0-9eE.+-]*|-?[0-9]{19,}|true|false|null|(?i:-?(nan|inf|infinity))|[\[{].*"
)


# Neither white space (what str.strip strips) nor a control character.
_SOLID: Final = "[^\\x00-\\x20\\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"


class _TextReading(_RunBase):
    """Reads JSON Lines and CSV files into ``obs``, ``intervals``, ``extra`` and ``bad``."""

    def _text_files(self) -> None:
        """Read the JSON Lines or CSV files (``load``'s work for them)."""
        files = self.files
        con = self.con
        con.execute(
            "CREATE TEMP TABLE obs (line BIGINT, job VARCHAR, code INTEGER, t DOUBLE, "
            "detail VARCHAR, raw VARCHAR)"
        )
        key = lines = 0
        for index, item in enumerate(files):
            item.key_offset, item.line_offset = key, lines
            self._text(index, item)
            key += item.rows
            lines += item.rows + len(item.shifts)
        tu = "CAST(floor(t * 1000000.0) AS BIGINT)"
        con.execute(
            f"CREATE TEMP VIEW fast AS SELECT job, code, t, {tu} AS tu, line, detail "
            "FROM obs WHERE raw IS NULL"
        )
        con.execute(query.judging_sql("fast")["intervals"])
        suspects = self._suspects()
        con.execute("CREATE TEMP TABLE suspect (job VARCHAR)")
        if suspects:  # their lines go to the Python reader: fast (raw IS NULL) drops them
            _insert(con, "suspect", [(j,) for j in suspects])
            self._reroute()
        con.execute(
            "CREATE TEMP TABLE extra (line BIGINT, job VARCHAR, code INTEGER, t DOUBLE, "
            "detail VARCHAR)"
        )
        con.execute("CREATE TEMP TABLE bad (line BIGINT, problem VARCHAR, status_text VARCHAR)")
        self._hand_over()
        con.execute(
            "CREATE TEMP VIEW good AS SELECT * FROM fast "
            f"UNION ALL SELECT job, code, t, {tu} AS tu, line, detail FROM extra"
        )
        if suspects:
            con.execute("DELETE FROM intervals WHERE job IN (SELECT job FROM suspect)")
        added = con.execute("SELECT count(*) FROM extra").fetchone()
        if added and added[0]:
            con.execute(
                f"""CREATE TEMP TABLE merged AS
                SELECT job, code, min(first_tu) AS first_tu, max(last_tu) AS last_tu,
                       sum(n) AS n FROM (
                    SELECT * FROM intervals UNION ALL
                    SELECT job, code, min({tu}), max({tu}), count(*) FROM extra
                    GROUP BY job, code)
                GROUP BY job, code"""
            )
            con.execute("DROP TABLE intervals")
            con.execute("ALTER TABLE merged RENAME TO intervals")
        self.rows = sum(item.rows - item.header_row for item in files)

    def _suspects(self) -> list[str]:
        """The job ids SQL read that the Python reader may read otherwise: blank, holding a
        control character, with white space to strip (CSV), or the text of a JSON value that
        is no string (a float, true, an object...). Their lines are read again by it."""
        suspects = []
        for (job,) in _fetch(self.con.execute("SELECT DISTINCT job FROM intervals")):
            if (
                _job_id_problem("job_id", job) is not None
                or job != job.strip()
                or (self.kind == "jsonl" and _JSON_SCALAR.fullmatch(job) is not None)
            ):
                suspects.append(job)
        return suspects

    def _reroute(self) -> None:
        """Hand the lines of suspect jobs to the Python reader: read their text again."""
        con = self.con
        for index, item in enumerate(self.files):
            low, high = item.key_offset, item.key_offset + item.rows
            found = con.execute(
                f"SELECT count(*) FROM obs o SEMI JOIN suspect s ON o.job = s.job "
                f"WHERE o.raw IS NULL AND o.line > {low} AND o.line <= {high}"
            ).fetchone()
            if not found or not found[0]:
                continue
            lines = self._lines_sql(index, item).replace("refused_", "again_refused_")
            con.execute(
                f"""UPDATE obs SET raw = coalesce(again.text, '')
                FROM (SELECT {item.key_offset} + n AS line, text FROM {lines}) again
                WHERE obs.line = again.line AND obs.raw IS NULL
                AND obs.job IN (SELECT job FROM suspect)"""
            )

    def _lines_sql(self, index: int, item: _File) -> str:
        """The file's lines, each with its row number ``n`` (rows DuckDB refuses stored apart)."""
        return (
            f"read_csv({_sql_text(item.read)}, columns = {{'text': 'VARCHAR'}}, "
            "delim = '\\x01', quote = '', escape = '', header = false, auto_detect = false, "
            f"strict_mode = false, new_line = '\\n', max_line_size = {_DUCK_MAX_LINE}, "
            f"buffer_size = {4 * _DUCK_MAX_LINE}, "
            f"store_rejects = true, rejects_scan = 'refused_scan_{index}', "
            f"rejects_table = 'refused_{index}') WITH ORDINALITY AS lines(text, n)"
        )

    def _text(self, index: int, item: _File) -> None:
        """Read one JSON Lines or CSV file into ``obs``: a line SQL reads as its job, code, time
        (and secondary phase); any other with its text in ``raw``, for the Python reader.

        Whether the file needs a clean copy (:func:`_needs_copy`) is found out while DuckDB
        reads it; when it does, what was read is dropped and the copy read instead."""
        dirty: list[bool] = []
        scan = threading.Thread(target=lambda: dirty.append(_needs_copy(item.label)))
        if item.read == item.label:
            scan.start()
        self._insert_lines(index, item)
        if scan.ident is not None:
            scan.join()
        if dirty and dirty[0]:
            self.con.execute(f"DELETE FROM obs WHERE line > {item.key_offset}")
            _clean_copy(item, self.folder, index)
            self._insert_lines(index, item, "again_")

    def _insert_lines(self, index: int, item: _File, prefix: str = "") -> None:
        select = self._csv_select(item) if item.kind == "csv" else self._json_select()
        lines = self._lines_sql(index, item).replace("refused_", f"{prefix}refused_")
        if select is None:  # every line goes to the Python reader
            inner = (
                "SELECT n, text, NULL::VARCHAR AS job, NULL::INTEGER AS code, NULL::DOUBLE AS t, "
                f"NULL::VARCHAR AS detail, false AS fast FROM {lines}"
            )
        else:
            inner = select.replace("{lines}", lines)
        fast = "fast"
        if item.cr_lines:
            fast = f"(fast AND n NOT IN ({','.join(map(str, item.cr_lines))}))"
        skip = "WHERE n > 1" if item.header_row else ""
        # A line SQL did not read keeps its text in raw, and what it made of the line is never
        # read (good rows are those without raw).
        inserted = self.con.execute(
            f"""INSERT INTO obs
            SELECT {item.key_offset} + n, job, code, t, detail,
                   CASE WHEN NOT {fast} THEN coalesce(text, '') END
            FROM ({inner}) {skip}"""
        ).fetchone()
        refused = self.con.execute(
            f"SELECT line, line_byte_position, csv_line FROM {prefix}refused_{index} ORDER BY line"
        ).fetchall()
        item.rows = (int(inserted[0]) if inserted else 0) + item.header_row
        item.shifts, item.unread = [], []
        for line, position, text in refused:
            item.shifts.append(int(line))
            if not (item.header and int(line) == 1):  # a header that is not UTF-8 is one still
                item.unread.append((int(line), int(position) - 1, str(text)))

    def _fast(self, code: str, job: str, detail_ok: str) -> str:
        """SQL: true when SQL read the line (its job, status and time in the common forms)."""
        return (
            f"coalesce({code} IS NOT NULL AND t >= 0 AND t <= {MAX_TIME!r} "
            f"AND {job} IS NOT NULL AND {detail_ok}, false)"
        )

    def _json_select(self) -> str:
        fields = '"job_id":"VARCHAR","status":"VARCHAR","time":"VARCHAR"'
        if self.details:
            fields += ',"secondary_phase":"JSON"'
        spec = _sql_text("{" + fields + "}")
        if self.details:
            # SQL takes a secondary phase that is a JSON string, or none; the Python reader
            # reads any other value.
            raw = "x.secondary_phase::VARCHAR"
            detail = f"CASE WHEN left({raw}, 1) = '\"' THEN json_extract_string({raw}, '$') END"
            detail_ok = f"({raw} IS NULL OR left({raw}, 1) = '\"')"
        else:
            detail, detail_ok = "NULL::VARCHAR", "true"
        joins, code, own = self._status_sql("st", None)
        return f"""
            SELECT n, text, job, {code} AS code, t, detail, st AS status_text, {own} AS own,
                   {self._fast(code, "job", "detail_ok")} AS fast
            FROM (
                SELECT n, text, x.job_id AS job, x.status AS st, {self._time_sql("tr")} AS t,
                       {detail} AS detail, {detail_ok} AS detail_ok
                FROM (
                    SELECT n, text, x, x.time AS tr
                    FROM (
                        SELECT n, text,
                               CASE WHEN json_valid(text)
                                    THEN json_transform(text, {spec}) END AS x
                        FROM {{lines}}))) parsed
            {joins}"""

    def _csv_select(self, item: _File) -> str | None:
        """The CSV file's SELECT; None when every line goes to the Python reader."""
        reader = _CsvReader(ObservationLog(item.label, LogFormat.CSV, self.lifecycle))
        first = item.head.split(b"\n", 1)[0]
        item.header = reader._csv_header(first, 1)
        item.csv = reader
        try:
            first.decode("utf-8")
            item.header_row = item.header and len(first) <= _DUCK_MAX_LINE
        except UnicodeDecodeError:
            item.header_row = False
        columns = reader.csv_columns
        assert columns is not None
        job_col, status_col, time_col, duration_col = columns
        if duration_col >= 0:
            return None  # ModelArts records (create_time, duration): the Python reader's
        if reader.detail_column >= 0:
            # The Python reader strips a secondary phase: SQL takes one with nothing to strip.
            detail = f"cells[{reader.detail_column + 1}]"
            detail_ok = f"coalesce(regexp_full_match(detail, '({_SOLID}(.*{_SOLID})?)?'), true)"
        else:
            detail, detail_ok = "NULL::VARCHAR", "true"
        joins, code, own = self._status_sql("st", None)
        return f"""
            SELECT n, text, job, {code} AS code, t, detail, st AS status_text, {own} AS own,
                   {self._fast(code, "job", detail_ok)} AS fast
            FROM (
                SELECT n, text, job, st, {self._time_sql("tr")} AS t, detail
                FROM (
                    SELECT n, text, cells[{job_col + 1}] AS job, cells[{status_col + 1}] AS st,
                           cells[{time_col + 1}] AS tr, {detail} AS detail
                    FROM (
                        SELECT n, text,
                               CASE WHEN NOT contains(text, '"') AND NOT contains(text, chr(0))
                                    THEN string_split(text, ',') END AS cells
                        FROM {{lines}}))) parsed
            {joins}"""

    def _hand_over(self) -> None:
        """Read the lines SQL left (``raw``) with the Python reader: what it accepts goes to
        ``extra``, what it refuses to ``bad``."""
        con = self.con
        routed = con.execute("SELECT line, raw FROM obs WHERE raw IS NOT NULL ORDER BY line")
        readers: dict[int, _Reader] = {}
        sink = self.sink
        taken: list[tuple[Any, ...]] = []
        refused: list[tuple[Any, ...]] = []
        for key, raw in _fetch(routed):
            item = self._file_of(key)
            reader = readers.get(id(item))
            if reader is None:
                reader = readers[id(item)] = self._reader(item)
            data = raw.encode("utf-8", "surrogatepass")
            if item.originals or item.crs:  # read from a copy: the line as the file has it
                number = self.physical(key) - item.line_offset
                data = item.originals.get(number, data + b"\r" * item.crs.get(number, 0))
            seen, errors = len(sink.jobs), len(sink.errors)
            if len(data) > MAX_LINE:
                reader.too_long(key, _TooLong(len(data), data[:40]))
            else:
                reader.feed([data], key)
            for i in range(seen, len(sink.jobs)):
                detail = sink._detail(i) if sink.details else ""
                job = sink.job_ids[sink.jobs[i]]
                taken.append((key, job, sink.statuses[i], sink.times[i], detail or None))
            for error in sink.errors[errors:]:
                status = None
                if error.problem.startswith("unknown status: "):
                    status = _status_of(item, data)
                refused.append((key, error.problem, status))
            del sink.errors[errors:]
        _insert(con, "extra", taken)
        _insert(con, "bad", refused)
        for item in self.files:
            for line, offset, text in item.unread:
                reader = readers.get(id(item))
                if reader is None:
                    reader = readers[id(item)] = self._reader(item)
                item.refused.append((line, self._unread(reader, item, line, offset, text)))
        if readers:
            self._one_lifecycle()

    def _unread(self, reader: _Reader, item: _File, line: int, offset: int, text: str) -> str:
        """Why the Python reader refuses line ``line`` of ``item``, which DuckDB refused, read
        again from the file at ``offset``."""
        sink = self.sink
        data, length = _line_at(item.read, offset)
        if data is None:  # not where DuckDB said: say it as DuckDB shows it
            return f"not UTF-8 text {text[:40]!r}; expected a line of UTF-8 text"
        data = item.originals.get(line, data + b"\r" * item.crs.get(line, 0))
        errors, seen = len(sink.errors), len(sink.jobs)
        number = item.line_offset + line
        if length > MAX_LINE:
            reader.too_long(number, _TooLong(length, data[:40]))
        else:
            reader.feed([data], number)
        problems = [e.problem for e in sink.errors[errors:]]
        del sink.errors[errors:]
        if len(sink.jobs) > seen or not problems:  # pragma: no cover - DuckDB refuses no line
            return f"not UTF-8 text {text[:40]!r}; expected a line of UTF-8 text"
        return problems[0]

    def _reader(self, item: _File) -> _Reader:
        if item.kind == "csv":
            reader = _CsvReader(self.sink, self.reading)
            assert item.csv is not None
            reader.csv_columns = item.csv.csv_columns
            reader.detail_column = item.csv.detail_column
            return reader
        return _JsonReader(self.sink, False, self.reading)

    def _text_own_sql(self, index: int, item: _File) -> str | None:
        select = self._csv_select(item) if item.kind == "csv" else self._json_select()
        if select is None:
            return None
        lines = self._lines_sql(index, item).replace("refused_", "own_refused_")
        return (
            f"SELECT {item.key_offset} + n, status_text FROM "
            f"({select.replace('{lines}', lines)}) WHERE own AND code IS NOT NULL "
            "ORDER BY n LIMIT 1"
        )
