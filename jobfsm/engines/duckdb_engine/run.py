"""A log's run in one DuckDB connection: what it holds, the SQL that reads statuses and times,
and the numbering of lines (:class:`_RunBase`; the readers and the verdict build on it)."""

from __future__ import annotations

import bisect
import tempfile
from typing import Any, Final

from jobfsm.engines import query
from jobfsm.engines.duckdb_engine.connection import _insert
from jobfsm.engines.duckdb_engine.files import PARQUET, _File
from jobfsm.lifecycle import Lifecycle
from jobfsm.lifecycles import BUILTIN, builtin
from jobfsm.logs import LogFormat
from jobfsm.logs.observations import ObservationLog
from jobfsm.logs.statuses import _StatusReading
from jobfsm.logs.times import MS_THRESHOLD
from jobfsm.validate import Rules
from jobfsm.vocabulary import readable

# An ISO 8601 time in a form every supported Python reads as DuckDB does: a date, hours and
# minutes, optional seconds with 3 or 6 decimals, then Z or an offset.
_ISO_SQL: Final = (
    "[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
    "(:[0-5][0-9](\\.[0-9]{3}|\\.[0-9]{6})?)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?"
)


class _RunBase:
    """One log judged in one DuckDB connection: what its readers and its verdict share."""

    def __init__(
        self,
        con: Any,
        lifecycle: Lifecycle,
        rules: Rules,
        listed: int | None,
        label: str,
        kind: str,
    ) -> None:
        self.con = con
        self.lifecycle = lifecycle
        self.rules = rules
        self.listed = listed
        self.label = label
        self.kind = kind
        self.vocab = lifecycle.statuses.vocabulary
        self.details = bool(self.vocab.details)
        self.files: list[_File] = []
        #: Where the run keeps its files (a file's clean copy).
        self.folder = tempfile.gettempdir()
        #: True when a Parquet file's times are text (read as the Python reader reads them).
        self.text_times = False
        #: Where the report finds the bad lines it lists, and the secondary phases it counts.
        self.listing = "bad"
        self.phases = "good"
        #: The replayed jobs' rows, when a reader has a faster query of them than ``good``'s.
        self.replayed_rows: str | None = None
        #: What the Python reader reads for the engine: its sink and its status reading.
        self.sink = ObservationLog(label, LogFormat.JSONL, lifecycle)
        self.reading = _StatusReading(lifecycle)
        exact, normal = query.spellings(lifecycle)
        others = [v.statuses.vocabulary for n in BUILTIN if (v := builtin(n)) is not None]
        others = [v for v in others if v is not self.vocab]

        def own(key: str) -> bool:
            if key.startswith("#"):
                return not any(v.numeric for v in others)
            return not any(readable(v, key) for v in others)

        for table, rows in (("exact_spelling", exact), ("normal_spelling", normal)):
            con.execute(f"CREATE TEMP TABLE {table} (k VARCHAR, code INTEGER, own BOOLEAN)")
            _insert(con, table, [(k, code, own(k)) for k, code in rows.items()])
        con.execute("CREATE TEMP TABLE moves (source INTEGER, target INTEGER)")
        _insert(con, "moves", [(m.source, m.target) for m in query.moves(lifecycle, rules.mode)])

    def _status_sql(self, text: str, digits: str | None) -> tuple[str, str, str]:
        """The joins that read the status ``text`` (or an integer status's ``digits``), the code
        they find and whether only this lifecycle reads it."""
        normal = query.normalised_status_sql(text, self.vocab.numeric)
        if digits is not None and self.vocab.numeric:
            key = f"CASE WHEN {digits} IS NOT NULL THEN '#' || {digits} ELSE {normal} END"
        else:
            key = normal
        joins = (
            f"LEFT JOIN exact_spelling se ON se.k = {text} "
            f"LEFT JOIN normal_spelling sn ON sn.k = CASE WHEN se.code IS NULL THEN {key} END"
        )
        return joins, "coalesce(se.code, sn.code)", "coalesce(se.own, sn.own, false)"

    @staticmethod
    def _time_sql(text: str) -> str:
        """SQL: the time in epoch seconds of a time ``text`` in a form SQL reads, else NULL.

        The forms: the ISO 8601 of :data:`_ISO_SQL` (its commonest one, milliseconds and Z,
        tested first and most cheaply: DuckDB also reads an hour of 24 or of one digit after a
        space, which Python refuses, and nothing else Python refuses in that shape), or a number
        without a colon (epoch seconds, or milliseconds from 10**11 on), but not of 8
        characters, as ``20260301``, which Python reads as a date."""
        number = f"TRY_CAST({text} AS DOUBLE)"
        return (
            f"CASE WHEN {text} LIKE '____-__-__T__:__:__.___Z' "
            f"AND substr({text}, 12, 2) BETWEEN '00' AND '23' "
            f"THEN epoch_us(TRY_CAST({text} AS TIMESTAMPTZ)) / 1000000.0 "
            f"WHEN NOT contains({text}, ':') AND strlen({text}) <> 8 "
            f"THEN CASE WHEN abs({number}) >= {MS_THRESHOLD} THEN {number} / 1000.0 "
            f"ELSE {number} END "
            f"WHEN regexp_full_match({text}, '{_ISO_SQL}') "
            f"THEN epoch_us(TRY_CAST({text} AS TIMESTAMPTZ)) / 1000000.0 END"
        )

    def _one_lifecycle(self) -> None:
        """Refuse the log whole when it holds words of another built-in lifecycle, as the
        Python checker does (:meth:`_StatusReading.check_one_lifecycle`)."""
        reading = self.reading
        if reading.foreign is None:
            return
        line, value, other, noun = reading.foreign
        reading.foreign = (self.physical(line), value, other, noun)
        if reading.own is not None:
            reading.own = (self.physical(reading.own[0]), reading.own[1])
        first = self._own_line()
        if first is not None and (reading.own is None or first[0] < reading.own[0]):
            reading.own = first
        reading.check_one_lifecycle(self.label)

    def _own_line(self) -> tuple[int, object] | None:
        """The first line SQL read whose status only this lifecycle reads, and its status."""
        found: tuple[int, object] | None = None
        for index, item in enumerate(self.files):
            sql = (
                self._parquet_own_sql() if item.kind == PARQUET else self._text_own_sql(index, item)
            )
            if sql is None:
                continue
            row = self.con.execute(sql).fetchone()
            if row is not None:
                line = self.physical(int(row[0]))
                if found is None or line < found[0]:
                    found = (line, row[1])
        return found

    def _parquet_own_sql(self) -> str:
        """The query of the first row whose status only this lifecycle reads (Parquet)."""
        raise NotImplementedError

    def _text_own_sql(self, index: int, item: _File) -> str | None:
        """The query of the first line whose status only this lifecycle reads (JSON Lines,
        CSV); None when SQL reads no line of the file."""
        raise NotImplementedError

    def _file_of(self, key: int) -> _File:
        offsets = [f.key_offset for f in self.files]
        return self.files[bisect.bisect_left(offsets, key) - 1]

    def physical(self, key: int) -> int:
        """The line number (counting on across files) of the row numbered ``key``."""
        item = self._file_of(key)
        n = key - item.key_offset
        shift = 0
        for i, line in enumerate(item.shifts):
            if line - i - 1 < n:
                shift += 1
            else:
                break
        return item.line_offset + n + shift
