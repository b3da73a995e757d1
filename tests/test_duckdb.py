"""The DuckDB engine against the streaming checker, as :mod:`jobfsm.engines.query` documents them:
the query's report on a log is the checker's report on the log sorted by time (line numbers of
the original lines, no late lines), and for a log whose jobs are each in time order the two
reports are the same. Plus what the engine reads (Parquet, globs, directories), its memory limit
and ``jobfsm check --engine duckdb``."""

from __future__ import annotations

import json
import sys
from array import array
from pathlib import Path
from typing import Any

import pytest
from conftest import unavailable
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobfsm import Simulation
from jobfsm.cli import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from jobfsm.engines import query
from jobfsm.engines.duckdb_engine import connection
from jobfsm.engines.duckdb_engine import parquet as parquet_reading
from jobfsm.errors import MissingExtra, UnreadableLog
from jobfsm.lifecycle import Lifecycle
from jobfsm.lifecycles import BUILTIN, EXAMPLES, builtin, get_lifecycle
from jobfsm.logs import LogReport, ObservationLog, check_log, read_log, scan_log
from jobfsm.simulate import write_log
from jobfsm.validate import REPEAT, VIOLATION, Rules

LIFECYCLES: list[Lifecycle] = [
    *(lc for name in BUILTIN if (lc := builtin(name)) is not None),
    get_lifecycle(EXAMPLES["slurm"]),
]
IDS = [lc.name for lc in LIFECYCLES]


@pytest.fixture(scope="module")
def engine() -> Any:
    """The DuckDB engine (its tests fail in CI without duckdb, and are skipped elsewhere)."""
    try:
        import duckdb  # noqa: F401
    except ImportError:
        unavailable("duckdb is not installed; run: pip install 'jobfsm[duckdb]'")
    from jobfsm.engines import duckdb_engine

    return duckdb_engine


def time_sorted(log: ObservationLog, mode: str, lifecycle: Lifecycle) -> LogReport:
    """The streaming checker's report on ``log`` with its lines sorted by time (stably: equal
    times keep file order), each keeping its line number: the query's documented verdict."""
    order = sorted(range(len(log)), key=log.times.__getitem__)
    ordered = ObservationLog(log.source, log.format, log.lifecycle)
    ordered.job_ids = log.job_ids
    ordered.jobs = array("i", (log.jobs[i] for i in order))
    ordered.statuses = array("b", (log.statuses[i] for i in order))
    ordered.times = array("d", (log.times[i] for i in order))
    ordered.lines = array("q", (log.lines[i] for i in order))
    ordered.errors = log.errors
    ordered.lines_read = log.lines_read
    ordered.detail_names = log.detail_names
    ordered.unrecognised_details = log.unrecognised_details
    ordered.mismatched_details = log.mismatched_details
    return check_log(ordered, mode, lifecycle=lifecycle)


def verdict(report: LogReport) -> dict[str, Any]:
    """Everything both reports must agree on: counts, moves, every violation and bad line."""
    found = report.to_dict()
    for key in ("source", "format", "violations", "errors", "late"):
        found.pop(key)
    found["violation_list"] = sorted(
        (v.line, v.job_id, v.time, int(v.source), int(v.target)) for v in report.violations
    )
    found["bad_lines"] = sorted(e.line for e in report.errors)
    found["moves"] = {(int(a), int(b)): n for (a, b), n in report.moves.items() if n}
    return found


def reference(path: Path, mode: str, lifecycle: Lifecycle, fmt: str = "auto") -> dict[str, Any]:
    """The verdict the DuckDB engine must give on ``path``."""
    return verdict(time_sorted(read_log(path, fmt, lifecycle=lifecycle), mode, lifecycle))


def duck(engine: Any, path: Path, mode: str, lifecycle: Lifecycle, **kw: Any) -> dict[str, Any]:
    return verdict(engine.check(path, mode=mode, lifecycle=lifecycle, listed=None, **kw))


# -- the tables ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=IDS)
@pytest.mark.parametrize("mode", ["strict", "polled"])
def test_moves_are_the_pairs_the_rules_accept(lifecycle: Lifecycle, mode: str) -> None:
    """The moves table holds exactly the pairs the checker's table accepts, with their chains."""
    table = Rules.for_lifecycle(lifecycle, mode).table
    accepted = {
        (a, b): step
        for a, row in enumerate(table)
        for b, step in enumerate(row)
        if step is not VIOLATION and step is not REPEAT
    }
    found = {(m.source, m.target): m for m in query.moves(lifecycle, mode)}
    assert set(found) == set(accepted)
    for pair, move in found.items():
        assert move.kind == accepted[pair].kind.value
        assert move.skipped == tuple(int(s) for s in accepted[pair].skipped)


def test_whitespace_is_what_str_strip_strips() -> None:
    assert "".join(c for c in map(chr, range(0x110000)) if c.isspace()) == query.WHITESPACE


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=IDS)
def test_every_spelling_reads_as_the_lifecycle_reads_it(lifecycle: Lifecycle) -> None:
    """Each key of the spellings table is a value the lifecycle parses to that code."""
    exact, normal = query.spellings(lifecycle)
    for key, code in exact.items():
        assert int(lifecycle.parse(key)) == code
    for key, code in normal.items():
        assert int(lifecycle.parse(key.lstrip("#"))) == code


# -- simulated fleets ---------------------------------------------------------------------------


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=IDS)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_fleet_in_time_order_is_judged_as_the_checker_judges_it(
    engine: Any, tmp_path: Path, lifecycle: Lifecycle, fmt: str
) -> None:
    """Without late lines (every job's lines in time order) the reports are the same, to the
    JSON (but the messages of bad lines, which are the Python reader's too here)."""
    path = tmp_path / f"fleet.{fmt}"
    write_log(path, Simulation(60, seed=5, fmt=fmt, lifecycle=lifecycle))
    for mode in ("polled", "strict"):
        python = scan_log(path, mode=mode, lifecycle=lifecycle, listed=None).to_dict()
        ours = engine.check(path, mode=mode, lifecycle=lifecycle, listed=None).to_dict()
        assert ours == python


@pytest.mark.parametrize("lifecycle", LIFECYCLES, ids=IDS)
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_faulty_fleet_is_judged_as_the_checker_judges_it_sorted_by_time(
    engine: Any, tmp_path: Path, lifecycle: Lifecycle, fmt: str
) -> None:
    """With illegal moves, bad lines, unknown statuses and late lines, the engine's report is the
    checker's on the log sorted by time; every bad line is the one the checker refuses, with
    its message."""
    path = tmp_path / f"fleet.{fmt}"
    write_log(path, Simulation(80, seed=9, faults=0.05, fmt=fmt, lifecycle=lifecycle))
    for mode in ("polled", "strict"):
        assert duck(engine, path, mode, lifecycle) == reference(path, mode, lifecycle)
    python = scan_log(path, lifecycle=lifecycle, listed=None)
    ours = engine.check(path, lifecycle=lifecycle, listed=None)
    assert [(e.line, e.problem) for e in ours.errors] == [
        (e.line, e.problem) for e in python.errors
    ]
    assert ours.late == 0 < python.late


def parquet(engine: Any, source: Path, out: Path, sql: str) -> Path:
    """``source`` (JSON Lines) written as Parquet by DuckDB, each line a row as ``sql`` makes it
    from the columns job_id, status, time (text, NULL in a line that is no JSON object)."""
    con = engine.connect()
    try:
        con.execute(
            f"""COPY (SELECT {sql} FROM (
                SELECT n, CASE WHEN json_valid(text) THEN json_transform(text,
                    '{{"job_id":"VARCHAR","status":"VARCHAR","time":"VARCHAR"}}') END AS x
                FROM read_csv('{source}', columns={{'text': 'VARCHAR'}}, delim='\\x01',
                    quote='', escape='', header=false, auto_detect=false, strict_mode=false)
                WITH ORDINALITY AS l(text, n)) ORDER BY n)
            TO '{out}' (FORMAT parquet, ROW_GROUP_SIZE 1000)"""
        )
    finally:
        con.close()
    return out


def test_parquet_rows_are_read_as_the_lines_they_were(engine: Any, tmp_path: Path) -> None:
    """A log as Parquet, with typed columns (timestamps, integer codes), is judged as the JSON
    Lines it was made from: the same verdict, its rows numbered as the lines were."""
    lifecycle = LIFECYCLES[0]
    source = tmp_path / "fleet.jsonl"
    write_log(source, Simulation(80, seed=2, faults=0.02))
    typed = parquet(
        engine,
        source,
        tmp_path / "typed.parquet",
        "x.job_id AS job_id, TRY_CAST(x.status AS INTEGER) AS status, "
        "TRY_CAST(x.time AS TIMESTAMPTZ) AS time",
    )
    text = parquet(
        engine, source, tmp_path / "text.parquet", "x.job_id AS job_id, x.status, x.time"
    )
    expected = reference(source, "polled", lifecycle)
    found = duck(engine, typed, "polled", lifecycle)
    # A Parquet row holds what was read: a malformed line is a row of nulls, refused again.
    assert {k: v for k, v in found.items() if k != "bad_lines"} == {
        k: v for k, v in expected.items() if k != "bad_lines"
    }
    assert duck(engine, text, "polled", lifecycle) == expected
    report = engine.check(typed)
    assert report.to_dict()["format"] == "parquet"
    assert report.lifecycle == "modelarts-v1"


def test_a_directory_or_a_glob_reads_as_its_files_one_after_another(
    engine: Any, tmp_path: Path
) -> None:
    """Split in three files, a log gives the report of the whole, line numbers counting on."""
    lifecycle = LIFECYCLES[0]
    whole = tmp_path / "whole.jsonl"
    write_log(whole, Simulation(50, seed=4, faults=0.03))
    lines = whole.read_bytes().splitlines(keepends=True)
    parts = tmp_path / "parts"
    parts.mkdir()
    third = len(lines) // 3
    for index, start in enumerate(range(0, len(lines), third)):
        (parts / f"part-{index}.jsonl").write_bytes(b"".join(lines[start : start + third]))
    expected = duck(engine, whole, "polled", lifecycle)
    assert duck(engine, parts, "polled", lifecycle) == expected
    assert duck(engine, Path(f"{parts}/part-*.jsonl"), "polled", lifecycle) == expected
    with pytest.raises(UnreadableLog, match="matches no file"):
        engine.check(tmp_path / "nothing-*.jsonl")


def test_a_small_memory_limit_gives_the_same_verdict(engine: Any, tmp_path: Path) -> None:
    """The limit is the process's: DuckDB gets what the process does not hold already, less a
    reserve; under a small one it spills to its temporary directory (the benchmark judges a log
    larger than the limit), which is gone afterwards, and the verdict is the same."""
    path = tmp_path / "fleet.jsonl"
    write_log(path, Simulation(600, seed=1, faults=0.001))
    spill = tmp_path / "spill"
    spill.mkdir()
    limit = f"{(connection._resident() + 250_000_000) // 1_000_000}MB"
    small = engine.check(path, memory_limit=limit, temp_directory=str(spill), threads=1)
    assert verdict(small) == verdict(engine.check(path))
    assert list(spill.iterdir()) == []
    held = connection._resident()
    con = engine.connect(limit)
    try:
        setting = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()
    given = float(setting.removesuffix(" MiB")) * 2**20
    assert given <= (engine.memory_bytes(limit) - held) * 0.8


# -- adversarial logs ---------------------------------------------------------------------------

T0 = 1_772_323_200

#: Job ids: JSON strings, ints, and values no job id is (or ids with something to strip).
JOBS = st.sampled_from(
    ["a", "b", "job-7", "42", 42, " c", "d ", "", "\t", "\xa0e", "作业", 7.5, True, None, [1]]
)


def status_values(lifecycle: Lifecycle) -> st.SearchStrategy[object]:
    members = list(lifecycle.statuses)
    vocab = lifecycle.statuses.vocabulary
    spelled: list[object] = [s.reported for s in members]
    spelled += [s.name.lower() for s in members[:3]] + [f" {members[0].name} "]
    spelled += [vocab.prefix + s.name for s in members[:2]] if vocab.prefix else []
    spelled += [a for s in members for a in s.aliases][:4]
    spelled += ["FOO", 23, -1, 7.0, "007", "Pending", "JOBSTAT_RUNNING", None]
    return st.sampled_from(spelled)


TIMES = st.one_of(
    st.integers(0, 6).map(lambda k: T0 + k),
    st.integers(0, 6).map(lambda k: (T0 + k) * 1000),
    st.integers(0, 6).map(lambda k: f"2026-03-01T00:00:0{k}.500Z"),
    st.integers(0, 6).map(lambda k: f"2026-03-01 00:00:0{k}"),
    st.integers(0, 6).map(lambda k: str(T0 + k)),
    st.sampled_from(
        [
            "not-a-time",
            -5,
            "20260301",
            "2026-03-01T24:00:00Z",
            1e400,
            None,
            T0 + 0.25,
            "1e9",
            "2026-03-01T24:00:00.000Z",
            "2026-03-01T 8:00:00.000Z",
            "2026-03-01T08:00:00.5",
        ]
    ),
)


def details(lifecycle: Lifecycle) -> st.SearchStrategy[object]:
    declared = sorted(lifecycle.statuses.vocabulary.details)[:3]
    return st.sampled_from([*declared, "Unheard", "", " x ", 5, None])


def json_lines(lifecycle: Lifecycle) -> st.SearchStrategy[bytes]:
    record = st.fixed_dictionaries(
        {}, optional={"job_id": JOBS, "status": status_values(lifecycle), "time": TIMES}
    ).map(lambda r: json.dumps(r).encode())
    full = st.fixed_dictionaries(
        {"job_id": JOBS, "status": status_values(lifecycle), "time": TIMES},
        optional={"secondary_phase": details(lifecycle)},
    ).map(lambda r: json.dumps(r).encode())
    garbage = st.sampled_from(
        [b"", b"  ", b"{bad", b"[1]", b"\xff\xfe", b'{"a":\x00}', b"\x01", b"null",
         b'{"job_id": "m", "status": 8, "create_time": 1772323200000, "duration": 5000}',
         b'{"metadata": {"id": "v"}, "status": {"phase": "Running"}}',
         b'{"is_success": false, "error_code": "E1", "error_msg": "no"}']
    )  # fmt: skip
    line = st.one_of(full, full, full, record, garbage)
    # A CR between tokens is JSON white space; at the end, a CRLF line ending.
    return st.tuples(line, st.sampled_from([b"", b"\r", b" \r"])).map(lambda p: p[0] + p[1])


def csv_lines(lifecycle: Lifecycle) -> st.SearchStrategy[bytes]:
    def cell(value: object) -> str:
        return "" if value is None else str(value)

    row = st.tuples(JOBS, status_values(lifecycle), TIMES).map(
        lambda r: ",".join(cell(v) for v in r).encode()
    )
    quoted = st.tuples(JOBS, status_values(lifecycle), TIMES).map(
        lambda r: ",".join(f'"{cell(v)}"' for v in r).encode()
    )
    garbage = st.sampled_from([b"", b"a,b", b"x\ry,1,2", b"\x00,1,2", b"a;8;1", b"a,8,1\x01"])
    return st.one_of(row, row, row, quoted, garbage)


@st.composite
def logs(draw: st.DrawFn) -> tuple[Lifecycle, str, bytes]:
    lifecycle = draw(st.sampled_from(LIFECYCLES))
    fmt = draw(st.sampled_from(["jsonl", "csv"]))
    lines = draw(st.lists(json_lines(lifecycle) if fmt == "jsonl" else csv_lines(lifecycle),
                          max_size=30))  # fmt: skip
    if fmt == "csv":
        lines.insert(0, b"job_id,status,time")
    return lifecycle, fmt, b"\n".join(lines) + draw(st.sampled_from([b"", b"\n"]))


def outcome(run: Any) -> Any:
    """A report's verdict, or the kind of error that refused the log whole."""
    try:
        return run()
    except UnreadableLog:
        return UnreadableLog


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs(), st.sampled_from(["polled", "strict"]))
def test_adversarial_logs_are_judged_as_documented(
    engine: Any, tmp_path_factory: pytest.TempPathFactory, log: tuple[Lifecycle, str, bytes],
    mode: str,
) -> None:  # fmt: skip
    """Repeats, skips, ties, late lines, bad lines of every kind, CRs and 0x01 bytes: the
    engine's verdict is the checker's on the log sorted by time, job by job and violation by
    violation, and the same lines are bad, for the same reasons."""
    lifecycle, fmt, data = log
    path = tmp_path_factory.mktemp("log") / f"log.{fmt}"
    path.write_bytes(data)
    expected = outcome(lambda: reference(path, mode, lifecycle, fmt))
    assert outcome(lambda: duck(engine, path, mode, lifecycle, fmt=fmt)) == expected
    if expected is not UnreadableLog:
        python = read_log(path, fmt, lifecycle=lifecycle)
        ours = engine.check(path, fmt, mode, lifecycle=lifecycle, listed=None)
        assert [(e.line, e.problem) for e in ours.errors] == [
            (e.line, e.problem) for e in python.errors
        ]


# -- the command line ---------------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fleet(tmp_path: Path, faults: float = 0.0, jobs: int = 30) -> Path:
    path = tmp_path / "fleet.jsonl"
    write_log(path, Simulation(jobs, seed=3, faults=faults))
    return path


@pytest.mark.parametrize(("faults", "code"), [(0.0, EXIT_OK), (0.05, EXIT_INVALID)])
def test_check_engine_duckdb_prints_the_same_report_with_the_same_exit_code(
    engine: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, faults: float, code: int
) -> None:
    path = fleet(tmp_path, faults)
    python = run(capsys, "check", str(path), "--format", "json")
    limit = f"{(connection._resident() + 200_000_000) // 1_000_000}MB"  # this process holds much
    ours = run(capsys, "check", str(path), "--format", "json", "--engine", "duckdb",
               "--memory-limit", limit)  # fmt: skip
    assert python[0] == ours[0] == code
    expected, found = json.loads(python[1]), json.loads(ours[1])
    assert found.keys() == expected.keys()
    if not faults:
        assert found == expected
    text = run(capsys, "check", str(path), "--engine", "duckdb")
    assert text[0] == code
    assert "verdict:" in text[1]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["-"], "reads files, not stdin"),
        (["{log}", "--as", "modelarts-v2"], "--as needs --engine python"),
        (["{log}", "--input-format", "modelarts"], "ModelArts records"),
        (["{log}", "--memory-limit", "lots"], "no memory size"),
        (["{log}", "--memory-limit", "20MB"], "the process holds"),
        (["{missing}"], "No such file"),
    ],
)
def test_what_the_duckdb_engine_does_not_read_is_a_usage_error(
    engine: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], says: str
) -> None:
    path = fleet(tmp_path)
    given = [a.format(log=path, missing=tmp_path / "missing.jsonl") for a in argv]
    code, out, err = run(capsys, "check", *given, "--engine", "duckdb")
    assert (code, out) == (EXIT_USAGE, "")
    assert says in err
    assert "Traceback" not in err


def test_a_parquet_log_for_the_python_engine_names_the_engine_that_reads_it(
    engine: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = fleet(tmp_path)
    path = parquet(engine, source, tmp_path / "fleet.parquet", "x.job_id, x.status, x.time")
    code, _, err = run(capsys, "check", str(path))
    assert code == EXIT_USAGE
    assert "--engine duckdb" in err
    code, out, _ = run(capsys, "check", str(path), "--engine", "duckdb")
    assert code == EXIT_OK
    assert "(parquet)" in out


def test_without_duckdb_the_engine_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No duckdb: MissingExtra with the pip command, one line and exit 2 on the command line."""
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb raises ImportError
    from jobfsm.engines import duckdb_engine

    path = fleet(tmp_path)
    with pytest.raises(MissingExtra, match=r"pip install 'jobfsm\[duckdb\]'"):
        duckdb_engine.check(path)
    code, _, err = run(capsys, "check", str(path), "--engine", "duckdb")
    assert code == EXIT_USAGE
    assert "pip install 'jobfsm[duckdb]'" in err


def test_a_log_of_another_lifecycle_is_read_in_it_or_refused_whole(
    engine: Any, tmp_path: Path
) -> None:
    """Without --lifecycle the engine picks the lifecycle as the checker does; a log mixing two
    built-in lifecycles is refused whole by both."""
    v2 = builtin("modelarts-v2")
    assert v2 is not None
    path = tmp_path / "v2.jsonl"
    write_log(path, Simulation(20, seed=1, lifecycle=v2))
    assert engine.check(path).lifecycle == "modelarts-v2"
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes(
        fleet(tmp_path).read_bytes() + b'{"job_id": "x", "status": "Pending", "time": 1}\n'
    )
    with pytest.raises(UnreadableLog, match="mixes"):
        scan_log(mixed)
    with pytest.raises(UnreadableLog, match="mixes"):
        engine.check(mixed)


# -- Parquet ------------------------------------------------------------------------------------

#: Column types of a Parquet log, and values of each (None a null) that hit every rule: text and
#: integer job ids and ids that are none (blank, a control character, a float); statuses known,
#: unknown and of no status type; times of every type, out of range, NaN and infinite included.
PARQUET_JOBS = {
    "VARCHAR": st.sampled_from(["a", "b", "job-7", "42", " c", "", "\t", "作业", "x\x01", None]),
    "BIGINT": st.sampled_from([1, 2, 42, -3, None]),
    "DOUBLE": st.sampled_from([1.5, None]),
}


def parquet_statuses(lifecycle: Lifecycle, kind: str) -> st.SearchStrategy[object]:
    members = list(lifecycle.statuses)
    if kind == "VARCHAR":
        spelled: list[object] = [str(s.reported) for s in members]
        spelled.append(members[0].name.lower())
        spelled += [f" {members[-1].name} ", "FOO", "23", "Pending", "JOBSTAT_RUNNING", None]
        spelled += [f"UNHEARD-{k}" for k in range(3)]
        return st.sampled_from(spelled)
    if kind == "INTEGER":
        return st.sampled_from([*range(len(members)), 23, -1, None])
    return st.sampled_from([1.0, None])  # DOUBLE: no status type


PARQUET_TIMES = {
    "TIMESTAMPTZ": st.sampled_from(
        [f"2026-03-01 00:00:0{k}.5+00" for k in range(6)] + ["1960-01-01 00:00:00+00", None]
    ),
    "TIMESTAMP": st.sampled_from([f"2026-03-01 00:00:0{k}" for k in range(6)] + [None]),
    "DATE": st.sampled_from(["2026-03-01", "2026-03-02", "1969-12-31", None]),
    "BIGINT": st.sampled_from([*(T0 + k for k in range(6)), (T0 + 2) * 1000, -5, None]),
    "DOUBLE": st.sampled_from([T0 + 0.25, T0 + 3.0, float("nan"), float("inf"), -1.0, None]),
    "VARCHAR": st.sampled_from(["2026-03-01T00:00:01Z", str(T0 + 4), "not-a-time", None]),
}


@st.composite
def parquet_logs(draw: st.DrawFn) -> tuple[Lifecycle, dict[str, str], list[tuple[Any, ...]]]:
    lifecycle = draw(st.sampled_from(LIFECYCLES))
    kinds = {
        "job_id": draw(st.sampled_from(["VARCHAR", "VARCHAR", "BIGINT", "DOUBLE"])),
        "status": draw(st.sampled_from(["VARCHAR", "VARCHAR", "INTEGER", "DOUBLE"])),
        "time": draw(st.sampled_from(sorted(PARQUET_TIMES))),
    }
    phases = draw(st.booleans())
    if phases and lifecycle.statuses.vocabulary.details:
        kinds["secondary_phase"] = "VARCHAR"
    row = st.tuples(
        PARQUET_JOBS[kinds["job_id"]],
        parquet_statuses(lifecycle, kinds["status"]),
        PARQUET_TIMES[kinds["time"]],
        details(lifecycle).map(lambda d: None if d is None else str(d)),
    )
    rows = draw(st.lists(row, max_size=40))
    if draw(st.booleans()):  # only good rows but a few: the bad ones are found by statistics
        rows = [r for r in rows if None not in r[:3]] + rows[:2]
    return lifecycle, kinds, [r if "secondary_phase" in kinds else r[:3] for r in rows]


def write_parquet(
    engine: Any, path: Path, kinds: dict[str, str], rows: list[tuple[Any, ...]]
) -> None:
    con = engine.connect()
    try:
        columns = ", ".join(f"{name} {kind}" for name, kind in kinds.items())
        con.execute(f"CREATE TABLE log ({columns})")
        marks = ", ".join("?" * len(kinds))
        for values in rows:
            con.execute(f"INSERT INTO log VALUES ({marks})", list(values))
        con.execute(f"COPY log TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 4)")
    finally:
        con.close()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parquet_logs(), st.sampled_from(["polled", "strict"]), st.sampled_from([0, 1, 3]))
def test_a_parquet_log_is_judged_in_one_pass_as_the_exact_pass_judges_it(
    engine: Any, tmp_path_factory: pytest.TempPathFactory,
    log: tuple[Lifecycle, dict[str, str], list[tuple[Any, ...]]], mode: str, listed: int,
) -> None:  # fmt: skip
    """The one pass over a Parquet log's rows (bad rows found by conditions the Parquet reader
    checks against row group statistics) gives the report of the exact pass, which works out
    every row's problem: the same verdict, the same bad lines for the same reasons, the first
    ``listed`` of them when only those are listed."""
    lifecycle, kinds, rows = log
    path = tmp_path_factory.mktemp("parquet") / "log.parquet"
    write_parquet(engine, path, kinds, rows)

    def report(lean: bool, listed: int | None) -> Any:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(parquet_reading._ParquetReading, "lean", lean)
            return outcome(lambda: engine.check(path, mode=mode, lifecycle=lifecycle,
                                                listed=listed))  # fmt: skip

    exact = report(False, None)
    one_pass = report(True, None)
    if exact is UnreadableLog:
        assert one_pass is UnreadableLog
        return
    assert verdict(one_pass) == verdict(exact)
    everything = [(e.line, e.problem) for e in exact.errors]
    assert [(e.line, e.problem) for e in one_pass.errors] == everything
    first = report(True, listed)
    listing = ("errors_omitted", "violations_omitted", "violation_list", "bad_lines")
    assert {k: v for k, v in verdict(first).items() if k not in listing} == {
        k: v for k, v in verdict(exact).items() if k not in listing
    }
    assert [(e.line, e.problem) for e in first.errors] == everything[:listed]
    assert first.to_dict()["errors_omitted"] == len(everything) - len(everything[:listed])
    assert sorted(first.unrecognised_details.items()) == sorted(exact.unrecognised_details.items())
    assert list(first.unrecognised_details) == list(exact.unrecognised_details)
    assert list(first.mismatched_details.items()) == list(exact.mismatched_details.items())


def test_many_unknown_statuses_are_listed_from_every_row(engine: Any, tmp_path: Path) -> None:
    """Past the unknown values a query can name, the bad rows listed are found by reading every
    row's problem: the same first lines, for the same reasons, as the exact pass gives."""
    lifecycle = LIFECYCLES[0]
    values = [f"UNHEARD-{k}" for k in range(parquet_reading._LISTED_VALUES + 1)]
    rows = [(f"job-{k % 7}", status, f"2026-03-01 00:00:{k % 60:02d}+00") for k, status in
            enumerate(["8", *values, "10", None])]  # fmt: skip
    path = tmp_path / "log.parquet"
    write_parquet(
        engine, path, {"job_id": "VARCHAR", "status": "VARCHAR", "time": "TIMESTAMPTZ"}, rows
    )
    first = engine.check(path, lifecycle=lifecycle, listed=5)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet_reading._ParquetReading, "lean", False)
        exact = engine.check(path, lifecycle=lifecycle, listed=None)
    assert [(e.line, e.problem) for e in first.errors] == [
        (e.line, e.problem) for e in exact.errors
    ][:5]
    assert first.rejected == exact.rejected == len(values) + 1
    assert "UNHEARD-0" in first.errors[0].problem


def test_parquet_files_of_other_column_types_read_as_one_log(engine: Any, tmp_path: Path) -> None:
    """A directory of two Parquet files, statuses as integers then text and times as
    timestamps then epoch milliseconds, is the log they were made from: the one pass and the
    exact pass agree with the Python checker on the JSON Lines."""
    lifecycle = LIFECYCLES[0]
    source = tmp_path / "fleet.jsonl"
    write_log(source, Simulation(60, seed=5, faults=0.02))
    lines = source.read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    (tmp_path / "a.jsonl").write_bytes(b"".join(lines[:half]))
    (tmp_path / "b.jsonl").write_bytes(b"".join(lines[half:]))
    folder = tmp_path / "parts"
    folder.mkdir()
    parquet(engine, tmp_path / "a.jsonl", folder / "part-1.parquet",
            "x.job_id AS job_id, TRY_CAST(x.status AS INTEGER) AS status, "
            "TRY_CAST(x.time AS TIMESTAMPTZ) AS time")  # fmt: skip
    parquet(engine, tmp_path / "b.jsonl", folder / "part-2.parquet",
            "x.job_id AS job_id, x.status AS status, "
            "CAST(epoch_ms(TRY_CAST(x.time AS TIMESTAMPTZ)) AS BIGINT) AS time")  # fmt: skip
    expected = reference(source, "polled", lifecycle)
    for lean in (True, False):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(parquet_reading._ParquetReading, "lean", lean)
            found = duck(engine, folder, "polled", lifecycle)
        # A Parquet row holds what was read: a malformed line is a row of nulls, refused again.
        assert {k: v for k, v in found.items() if k != "bad_lines"} == {
            k: v for k, v in expected.items() if k != "bad_lines"
        }
        assert found["bad_lines"] == expected["bad_lines"]
