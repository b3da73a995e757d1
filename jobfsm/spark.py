"""Judging a status log held in a Spark DataFrame: :func:`check`, for logs bigger than one machine.

Needs the ``pyspark`` extra (``pip install 'jobfsm[pyspark]'``) and Java (Debian's
``default-jre-headless``, what ``make java`` installs). The user's DataFrame has one row per
observation: a job, a status (codes or names) and a time, and optionally a line number.

How it judges:

1. Each row is read as the log readers read a line: the status through a spelling → code lookup
   built from the lifecycle's vocabulary (exact spellings, then the upper-cased one with
   surrounding whitespace stripped, then, where the lifecycle reports codes, a string of digits)
   and broadcast with the plan; the time as epoch seconds (a timestamp column as it is, numbers
   as seconds or, from 10**11 on, milliseconds, strings by :func:`jobfsm.logs.parse_time`
   itself); the job id as text. A row whose id, status or time cannot be read is a **bad row**.
2. A window over each job, ordered by ``(time, line)``, numbers its rows.
3. A grouped map (``applyInPandas`` when pandas and pyarrow are installed, else ``mapPartitions``
   over the rows sorted by job and number) walks each job's rows in that order with the table of
   :class:`jobfsm.validate.Rules` for the lifecycle and mode, the table the Python checker uses:
   the first row sets the status unjudged; a status equal to the row before is a repeat, whatever
   its verdict was; any other is a move, an inferred chain (polled mode) or a violation, which
   leaves the job where it was.

Where the verdicts coincide with :func:`jobfsm.logs.scan_log` (and ``jobfsm check``): for every
job whose rows, taken in line order, have times that never go back (each at or after the one
before it), both give the same violations (line, source, target), the same final status and
outcome, and the same inferred jumps; so the summary's ``jobs``, ``conforming``, ``violating``,
``unfinished``, ``outcomes``, ``inferred``, ``inferred_statuses`` and ``violation_count`` are
the same for a log whose jobs all have such rows, and ``observations`` and ``rejected`` for any
log whose bad rows are bad lines there too.

Where they differ, and why:

- **Order.** The streaming checker judges a job's lines in file order and counts a line older
  than the job's last applied one as *late*, unjudged: a live tracker cannot wait for the past.
  Spark has the whole log, so it judges every row at its place in time; ``late`` is always 0 and
  ``reordered`` counts instead the rows with a time before that of an earlier line of their job
  (None without a ``line`` column). A job with such rows may get other verdicts than in file
  order: that is the point of sorting them.
- **Equal times.** They are judged in line order; without a ``line`` column, in order of status
  code (a DataFrame has no order of its own, and the verdict must not depend on partitioning).
- **Bad rows** are counted and listed by line with a short reason, not the reader's full message
  (closest names and hints). Reading a DataFrame never refuses it whole: a status of another
  built-in lifecycle is one bad row, not an unreadable log, and the lifecycle is never detected
  (the default is ModelArts v1). Secondary phases are not read.
- **Ids** are read as text, so 42 and "42" are one job, as in the readers; a blank id, or one
  holding a control character, is a bad row.

The parity is tested (tests/test_spark.py) on simulated logs of every built-in lifecycle, with
faults, and on small adversarial ones.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from jobfsm.errors import BadLogLine, InvalidArgument, InvalidTime, MissingExtra, MissingJava
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle, _as_lifecycle
from jobfsm.logs.detect import LogFormat
from jobfsm.logs.judge import DEFAULT_LISTED, UNFINISHED, LogReport, LogViolation
from jobfsm.logs.times import MAX_TIME, MIN_TIME, MS_THRESHOLD, parse_time
from jobfsm.validate import VIOLATION, Mode, Rules, StepKind
from jobfsm.vocabulary import Outcome

try:
    from pyspark.sql import Column, DataFrame, SparkSession, Window
    from pyspark.sql import functions as F  # noqa: N812 - as Spark's own documentation names it
    from pyspark.sql import types as T  # noqa: N812
except ImportError as exc:  # pragma: no cover - exercised with the extra uninstalled
    raise MissingExtra("Spark checking (jobfsm.spark)", "pyspark", "pyspark") from exc

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SparkReport", "check", "local_session"]

#: What Python's str.strip() strips (whitespace by Unicode's bidirectional class or category
#: Zs), as a Java regular expression class: Spark's trim() strips spaces only.
_SPACE: Final = (
    "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f"
    "\\u205f\\u3000]"
)
_CONTROL: Final = "[\\x00-\\x1f\\x7f]"

#: A table cell for a pair: the move kinds as small ints (executors get no Step objects).
_MOVE: Final = 0
_REFUSED: Final = -1

#: One row per job out of the grouped map.
_VIOLATION_TYPE: Final = T.StructType(
    [
        T.StructField("line", T.LongType()),
        T.StructField("time", T.DoubleType()),
        T.StructField("source", T.IntegerType()),
        T.StructField("target", T.IntegerType()),
    ]
)
_JOB_TYPE: Final = T.StructType(
    [
        T.StructField("job_id", T.StringType()),
        T.StructField("observations", T.LongType()),
        T.StructField("final", T.IntegerType()),
        T.StructField("inferred", T.LongType()),
        T.StructField("inferred_statuses", T.LongType()),
        T.StructField("reordered", T.LongType()),
        T.StructField("violations", T.ArrayType(_VIOLATION_TYPE)),
    ]
)


def _java() -> str | None:
    """The java binary Spark will start: JAVA_HOME's, else the one on PATH."""
    home = os.environ.get("JAVA_HOME")
    if home:
        found = os.path.join(home, "bin", "java")
        if os.access(found, os.X_OK):
            return found
    return shutil.which("java")


def local_session(cores: int = 2) -> SparkSession:
    """A Spark session on this machine (``local[cores]``): small shuffles, no UI, quiet logs,
    times in UTC, its Python workers run by this interpreter.

    Raises:
        MissingJava: no Java to run Spark (neither ``JAVA_HOME`` nor ``java`` on PATH).
    """
    java = _java()
    if java is None:
        raise MissingJava("Spark checking (jobfsm.spark)")
    if not os.environ.get("JAVA_HOME"):
        os.environ["JAVA_HOME"] = os.path.dirname(os.path.dirname(os.path.realpath(java)))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    quiet = os.path.join(tempfile.gettempdir(), "jobfsm-spark-log4j2.properties")
    with open(quiet, "w", encoding="utf-8") as out:
        out.write("rootLogger.level = error\nrootLogger.appenderRef.stderr.ref = console\n")
        out.write("appender.console.type = Console\nappender.console.name = console\n")
        out.write("appender.console.target = SYSTEM_ERR\n")
        out.write("appender.console.layout.type = PatternLayout\n")
        out.write("appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n\n")
    # The driver's JVM starts with these options (set in the builder they come too late).
    os.environ.setdefault(
        "PYSPARK_SUBMIT_ARGS",
        f"--driver-java-options -Dlog4j2.configurationFile=file:{quiet} pyspark-shell",
    )
    session = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName("jobfsm check")
        .config("spark.sql.shuffle.partitions", str(2 * cores))
        .config("spark.default.parallelism", str(2 * cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _lookup(lifecycle: Lifecycle) -> dict[str, int]:
    """Every spelling the lifecycle reads, keyed as :func:`_status_code` looks them up:
    ``=`` and the exact text, ``^`` and the upper-cased text, ``#`` and a code."""
    vocab = lifecycle.statuses.vocabulary
    found: dict[str, int] = {}
    for key, member in vocab.by_value.items():
        if isinstance(key, str):
            found["=" + key] = int(member)
        elif isinstance(key, int) and vocab.numeric:
            found[f"#{key}"] = int(member)
    for text, member in vocab.by_text.items():
        found["^" + text] = int(member)
    return found


def _status_code(column: Column, dtype: T.DataType, lifecycle: Lifecycle) -> Column:
    """The status code of each row, or null: :meth:`Status.parse` as a lookup in a map."""
    numeric = lifecycle.statuses.vocabulary.numeric
    table = F.create_map(
        *itertools.chain.from_iterable(
            (F.lit(k), F.lit(v)) for k, v in sorted(_lookup(lifecycle).items())
        )
    )
    if isinstance(dtype, T.BooleanType):
        return F.lit(None).cast("int")
    if isinstance(dtype, (T.IntegerType, T.LongType, T.ShortType, T.ByteType)):
        if not numeric:
            return F.lit(None).cast("int")
        return table[F.concat(F.lit("#"), column.cast("string"))]
    text = column.cast("string")
    stripped = F.regexp_replace(text, f"^{_SPACE}+|{_SPACE}+$", "")
    exact = table[F.concat(F.lit("="), text)]
    by_text = table[F.concat(F.lit("^"), F.upper(stripped))]
    if not numeric:
        return F.coalesce(exact, by_text)
    digits = F.regexp_replace(stripped, "^0+", "")
    code = table[F.concat(F.lit("#"), F.when(digits == "", "0").otherwise(digits))]
    is_digits = stripped.rlike("^[0-9]+$")
    return F.coalesce(
        exact, F.when(is_digits, F.when(F.length(digits) <= 6, code)).otherwise(by_text)
    )


def _read_time(value: str | None) -> tuple[float | None, str | None]:
    """A time string as parse_time reads it: (seconds, None), or (None, why not)."""
    if value is None:
        return None, None
    try:
        return parse_time(value), None
    except InvalidTime as exc:
        return None, exc.message


_TIME_TYPE: Final = T.StructType(
    [T.StructField("t", T.DoubleType()), T.StructField("problem", T.StringType())]
)


def _epoch_seconds(column: Column, dtype: T.DataType) -> tuple[Column, Column]:
    """Each row's time as epoch seconds, and why it cannot be read (null when it can)."""
    if isinstance(dtype, (T.TimestampType, T.TimestampNTZType, T.DateType)):
        seconds = F.unix_micros(column.cast("timestamp")) / 1e6
    elif isinstance(dtype, T.NumericType):
        number = column.cast("double")
        finite = ~F.isnan(number) & (F.abs(number) != math.inf)
        seconds = F.when(
            finite, F.when(F.abs(number) >= MS_THRESHOLD, number / 1000.0).otherwise(number)
        )
    elif isinstance(dtype, T.StringType):
        # A lambda: a function with type hints would be taken for an Arrow UDF.
        read = F.udf(lambda value: _read_time(value), _TIME_TYPE)(column)
        problem = F.when(column.isNull(), F.lit("no time")).otherwise(read["problem"])
        return read["t"], problem
    else:
        return F.lit(None).cast("double"), F.lit(f"a time cannot be of type {dtype.simpleString()}")
    inside = (seconds >= MIN_TIME) & (seconds <= MAX_TIME)
    problem = F.when(column.isNull(), F.lit("no time")).when(
        seconds.isNull() | ~inside, F.concat(F.lit("time out of range: "), column.cast("string"))
    )
    return F.when(inside, seconds), problem


def _prepared(
    df: DataFrame, lifecycle: Lifecycle, job: str, status: str, time: str, line: str | None
) -> DataFrame:
    """Every row read: job_id, code, t, line, and problem (null for a good row)."""
    for name in (job, status, time, line):
        if name is not None and name not in df.columns:
            raise InvalidArgument(
                "column", name, f"a column of the DataFrame ({', '.join(df.columns)})"
            )
    types = {f.name: f.dataType for f in df.schema.fields}
    job_id = df[job].cast("string")
    code = _status_code(df[status], types[status], lifecycle)
    seconds, time_problem = _epoch_seconds(df[time], types[time])
    number = df[line].cast("long") if line is not None else F.lit(None).cast("long")
    problem = (
        F.when(job_id.isNull(), F.lit("no job_id"))
        .when(job_id.rlike(f"^{_SPACE}*$"), F.lit("job_id is blank"))
        .when(job_id.rlike(_CONTROL), F.lit("job_id holds a control character"))
        .when(df[status].isNull(), F.lit("no status"))
        .when(
            code.isNull(),
            F.concat(F.lit(f"unknown {lifecycle.name} status: "), df[status].cast("string")),
        )
        .otherwise(time_problem)
    )
    return df.select(
        job_id.alias("job_id"),
        code.alias("code"),
        seconds.alias("t"),
        number.alias("line"),
        problem.alias("problem"),
    )


def _tables(rules: Rules) -> tuple[list[list[int]], list[list[int]]]:
    """The rules as plain ints for the executors: per pair, _MOVE, _REFUSED or how many statuses
    an inferred chain skips (1 or more); and per status, the declared moves from it."""
    kinds = [
        [
            _REFUSED
            if step is VIOLATION
            else len(step.skipped)
            if step.kind is StepKind.INFERRED
            else _MOVE
            for step in row
        ]
        for row in rules.table
    ]
    allowed = [[] for _ in rules.table]  # type: list[list[int]]
    for source, targets in rules.lifecycle.next_map.items():
        allowed[int(source)] = sorted(int(t) for t in targets)
    return kinds, allowed


def _walk(
    job_id: str,
    codes: list[int],
    times: list[float],
    lines: list[int | None],
    reordered: int,
    kinds: list[list[int]],
) -> tuple[Any, ...]:
    """One job's rows in (time, line) order, judged as the streaming checker judges a job whose
    lines are in time order (the module docs): one output row."""
    current = seen = codes[0]
    inferred = skipped = 0
    violations = []
    for index in range(1, len(codes)):
        target = codes[index]
        if target == seen:
            continue  # a repeat of the row before, whatever its verdict was
        seen = target
        if target == current:
            continue
        kind = kinds[current][target]
        if kind == _REFUSED:
            violations.append((lines[index], times[index], current, target))
            continue
        if kind > 0:
            inferred += 1
            skipped += kind
        current = target
    return (job_id, len(codes), current, inferred, skipped, reordered, violations)


def _judged_pandas(kinds: list[list[int]]) -> Any:
    import pandas as pd

    def judge(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.sort_values("seq")
        lines = [None if pd.isna(n) else int(n) for n in rows["line"]]
        found = _walk(
            str(rows["job_id"].iloc[0]),
            [int(c) for c in rows["code"]],
            [float(t) for t in rows["t"]],
            lines,
            int(rows["behind"].sum()),
            kinds,
        )
        violations = [{"line": n, "time": t, "source": a, "target": b} for n, t, a, b in found[-1]]
        return pd.DataFrame([(*found[:-1], violations)], columns=_JOB_TYPE.fieldNames())

    return judge


def _judged_partitions(kinds: list[list[int]]) -> Any:
    def judge(rows: Iterable[Any]) -> Iterator[tuple[Any, ...]]:
        for job_id, group in itertools.groupby(rows, key=lambda row: row["job_id"]):
            found = list(group)
            yield _walk(
                job_id,
                [row["code"] for row in found],
                [row["t"] for row in found],
                [row["line"] for row in found],
                sum(row["behind"] for row in found),
                kinds,
            )

    return judge


def _has_arrow() -> bool:
    try:
        import pandas  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class SparkReport:
    """The judgment of a DataFrame of observations (the module docs say how it compares with
    :class:`~jobfsm.logs.LogReport`, whose fields it shares).

    Attributes:
        lifecycle, mode: what judged it.
        jobs_frame: one row per job: ``job_id``, ``observations``, ``final`` (code), ``inferred``,
            ``inferred_statuses``, ``reordered`` and ``violations`` (an array of ``line``,
            ``time``, ``source``, ``target``); cached.
        bad_rows: the rows that could not be read: ``line``, ``job_id`` and ``problem``.
        summary: the counts: ``observations``, ``rejected``, ``jobs``, ``conforming``,
            ``violating``, ``unfinished``, ``inferred``, ``inferred_statuses``,
            ``violation_count``, ``reordered`` (None without a line column) and ``outcomes``.
    """

    lifecycle: Lifecycle
    mode: Mode
    jobs_frame: DataFrame
    bad_rows: DataFrame
    summary: dict[str, Any]
    has_lines: bool

    @property
    def violations(self) -> DataFrame:
        """Every violation: ``job_id``, ``line``, ``time``, ``source``, ``target`` (codes) and
        ``allowed`` (the declared moves from ``source``)."""
        _, allowed = _tables(Rules.for_lifecycle(self.lifecycle, self.mode))
        moves = F.create_map(
            *itertools.chain.from_iterable(
                (F.lit(code), F.array(*[F.lit(t) for t in targets]).cast("array<int>"))
                for code, targets in enumerate(allowed)
            )
        )
        found = self.jobs_frame.select("job_id", F.explode("violations").alias("v"))
        return found.select(
            "job_id",
            "v.line",
            "v.time",
            "v.source",
            "v.target",
            moves[F.col("v.source")].alias("allowed"),
        )

    @property
    def ok(self) -> bool:
        """True when every job conforms and every row was read."""
        return not self.summary["violation_count"] and not self.summary["rejected"]

    def to_log_report(
        self,
        source: str = "<DataFrame>",
        fmt: LogFormat = LogFormat.AUTO,
        listed: int | None = DEFAULT_LISTED,
        lines: int | None = None,
    ) -> LogReport:
        """The judgment as a :class:`~jobfsm.logs.LogReport`, with the first ``listed``
        violations and bad rows (in line order, then time), what ``jobfsm check`` prints;
        ``late`` is 0 (rows are judged in time order) and ``moves`` is empty."""
        cls = self.lifecycle.statuses
        order = ["line", "time", "job_id"] if self.has_lines else ["time", "job_id", "source"]
        found = self.violations.orderBy(*order)
        kept = found.collect() if listed is None else found.limit(listed).collect()
        next_map = self.lifecycle.next_map
        violations = tuple(
            LogViolation(
                row["job_id"],
                row["line"] if row["line"] is not None else 0,
                row["time"],
                cls(row["source"]),
                cls(row["target"]),
                next_map[cls(row["source"])],
            )
            for row in kept
        )
        bad = self.bad_rows.orderBy("line")
        bad_kept = bad.collect() if listed is None else bad.limit(listed).collect()
        errors = tuple(
            BadLogLine(source, row["line"] if row["line"] is not None else 0, row["problem"])
            for row in bad_kept
        )
        s = self.summary
        return LogReport(
            source=source,
            format=fmt,
            mode=self.mode,
            lines=s["observations"] + s["rejected"] if lines is None else lines,
            observations=s["observations"],
            jobs=s["jobs"],
            conforming=s["conforming"],
            unfinished=s["unfinished"],
            inferred=s["inferred"],
            late=0,
            outcomes=dict(s["outcomes"]),
            violations=violations,
            errors=errors,
            rejected=s["rejected"],
            violation_count=s["violation_count"],
            inferred_statuses=s["inferred_statuses"],
            moves=Counter(),
            lifecycle=self.lifecycle.name,
        )

    def to_dict(self, max_errors: int | None = DEFAULT_LISTED) -> dict[str, Any]:
        """:meth:`LogReport.to_dict <jobfsm.logs.LogReport.to_dict>` of :meth:`to_log_report`,
        with ``engine`` ("spark") and ``reordered`` added."""
        found = self.to_log_report(listed=max_errors).to_dict(max_errors)
        found["engine"] = "spark"
        found["reordered"] = self.summary["reordered"]
        return found


def check(
    df: DataFrame,
    lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
    mode: Mode | str = Mode.POLLED,
    *,
    job: str = "job_id",
    status: str = "status",
    time: str = "time",
    line: str | None = None,
    grouped: str = "auto",
) -> SparkReport:
    """Judge every job of a DataFrame of observations (the rule and how it compares with
    :func:`jobfsm.logs.scan_log` are in the module docs).

    Args:
        df: one row per observation.
        lifecycle: the rules (ModelArts v1 by default); a TOML lifecycle is read on the driver,
            the executors get its tables only.
        mode: ``polled`` (default: a poller misses statuses) or ``strict``.
        job, status, time: the columns holding them; statuses as codes or names, times as
            timestamps, epoch numbers or text.
        line: a column of line numbers: equal times are judged in its order, violations and bad
            rows are reported by it, and ``reordered`` is counted.
        grouped: ``"pandas"`` (applyInPandas), ``"partitions"`` (mapPartitions over sorted rows)
            or ``"auto"``: pandas when pandas and pyarrow are installed.

    Raises:
        InvalidArgument: a column is not in ``df``, or ``grouped`` is none of those.
        UnknownMode: ``mode`` is not a mode.
    """
    lifecycle = _as_lifecycle(lifecycle)
    rules = Rules.for_lifecycle(lifecycle, mode)
    if grouped not in ("auto", "pandas", "partitions"):
        raise InvalidArgument("grouped", grouped, "'auto', 'pandas' or 'partitions'")
    if grouped == "auto":
        grouped = "pandas" if _has_arrow() else "partitions"
    rows = _prepared(df, lifecycle, job, status, time, line)
    good = rows.filter(F.col("problem").isNull()).drop("problem")
    by_job = Window.partitionBy("job_id")
    ordered = by_job.orderBy("t", "line", "code")
    good = good.withColumn("seq", F.row_number().over(ordered))
    if line is not None:
        before = by_job.orderBy("line", "t").rowsBetween(Window.unboundedPreceding, -1)
        good = good.withColumn(
            "behind", F.coalesce((F.col("t") < F.max("t").over(before)).cast("long"), F.lit(0))
        )
    else:
        good = good.withColumn("behind", F.lit(0).cast("long"))
    kinds, _ = _tables(rules)
    if grouped == "pandas":
        jobs = good.groupBy("job_id").applyInPandas(_judged_pandas(kinds), schema=_JOB_TYPE)
    else:
        ordered_rows = good.repartition("job_id").sortWithinPartitions("job_id", "seq")
        judged = ordered_rows.rdd.mapPartitions(_judged_partitions(kinds))
        jobs = df.sparkSession.createDataFrame(judged, schema=_JOB_TYPE)
    jobs = jobs.cache()
    summary = _summary(jobs, rows, lifecycle)
    if line is None:
        summary["reordered"] = None
    bad = rows.filter(F.col("problem").isNotNull()).select("line", "job_id", "problem")
    return SparkReport(lifecycle, rules.mode, jobs, bad, summary, line is not None)


def _summary(jobs: DataFrame, rows: DataFrame, lifecycle: Lifecycle) -> dict[str, Any]:
    """The counts of :class:`SparkReport`, from one aggregation per frame."""
    per_final = jobs.groupBy("final").agg(
        F.count("*").alias("jobs"),
        F.sum((F.size("violations") == 0).cast("long")).alias("conforming"),
        F.sum("observations").alias("observations"),
        F.sum("inferred").alias("inferred"),
        F.sum("inferred_statuses").alias("inferred_statuses"),
        F.sum(F.size("violations")).alias("violation_count"),
        F.sum("reordered").alias("reordered"),
    )
    keys = ("jobs", "conforming", "observations", "inferred", "inferred_statuses")
    summary: dict[str, Any] = dict.fromkeys((*keys, "violation_count", "reordered"), 0)
    outcomes = dict.fromkeys((*(o.value for o in Outcome), UNFINISHED), 0)
    cls = lifecycle.statuses
    for row in per_final.collect():
        for key in summary:
            summary[key] += int(row[key])
        outcome = cls(row["final"]).outcome
        outcomes[outcome.value if outcome is not None else UNFINISHED] += int(row["jobs"])
    summary["rejected"] = rows.filter(F.col("problem").isNotNull()).count()
    summary["violating"] = summary["jobs"] - summary["conforming"]
    summary["unfinished"] = outcomes[UNFINISHED]
    summary["outcomes"] = outcomes
    return summary


def read_log_frame(
    session: SparkSession, path: str, fmt: LogFormat, lifecycle: Lifecycle | None = None
) -> tuple[DataFrame, LogFormat, Lifecycle]:
    """A JSON Lines or CSV log file as a DataFrame of text columns ``job_id``, ``status``,
    ``time`` and ``line`` (from 1, as the readers number lines), read by Spark's own text,
    JSON and CSV parsers; with the format and lifecycle it is read in.

    The file's first MiB is looked at on the driver, as the log readers look at it: a file that is
    no log at all is refused, ``auto`` names the format, and a lifecycle of None is detected.

    Raises:
        UnreadableLog: the file cannot be read, or is no log at all (the log package's docs).
        InvalidArgument: ``fmt`` is ModelArts records (read them with the Python checker).
    """
    import csv

    from jobfsm.errors import UnreadableLog
    from jobfsm.logs.detect import _check_head
    from jobfsm.logs.sources import _choose_lifecycle

    if fmt is LogFormat.MODELARTS:
        raise InvalidArgument(
            "fmt", fmt.value, "jsonl, csv or auto: Spark reads no ModelArts records"
        )
    try:
        with open(path, "rb") as stream:
            head, fmt = _check_head(stream.read(1 << 20), fmt, path, stream.read, None)
    except OSError as exc:
        raise UnreadableLog(path, exc.strerror or str(exc)) from None
    if lifecycle is None:
        lifecycle = _choose_lifecycle(head, fmt, path)[0]
    text = session.read.text(path)
    numbered = text.rdd.zipWithIndex().map(lambda pair: (pair[0][0], pair[1] + 1))
    rows = session.createDataFrame(numbered, "value string, line long").withColumn(
        "value", F.regexp_replace("value", "^\ufeff|\r$", "")
    )
    if fmt is LogFormat.CSV:
        first = head.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r")
        cells = [c.strip().lower() for c in next(csv.reader([first]), [])]
        header = "job_id" in cells
        where = [cells.index(k) for k in ("job_id", "status", "time")] if header else [0, 1, 2]
        width = max(len(cells), 3)
        schema = ", ".join(f"c{i} string" for i in range(width))
        options = {"ignoreLeadingWhiteSpace": "true", "ignoreTrailingWhiteSpace": "true"}
        if header:
            rows = rows.filter(F.col("line") > 1)
        parsed = rows.select(F.from_csv("value", schema, options).alias("r"), "line")
        fields = [F.col(f"r.c{i}") for i in where]
    else:
        schema = "job_id string, status string, time string, _corrupt string"
        options = {"columnNameOfCorruptRecord": "_corrupt", "allowSingleQuotes": "false"}
        parsed = rows.select(F.from_json("value", schema, options).alias("r"), "line")
        fine = F.col("r._corrupt").isNull()
        fields = [F.when(fine, F.col(f"r.{k}")) for k in ("job_id", "status", "time")]
    frame = parsed.select(
        *(f.alias(k) for f, k in zip(fields, ("job_id", "status", "time"), strict=True)), "line"
    )
    return frame, fmt, lifecycle


def check_file(
    path: str,
    fmt: LogFormat | str,
    mode: Mode | str,
    lifecycle: Lifecycle | None = None,
    listed: int | None = DEFAULT_LISTED,
) -> tuple[LogReport, int]:
    """``jobfsm check --engine spark``: a log file judged by :func:`check` in a
    :func:`local_session`, as a LogReport (see :meth:`SparkReport.to_log_report`) with the
    number of reordered rows."""
    from jobfsm.logs.detect import _log_format

    session = local_session()
    frame, found, lifecycle = read_log_frame(session, path, _log_format(fmt), lifecycle)
    report = check(frame, lifecycle, mode, line="line")
    return report.to_log_report(path, found, listed), int(report.summary["reordered"])
