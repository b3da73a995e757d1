"""The verdict on a log read into DuckDB: :class:`_Run` reads it (JSON Lines, CSV or Parquet) and
judges it by the query of :mod:`jobfsm.engines.query`."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Sequence

from jobfsm.engines import query
from jobfsm.engines.duckdb_engine.connection import _fetch
from jobfsm.engines.duckdb_engine.files import PARQUET, _File
from jobfsm.engines.duckdb_engine.parquet import _ParquetReading
from jobfsm.engines.duckdb_engine.report import EngineReport
from jobfsm.engines.duckdb_engine.text import _TextReading
from jobfsm.errors import BadLogLine
from jobfsm.logs import UNFINISHED, LogFormat, LogViolation
from jobfsm.vocabulary import Outcome


class _Run(_TextReading, _ParquetReading):
    """One log judged in one DuckDB connection: its tables, then its report."""

    def load(self, files: Sequence[_File]) -> None:
        """Read every file. Afterwards ``good`` holds the accepted observations (``job``,
        ``code``, ``t``, ``tu``, ``line``, ``detail``), ``intervals`` each job's statuses
        (:func:`~jobfsm.engines.query.judging_sql`) and ``bad`` the bad lines (``line``,
        ``problem``, ``status_text``) but those DuckDB refused itself (in each file's
        ``refused``)."""
        self.files = list(files)
        if self.kind == PARQUET:
            self._parquet()
            return
        self._text_files()

    def report(self) -> EngineReport:
        """Judge ``good`` (:func:`~jobfsm.engines.query.judging_sql`) and report."""
        con = self.con
        rules = self.rules
        cls = self.lifecycle.statuses
        statements = query.judging_sql("good", self.replayed_rows)
        for name in ("sequence", "replayed_jobs"):
            con.execute(statements[name])
        pairs: Counter[tuple[int, int]] = Counter()
        for a, b, n in con.execute(statements["pairs"]).fetchall():
            pairs[(int(a), int(b))] += int(n)
        finals: Counter[int] = Counter()
        for code, n in con.execute(statements["finals"]).fetchall():
            finals[int(code)] += int(n)
        replayed = query.replay(_fetch(con.execute(statements["changes"])), rules)
        if replayed.violations:  # named by the jobs' numbers in replayed_jobs
            names = dict(con.execute("SELECT jid, job FROM replayed_jobs").fetchall())
            for i, (key, time, jid, a, b) in enumerate(replayed.violations):
                replayed.violations[i] = (key, time, names[jid], a, b)
        pairs.update(replayed.pairs)
        finals.update(replayed.finals)
        jobs = sum(finals.values())
        inferred, inferred_statuses, moves = query.tally(pairs.items(), rules)
        found = con.execute("SELECT sum(n) FROM intervals").fetchone()
        observations = int(found[0] or 0) if found else 0
        refused = [(f.line_offset + n, why) for f in self.files for n, why in f.refused]
        lines = self.rows + len(refused)
        outcomes = dict.fromkeys((*(o.value for o in Outcome), UNFINISHED), 0)
        for code, count in finals.items():
            outcome = cls(code).outcome
            outcomes[outcome.value if outcome is not None else UNFINISHED] += count
        listed = self.listed
        met = replayed.violations
        first = sorted(met) if listed is None else heapq.nsmallest(listed, met)
        allowed = self.lifecycle.next_map
        violations = tuple(
            LogViolation(job, self.physical(key), time, cls(a), cls(b), allowed[cls(a)])
            for key, time, job, a, b in first
        )
        limit = "" if listed is None else f"LIMIT {listed}"
        bad = [
            (self.physical(int(key)), problem)
            for key, problem in con.execute(
                f"SELECT line, problem FROM {self.listing} ORDER BY line {limit}"
            ).fetchall()
        ]
        bad = sorted(bad + refused)[:listed]
        unrecognised, mismatched = self._details()
        return EngineReport(
            source=self.label,
            format=LogFormat.AUTO if self.kind == PARQUET else LogFormat(self.kind),
            mode=rules.mode,
            lines=lines,
            observations=observations,
            jobs=jobs,
            conforming=jobs - replayed.violating,
            unfinished=outcomes[UNFINISHED],
            inferred=inferred,
            late=0,
            outcomes=outcomes,
            violations=violations,
            errors=tuple(BadLogLine(self.label, line, problem) for line, problem in bad),
            rejected=lines - observations,
            violation_count=len(met),
            inferred_statuses=inferred_statuses,
            moves=moves,
            lifecycle=self.lifecycle.name,
            unrecognised_details=unrecognised,
            mismatched_details=mismatched,
            input_format=self.kind,
        )

    def _details(self) -> tuple[dict[str, int], dict[str, int]]:
        """Secondary phases the lifecycle does not declare, and those seen with another phase
        than their own (``Phase/secondary``), counted, in order of their first line."""
        unrecognised: dict[str, int] = {}
        mismatched: dict[str, int] = {}
        if not self.details:
            return unrecognised, mismatched
        declared = self.vocab.details
        cls = self.lifecycle.statuses
        if self.phases != "good":  # each job's good rows counted by status and phase
            total, first, where = "sum(n)", "min(first_line)", "n > 0 AND "
        else:
            total, first, where = "count(*)", "min(line)", ""
        for code, detail, count in self.con.execute(
            f"SELECT code, detail, {total} FROM {self.phases} "
            f"WHERE {where}detail IS NOT NULL AND detail <> '' "
            f"GROUP BY code, detail ORDER BY {first}"
        ).fetchall():
            with_status = declared.get(detail)
            if with_status is None:
                unrecognised[detail] = unrecognised.get(detail, 0) + int(count)
            elif cls(code) not in with_status:
                key = f"{cls(code).name}/{detail}"
                mismatched[key] = mismatched.get(key, 0) + int(count)
        return unrecognised, mismatched
