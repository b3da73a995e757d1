"""Status-log readers (JSON Lines, CSV, ModelArts records), the judgment of a log, move counts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jobfsm import DEFAULT_LIFECYCLE, InvalidArgument, InvalidTime, JobStatus, UnreadableLog
from jobfsm.logs import (
    MAX_LINE,
    LogFormat,
    Observation,
    ObservationLog,
    check_log,
    count_moves,
    parse_time,
    read_log,
    scan_log,
)
from jobfsm.tracker import Tracker
from jobfsm.validate import validate_history

S = JobStatus
T0 = 1772352000.0  # 2026-03-01T08:00:00Z


def line(job: object = "a", status: object = 8, time: object = T0) -> bytes:
    return json.dumps({"job_id": job, "status": status, "time": time}).encode()


def read(data: bytes, fmt: str = "auto", name: str = "log.jsonl") -> ObservationLog:
    return read_log(io.BytesIO(data), fmt, name=name)


BAD_JSON_LINES = [
    pytest.param(b'{"job_id": "a", "status": 8', "malformed JSON", id="malformed-json"),
    pytest.param(b'{"job_id": "a", "time": 5}', "missing field 'status'", id="missing-status"),
    pytest.param(b'{"status": 8, "time": 5}', "missing field 'job_id'", id="missing-job"),
    pytest.param(b'{"job_id": "a", "status": 8}', "missing field 'time'", id="missing-time"),
    pytest.param(line(status=23), "unknown status: 23", id="status-23"),
    pytest.param(line(status=-1), "unknown status: -1", id="status-minus-1"),
    pytest.param(line(status="FOO"), "unknown status: 'FOO'", id="status-foo"),
    pytest.param(line(status=True), "unknown status: True", id="status-bool"),
    pytest.param(line(status=8.0), "unknown status: 8.0", id="status-float"),
    pytest.param(line(time="yesterday"), "time 'yesterday' is not a usable time", id="bad-time"),
    pytest.param(line(time=None), "time None is not a usable time", id="null-time"),
    pytest.param(line(time=True), "time True is not a usable time", id="bool-time"),
    pytest.param(line(job=None), "job_id None is not a job id", id="null-job"),
    pytest.param(line(job=""), "job_id '' is not a job id", id="empty-job"),
    pytest.param(line(job="  "), "job_id '  ' is not a job id (it is blank)", id="blank-job"),
    pytest.param(line(job="\t\u3000"), "(it is blank)", id="unicode-blank-job"),
    pytest.param(line(job="a\x00b"), "control character '\\x00'", id="nul-in-job"),
    pytest.param(line(job="a\nb"), "control character '\\n'", id="newline-in-job"),
    pytest.param(line(job="a\x7f"), "control character '\\x7f'", id="del-in-job"),
    pytest.param(b"", "empty line", id="empty-line"),
    pytest.param(b"   \t", "empty line", id="blank-line"),
    pytest.param(b"[1, 2]", "a JSON list, not an object", id="json-array"),
    pytest.param(b'\xff\xfe{"job_id": "\xc3("}', "not UTF-8 text", id="invalid-utf8"),
    pytest.param(b"\x00\x00\x01\x02garbage", "binary data (NUL bytes)", id="nul-bytes"),
    pytest.param(b"\xef\xbb\xbf" + line(), "malformed JSON", id="bom-not-first-line"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_JSON_LINES)
def test_bad_json_line_is_reported_and_the_rest_read(bad: bytes, reason: str) -> None:
    """A bad line is rejected with its 1-based number and reason; its neighbours are read."""
    log = read(line(status=7) + b"\n" + bad + b"\n" + line(status=8, time=T0 + 1) + b"\n")
    assert [o.line for o in log] == [1, 3]
    assert log.lines_read == 3
    assert log.rejected == 1
    error = log.errors[0]
    assert error.line == 2
    assert reason in error.problem
    assert str(error).startswith("log.jsonl:2: ")


def test_rejections_say_what_would_be_accepted() -> None:
    """The reasons name what a line should hold."""
    log = read(line(status="FOO") + b"\n" + line(time="soon") + b"\n\n")
    status, time, empty = (e.problem for e in log.errors)
    assert "expected a code 0–22 or a status name" in status
    assert "expected ISO 8601" in time
    assert "epoch seconds or milliseconds" in time
    assert "expected a JSON object with job_id, status and time" in empty


def test_rejections_quote_the_start_of_the_line() -> None:
    """Malformed and binary lines are quoted (cut at 40 bytes) so they can be found."""
    log = read(
        line() + b'\n{"job_id": "a", "status": 8, "time": 12345678, "extra": [1, 2\n\x00\x01zz\n'
    )
    assert """b'{"job_id": "a", "status": 8, "time": 123'...""" in log.errors[0].problem
    assert "b'\\x00\\x01zz'" in log.errors[1].problem


def test_bom_on_the_first_line_is_accepted() -> None:
    """A UTF-8 byte order mark before the first line is skipped."""
    log = read(b"\xef\xbb\xbf" + line() + b"\n")
    assert (len(log), log.rejected) == (1, 0)


@pytest.mark.parametrize("rest", [b"", b"\n"])
def test_a_byte_order_mark_alone_is_not_a_line(rest: bytes) -> None:
    """A BOM is not data: BOM alone is an empty log; BOM and a newline is one empty line."""
    log = read(b"\xef\xbb\xbf" + rest)
    assert (log.lines_read, log.rejected) == (len(rest), len(rest))


def test_a_byte_order_mark_in_a_short_first_read_is_not_lost() -> None:
    """A stream whose first read() returns only the BOM still has its lines read."""
    chunks = [b"\xef\xbb\xbf", line() + b"\n", b""]

    class Trickle:
        def read(self, size: int) -> bytes:
            return chunks.pop(0)

    log = read_log(Trickle())  # type: ignore[arg-type]
    assert (len(log), log.rejected) == (1, 0)


def test_crlf_line_endings_are_accepted() -> None:
    """CRLF line endings read like LF."""
    log = read(line(status=7) + b"\r\n" + line(status=8) + b"\r\n")
    assert [o.status for o in log] == [S.WAITING, S.RUNNING]
    assert log.rejected == 0


def test_truncated_last_line_is_rejected() -> None:
    """A last line cut short (no newline, incomplete JSON) is one bad line."""
    log = read(line() + b"\n" + line()[:20])
    assert (len(log), log.lines_read) == (1, 2)
    assert log.errors[0].line == 2
    assert "malformed JSON" in log.errors[0].problem


def test_complete_last_line_without_newline_is_read() -> None:
    """A final line without a newline is still a line."""
    log = read(line(status=7) + b"\n" + line(status=8))
    assert [o.line for o in log] == [1, 2]


def test_trailing_newline_adds_no_line() -> None:
    """The newline that ends the last line does not start another one."""
    assert read(line() + b"\n").lines_read == 1


def test_lines_across_chunks_keep_their_numbers(tmp_path: Path) -> None:
    """Lines split across read chunks are joined, and numbered in file order."""
    path = tmp_path / "big.jsonl"
    count = 40_000  # a few MB, more than one 1 MiB chunk
    path.write_bytes(b"".join(line(f"j{i % 7}", 8, T0 + i) + b"\n" for i in range(count)))
    log = read_log(path)
    assert len(log) == count
    assert list(log.lines[-3:]) == [count - 2, count - 1, count]
    assert log.rejected == 0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2026-03-01T08:00:00Z", T0),
        ("2026-03-01T08:00:00z", T0),
        ("2026-03-01T10:00:00+02:00", T0),
        ("2026-03-01T08:00:00", T0),
        ("2026-03-01 08:00:00.500", T0 + 0.5),
        (T0, T0),
        (int(T0), T0),
        (T0 * 1000, T0),
        (str(int(T0 * 1000)), T0),
        (" 1772352000.25 ", T0 + 0.25),
    ],
)
def test_parse_time_forms(value: object, seconds: float) -> None:
    """ISO 8601 (naive is UTC) and epoch seconds or milliseconds, also as text."""
    assert parse_time(value) == pytest.approx(seconds)


def test_epoch_unit_is_decided_by_magnitude() -> None:
    """Below 10**11 an epoch number is seconds; from 10**11 on it is milliseconds."""
    assert parse_time(99_999_999_999) == 99_999_999_999
    assert parse_time(100_000_000_000) == 100_000_000


@pytest.mark.parametrize(
    "value", ["", "nan", "inf", "2026-13-01", None, [1], True, 10**400, -(10**400), "1" * 400]
)
def test_parse_time_rejects(value: object) -> None:
    """Anything else is an InvalidTime (a ValueError) naming the value, however large."""
    with pytest.raises(InvalidTime, match="time") as caught:
        parse_time(value)
    assert isinstance(caught.value, ValueError)
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize("name", ["running", "JOBSTAT_RUNNING", " 8 ", "8", "Running"])
def test_status_names_are_read_like_jobstatus_parse(name: str) -> None:
    """Status names and numeric text are read as JobStatus.parse reads them."""
    assert next(iter(read(line(status=name)))).status is S.RUNNING


def test_legacy_status_name_is_read() -> None:
    """The legacy SDK name JOBSTAT_DEPLOYING is WAITING."""
    assert next(iter(read(line(status="JOBSTAT_DEPLOYING")))).status is S.WAITING


def test_integer_and_text_job_ids_are_one_job() -> None:
    """Job ids are compared as text: 42 and "42" name the same job."""
    log = read(line(job=42, status=7) + b"\n" + line(job="42", status=8, time=T0 + 1))
    assert log.job_ids == ["42"]


def test_observations_are_ordered_by_time_within_each_job() -> None:
    """A job's lines are taken in time order; equal times keep file order."""
    data = [
        line("a", 8, T0 + 10),
        line("b", 1, T0),
        line("a", 7, T0 + 5),
        line("a", 9, T0 + 10),
        line("a", 4, T0),
    ]
    log = read(b"\n".join(data))
    jobs = dict(log.by_job())
    assert [o.line for o in jobs["a"]] == [5, 3, 1, 4]
    assert [o.line for o in jobs["b"]] == [2]


def test_iteration_is_in_file_order() -> None:
    """Iterating a log gives the accepted observations in file order, typed."""
    log = read(line("a", 8, T0 + 1) + b"\n" + line("a", "WAITING", T0))
    assert list(log) == [Observation("a", S.RUNNING, T0 + 1, 1), Observation("a", S.WAITING, T0, 2)]


# -- CSV --------------------------------------------------------------------------------------


def test_csv_header_in_any_order_with_extra_columns() -> None:
    """CSV columns are found by name in the header; other columns are ignored."""
    data = (
        b"time,region,status,job_id\r\n2026-03-01T08:00:00Z,cn,WAITING,a\r\n1772352001,cn,8,a\r\n"
    )
    log = read(data, name="log.csv")
    assert log.format is LogFormat.CSV
    assert [(o.status, o.time, o.line) for o in log] == [(S.WAITING, T0, 2), (S.RUNNING, T0 + 1, 3)]
    assert (log.lines_read, log.rejected) == (2, 0)


def test_csv_without_header_reads_job_status_time() -> None:
    """Without a header the columns are job_id,status,time and line 1 is data."""
    log = read(b'a,7,1772352000\n"b,1",8,1772352000\n', name="x.csv")
    assert [(o.job_id, o.line) for o in log] == [("a", 1), ("b,1", 2)]


def test_csv_bad_lines_are_reported() -> None:
    """Short, binary, blank and unknown-status CSV lines are rejected with their numbers."""
    data = b"job_id,status,time\na,7\n\xff\xfe,1,2\n\na,FOO,5\nb,\x00,5\na,8,5\n"
    log = read(data, name="x.csv")
    assert [e.line for e in log.errors] == [2, 3, 4, 5, 6]
    assert "2 field(s) in 'a,7', expected at least 3" in log.errors[0].problem
    assert "not UTF-8" in log.errors[1].problem
    assert "empty line" in log.errors[2].problem
    assert "unknown status" in log.errors[3].problem
    assert "binary data" in log.errors[4].problem
    assert log.lines_read == len(log) + log.rejected == 6


def test_csv_header_without_status_is_unreadable() -> None:
    """A header that lacks a needed column makes the whole log unreadable."""
    with pytest.raises(UnreadableLog, match="no 'status' column"):
        read(b"job_id,state,time\na,8,5\n", name="x.csv")
    with pytest.raises(UnreadableLog, match="no 'time' column"):
        read(b"job_id,status,when\na,8,5\n", name="x.csv")


@pytest.mark.parametrize(
    ("header", "column"),
    [
        (b"job_id,job_id,status,time", "'job_id' 2 times"),
        (b"job_id,status,Status,time", "'status' 2 times"),
        (b"time,job_id,status,time,time", "'time' 3 times"),
        (b"job_id,status,create_time,duration,duration", "'duration' 2 times"),
    ],
)
def test_csv_header_naming_a_column_twice_is_unreadable(header: bytes, column: str) -> None:
    """Two columns of one name leave which to read a guess: the log is refused, naming it."""
    with pytest.raises(UnreadableLog, match=column):
        read(header + b"\na,b,8,5,6\n", name="x.csv")


def test_csv_header_may_repeat_a_column_it_does_not_read() -> None:
    """Ignored columns (and empty names from trailing commas) may repeat."""
    log = read(b"job_id,note,status,note,time,,\na,x,8,y,5,,\n", name="x.csv")
    assert (log.errors, log.job_ids) == ([], ["a"])


def test_csv_modelarts_columns() -> None:
    """A CSV with create_time and duration columns reads the ModelArts way."""
    log = read(b"job_id,status,create_time,duration\n7,8,1772352000000,1500\n", name="x.csv")
    assert next(iter(log)).time == T0 + 1.5


# -- ModelArts records ------------------------------------------------------------------------


def modelarts(**fields: object) -> bytes:
    record: dict[str, object] = {"job_id": 1201, "version_id": 3, "status": 8}
    record["create_time"] = 1772352000000
    record["duration"] = 60000
    record.update(fields)
    return json.dumps(record).encode()


def test_modelarts_record_time_is_create_time_plus_duration() -> None:
    """Observation time is create_time + duration; the job is job_id/version_id."""
    log = read(modelarts() + b"\n" + modelarts(status=10, duration=120000), "modelarts")
    assert [(o.job_id, o.status, o.time) for o in log] == [
        ("1201/3", S.RUNNING, T0 + 60),
        ("1201/3", S.COMPLETED, T0 + 120),
    ]


def test_modelarts_records_are_recognised_in_auto_mode() -> None:
    """In auto mode a JSON line with create_time and no time is a ModelArts record."""
    log = read(modelarts() + b"\n" + line("x"))
    assert [o.job_id for o in log] == ["1201/3", "x"]


def test_modelarts_failed_response_and_bad_duration_are_rejected() -> None:
    """A failed API response and a record with a duration that is no number are bad lines."""
    failed = json.dumps(
        {"is_success": False, "error_code": "ModelArts.0104", "error_message": "no job"}
    ).encode()
    log = read(failed + b"\n" + modelarts(duration="x"), "modelarts")
    assert "failed API response" in log.errors[0].problem
    assert "not a number of milliseconds" in log.errors[1].problem


@pytest.mark.parametrize("fmt", ["modelarts", "auto", "jsonl"])
def test_the_v1_create_job_response_is_an_observation(fmt: str) -> None:
    """The documented create-job response (string status, no duration) is the job just created."""
    created = {
        "is_success": True,
        "job_id": 10,
        "job_name": "trainjob-test",
        "status": "1",
        "create_time": 1524189990635,
        "version_id": 10,
        "version_name": "V0001",
    }
    log = read(json.dumps(created).encode() + b"\n", fmt)
    assert log.rejected == 0
    [seen] = list(log)
    assert (seen.job_id, seen.status, seen.time) == ("10/10", JobStatus.INIT, 1524189990.635)


# -- formats and files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("log.csv", b"a,8,1772352000\n", LogFormat.CSV),
        ("log.txt", line(), LogFormat.JSONL),
        ("log.txt", b"\xef\xbb\xbf  " + line(), LogFormat.JSONL),
        ("log.txt", b"job_id,status,time\n", LogFormat.CSV),
        ("<stdin>", b"", LogFormat.JSONL),
    ],
)
def test_format_detection(name: str, data: bytes, fmt: LogFormat) -> None:
    """auto picks CSV by the .csv extension, else JSON when the first bytes open an object."""
    assert read(data, name=name).format is fmt


@pytest.mark.parametrize("fmt", ["bogus", "JSONL", None, 5])
def test_unknown_log_format_lists_the_formats(fmt: object) -> None:
    """A format that is not one of LogFormat's is a ValueError naming it and every format."""
    with pytest.raises(
        InvalidArgument, match=r"expected a log format, one of auto, jsonl, csv, modelarts"
    ) as caught:
        read_log(io.BytesIO(line()), fmt)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert (caught.value.argument, caught.value.value) == ("fmt", fmt)
    assert repr(fmt) in str(caught.value)


def test_text_streams_are_read_as_utf8(tmp_path: Path) -> None:
    """A text stream (StringIO, a file opened in text mode) reads like its UTF-8 bytes."""
    data = line("作业", 7) + b"\n" + line("作业", 8, T0 + 1) + b"\n{bad\n"
    expected = read(data)
    from_string = read_log(io.StringIO(data.decode()))
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    with path.open(encoding="utf-8") as text:
        from_file = read_log(text)
    for log in (from_string, from_file):
        assert list(log) == list(expected)
        assert [e.problem for e in log.errors] == [e.problem for e in expected.errors]
    assert from_string.source == "<stream>"
    assert from_file.source == str(path)


def test_text_stream_with_a_lone_surrogate_is_a_bad_line() -> None:
    """Characters UTF-8 cannot encode make their line a bad line, not an exception."""
    log = read_log(io.StringIO(line().decode() + "\n\udcff\n"))
    assert (len(log), [e.line for e in log.errors]) == (1, [2])
    assert "not UTF-8 text" in log.errors[0].problem


def test_text_stream_that_cannot_decode_is_unreadable(tmp_path: Path) -> None:
    """A text-mode file whose bytes are not UTF-8 fails in its own decoder: UnreadableLog."""
    path = tmp_path / "log.jsonl"
    path.write_bytes(line() + b"\n\xff\xfe\n")
    with path.open(encoding="utf-8") as text, pytest.raises(UnreadableLog, match="'rb'"):
        read_log(text)


@pytest.mark.parametrize(
    ("source", "named"),
    [
        (None, "source None is not accepted"),
        (42, "source 42 is not accepted"),
        (b'{"job_id": "a"}', "io.BytesIO"),
        ([line()], r"source \[b'"),
    ],
)
def test_read_log_refuses_a_source_that_is_neither_path_nor_file(
    source: object, named: str
) -> None:
    """Anything but a path or an object with read() is a TypeError saying what is accepted."""
    with pytest.raises(InvalidArgument, match=named) as caught:
        read_log(source)  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)
    assert "expected a path (str or os.PathLike) or a file object" in str(caught.value)


def test_read_log_refuses_a_stream_that_returns_neither_bytes_nor_str() -> None:
    """A read() that returns something else is a TypeError naming what it returned."""

    class Lines:
        name = "fake"

        def read(self, size: int) -> list[bytes]:
            return [line()]

    with pytest.raises(TypeError, match="fake: read\\(\\) returned a list, not bytes or str"):
        read_log(Lines())  # type: ignore[arg-type]


def test_dash_is_a_path_not_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library reads "-" as a file of that name; only the command line maps it to stdin."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_bytes(line() + b"\n")
    assert len(read_log("-", "jsonl")) == 1


@pytest.mark.parametrize("path", ["file.jsonl", Path("file.jsonl")])
def test_check_log_given_a_path_says_to_read_it_first(path: object) -> None:
    """check_log judges what read_log returns; a path is a TypeError naming read_log."""
    with pytest.raises(InvalidArgument, match=r"check_log\(read_log\('file.jsonl'\)\)"):
        check_log(path)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="log None is not accepted"):
        check_log(None)  # type: ignore[arg-type]


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    """A missing file raises UnreadableLog naming it."""
    with pytest.raises(UnreadableLog, match=r"nope\.jsonl: No such file"):
        read_log(tmp_path / "nope.jsonl")


def test_directory_is_unreadable(tmp_path: Path) -> None:
    """A directory raises UnreadableLog."""
    with pytest.raises(UnreadableLog, match="Is a directory"):
        read_log(tmp_path)


GOOD = [line("a", 7, T0), line("b", "RUNNING", "2026-03-01T08:00:00Z"), line(5, 10, T0 * 1000)]
BAD = [
    b"",
    b"{",
    b"\xff\x00",
    line(status=23),
    line(time="x"),
    b'{"job_id": "a"}',
    b"null",
    b"\xef\xbb\xbf{}",
]


@given(
    st.lists(st.tuples(st.booleans(), st.integers(0, 7), st.booleans()), max_size=60),
    st.booleans(),
)
def test_every_line_is_accounted_for(
    picks: list[tuple[bool, int, bool]], trailing_newline: bool
) -> None:
    """lines read = observations + rejected lines, and exactly the bad lines are rejected."""
    rows = [(GOOD[i % 3] if good else BAD[i]) + (b"\r" if crlf else b"") for good, i, crlf in picks]
    data = b"\n".join(rows) + (b"\n" if trailing_newline and rows else b"")
    # Binary lines (BAD[2]) making more than half of the non-blank ones: no log at all.
    nonblank = [(good, i) for good, i, _ in picks if good or BAD[i].strip()]
    binary = sum(1 for good, i in nonblank if not good and i == 2)
    if binary * 2 > len(nonblank):
        with pytest.raises(UnreadableLog, match="binary data"):
            read(data)
        return
    # No JSON object among the first lines (a last one without a newline aside): no JSON log.
    head = data.removeprefix(b"\xef\xbb\xbf")
    sample = [row for row in head.split(b"\n", 100)[:100] if row.strip()]
    if sample and not head.endswith(b"\n"):
        sample.pop()
    if sample and not any(is_object(row) for row in sample):
        with pytest.raises(UnreadableLog, match="is a JSON object, so it is no JSON Lines log"):
            read(data)
        return
    log = read(data)
    # A file ending in an empty last line without a newline has that line only when non-empty.
    expected = len(rows) - (1 if rows and not trailing_newline and rows[-1] == b"" else 0)
    assert log.lines_read == len(log) + log.rejected == expected
    bad_numbers = [n for n, (good, _, _) in enumerate(picks, 1) if not good and n <= expected]
    assert [e.line for e in log.errors] == bad_numbers


def is_object(row: bytes) -> bool:
    # json.loads skips a byte order mark anywhere; a log has one only before its first line.
    if row.startswith(b"\xef\xbb\xbf"):
        return False
    try:
        return isinstance(json.loads(row), dict)
    except ValueError:
        return False


# -- judging ----------------------------------------------------------------------------------


def jsonl(*rows: tuple[str, object, float]) -> ObservationLog:
    return read(b"\n".join(line(j, s, t) for j, s, t in rows))


def test_conforming_log_is_ok() -> None:
    """Declared moves only: every job conforms, outcomes by final status."""
    log = jsonl(("a", 1, 0), ("a", 4, 1), ("a", 7, 2), ("b", 8, 0), ("b", 10, 1), ("a", 7, 3))
    report = check_log(log, "strict")
    assert report.ok
    assert (report.jobs, report.conforming, report.unfinished) == (2, 2, 1)
    assert report.outcomes == {"succeeded": 1, "failed": 0, "canceled": 0, "unfinished": 1}


def test_violation_names_job_line_move_and_allowed() -> None:
    """A violation carries the job, its line, source → target and the declared moves."""
    report = check_log(jsonl(("x", 1, 0), ("a", 8, 0), ("a", 7, 1)), "strict")
    (v,) = report.violations
    assert (v.job_id, v.line, v.source, v.target) == ("a", 3, S.RUNNING, S.WAITING)
    assert v.allowed == DEFAULT_LIFECYCLE.allowed_next(S.RUNNING)
    assert "line 3: job a: RUNNING(8) → WAITING(7); allowed: UNKNOWN, KILLING" in str(v)
    assert (report.violating, report.conforming) == (1, 1)


def test_rejected_observation_does_not_move_the_job() -> None:
    """One stray status gives one violation; the next line is judged from the old status."""
    report = check_log(jsonl(("a", 8, 0), ("a", 7, 1), ("a", 10, 2)), "strict")
    assert [v.line for v in report.violations] == [2]
    assert report.outcomes["succeeded"] == 1


def test_first_observation_is_not_judged() -> None:
    """Polling may start anywhere: a job first seen RUNNING conforms."""
    assert check_log(jsonl(("a", 8, 0), ("a", 10, 1)), "strict").ok


def test_polled_mode_accepts_jumps_and_counts_them() -> None:
    """WAITING → COMPLETED is a violation in strict mode and an inferred jump in polled mode."""
    log = jsonl(("a", 7, 0), ("a", 10, 1))
    assert not check_log(log, "strict").ok
    polled = check_log(log, "polled")
    assert polled.ok
    assert polled.inferred == 1


def test_a_line_older_than_the_jobs_last_applied_line_is_late_and_not_judged() -> None:
    """A late line is counted and ignored: it neither moves the job nor raises a violation."""
    log = jsonl(("a", 7, 0), ("a", 8, 20), ("a", 7, 10), ("a", 10, 30), ("b", 1, 0))
    report = check_log(log, "strict")
    assert (report.ok, report.late, report.outcomes["succeeded"]) == (True, 1, 1)


def test_equal_times_are_judged_in_file_order() -> None:
    """A line with the same time as the job's last one is not late."""
    report = check_log(jsonl(("a", 7, 5), ("a", 8, 5), ("a", 7, 5)), "strict")
    assert (report.late, [v.line for v in report.violations]) == (0, [3])


def test_a_refused_status_does_not_advance_the_jobs_time() -> None:
    """Lateness is measured from the last applied line: a violation and its repeats do not count,
    a repeat of the current status does."""
    log = jsonl(("a", 8, 0), ("a", 7, 10), ("a", 7, 20), ("a", 8, 15), ("a", 10, 12))
    report = check_log(log, "strict")
    assert ([v.line for v in report.violations], report.late) == ([2], 1)
    assert report.outcomes["unfinished"] == 1  # COMPLETED at 12 came after RUNNING at 15


OBSERVATIONS = st.lists(
    st.tuples(st.sampled_from("abc"), st.integers(0, 22), st.integers(0, 12)), max_size=40
)


@given(OBSERVATIONS, st.sampled_from(["strict", "polled"]))
def test_a_log_is_judged_as_a_tracker_judges_it_live(
    rows: list[tuple[str, int, int]], mode: str
) -> None:
    """One rule: checking a log after the fact and feeding its lines to a Tracker agree on every
    count, every job's final status and which jobs violate, late lines included."""
    report = scan_log(
        io.BytesIO(b"\n".join(line(j, s, float(t)) for j, s, t in rows)), "jsonl", mode, listed=None
    )
    tracker = Tracker(mode=mode, thread_safe=False)
    violating: set[str] = set()
    tracker.on_violation(lambda v: violating.add(v.job_id))
    for job, status, at in rows:
        tracker.observe(job, status, float(at))
    counts = tracker.counts()
    assert (report.violation_count, report.late) == (counts.violations, counts.late)
    assert report.inferred == counts.inferred
    assert {v.job_id for v in report.violations} == violating
    assert report.jobs == len(tracker)
    assert report.outcomes["unfinished"] == tracker.summary()["active"]
    finals = check_log(
        read_log(io.BytesIO(b"\n".join(line(j, s, float(t)) for j, s, t in rows))), mode
    )
    assert finals == report


@given(OBSERVATIONS, st.sampled_from(["strict", "polled"]))
def test_a_job_in_time_order_is_judged_as_validate_history_judges_it(
    rows: list[tuple[str, int, int]], mode: str
) -> None:
    """For lines in time order, each job's violations, inferred jumps and final status are those
    validate_history gives for its statuses."""
    rows = sorted(rows, key=lambda row: row[2])
    report = scan_log(
        io.BytesIO(b"\n".join(line(j, s, float(t)) for j, s, t in rows)), "jsonl", mode, listed=None
    )
    assert report.late == 0
    histories = {job: [s for j, s, _ in rows if j == job] for job in "abc"}
    judged = {job: validate_history(seen, mode) for job, seen in histories.items() if seen}
    assert report.violation_count == sum(len(h.violations) for h in judged.values())
    assert report.inferred == sum(len(h.inferred) for h in judged.values())
    assert report.inferred_statuses == sum(
        len(i.skipped) for h in judged.values() for i in h.inferred
    )
    assert report.violating == sum(not h.ok for h in judged.values())
    finished = sum(h.final is not None and h.final.is_terminal for h in judged.values())
    assert report.jobs - report.unfinished == finished


def test_report_to_dict_caps_errors() -> None:
    """to_dict lists violations and at most max_errors bad lines, saying how many were left."""
    log = read(b"\n\n\n" + line("a", 8, 0) + b"\n" + line("a", 7, 1))
    data = check_log(log).to_dict(max_errors=2)
    assert data["errors"] == [
        {"line": 1, "message": "empty line; expected a JSON object with job_id, status and time"},
        {"line": 2, "message": "empty line; expected a JSON object with job_id, status and time"},
    ]
    assert data["errors_omitted"] == 1
    assert data["violations"][0]["line"] == 5
    assert (data["lines"], data["observations"], data["rejected"]) == (5, 2, 3)


def test_count_moves_strict_counts_observed_pairs() -> None:
    """Strict counting: each observed change once, undeclared ones included, repeats ignored."""
    log = jsonl(("a", 7, 0), ("a", 7, 1), ("a", 8, 2), ("a", 7, 3), ("a", 10, 4), ("b", 7, 0))
    assert count_moves(log) == {(S.WAITING, S.RUNNING): 1, (S.RUNNING, S.WAITING): 1,
                                (S.RUNNING, S.COMPLETED): 1}  # fmt: skip


def test_count_moves_polled_spreads_jumps_over_the_inferred_path() -> None:
    """Polled counting puts an accepted jump on every edge of its inferred path."""
    log = jsonl(("a", 1, 0), ("a", 7, 1), ("b", 4, 0), ("b", 7, 1))
    assert count_moves(log, mode="polled") == {
        (S.INIT, S.SUBMIT_TRYING): 1,
        (S.SUBMIT_TRYING, S.WAITING): 2,
    }


# -- regressions: jobs without accepted lines, time range, failed responses, CSV hints -----------


def test_csv_job_seen_only_on_rejected_lines_is_not_a_job() -> None:
    """A job id that appears only on rejected CSV lines is not interned, and the log checks."""
    log = read(b"a,8,1\nb,FOO,2\n", name="x.csv")
    assert log.job_ids == ["a"]
    report = check_log(log)
    assert (report.jobs, report.rejected, report.outcomes["unfinished"]) == (1, 1, 1)


def test_json_lines_read_as_csv_are_no_csv_log() -> None:
    """JSON lines read as CSV are refused whole, saying how to read them."""
    with pytest.raises(UnreadableLog, match=r"first line is JSON, not CSV.*--input-format jsonl"):
        read(line("a") + b"\n" + line("b") + b"\n", "csv", name="x.jsonl")


@pytest.mark.parametrize("header", [b"id,state,timestamp", b"job,state,when", b"name,phase,at"])
def test_a_csv_header_of_other_names_is_unreadable(header: bytes) -> None:
    """A first line of names that are not the columns (no number, no time in it) is a header the
    log cannot be read by: the log is refused, naming the header."""
    with pytest.raises(UnreadableLog, match="names none of the columns job_id, status and time"):
        read(header + b"\nj1,1,2026-03-01T08:00:00Z\n", name="x.csv")


def test_a_bad_first_csv_line_of_data_gets_a_header_hint() -> None:
    """A first line with a number or a time in it is data; rejected, it hints at the header."""
    log = read(b"job,state,2026-03-01T08:00:00Z\nj1,1,2026-03-01T08:00:00Z\n", name="x.csv")
    assert [(o.job_id, o.line) for o in log] == [("j1", 2)]
    assert "if this is a header, name the columns job_id,status,time" in log.errors[0].problem


def test_csv_header_without_job_id_is_unreadable() -> None:
    """A header naming status and time but not job_id is a header problem naming job_id."""
    with pytest.raises(UnreadableLog, match="no 'job_id' column"):
        read(b"status,time\n8,1772352000\n", name="x.csv")


@pytest.mark.parametrize(("sep", "name"), [(b";", "semicolons"), (b"\t", "tabs")])
def test_csv_other_delimiter_gets_a_hint(sep: bytes, name: str) -> None:
    """A line split by semicolons or tabs but no comma says what separates its fields."""
    log = read(sep.join([b"a", b"8", b"1772352000"]) + b"\n", name="x.csv")
    assert f"separated by {name}" in log.errors[0].problem


def test_check_log_ignores_jobs_without_observations() -> None:
    """A job interned without an accepted observation is not counted and does not crash."""
    log = read(line("a") + b"\n")
    log.job_ids.append("ghost")
    report = check_log(log)
    assert (report.jobs, report.conforming, sum(report.outcomes.values())) == (1, 1, 1)


@pytest.mark.parametrize(
    "value", [1e300, -1.0, -1e12, "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", 3e14, "1e300"]
)
def test_parse_time_rejects_out_of_range(value: object) -> None:
    """A finite time before 1970 or past 9999 (after ms conversion) names the accepted range."""
    with pytest.raises(InvalidTime, match=r"expected a time between 1970-01-01.*out of range"):
        parse_time(value)


def test_parse_time_accepts_the_range_ends() -> None:
    """The first second of 1970 and the last of 9999 are accepted."""
    assert parse_time(0) == 0
    assert parse_time("9999-12-31T23:59:59Z") == 253402300799.0


def test_absurd_time_is_a_bad_line_not_a_reorder() -> None:
    """A time of 1e300 is rejected, so the job's other lines are judged in file order."""
    data = b"\n".join([line(status=7, time=T0), line(status=10, time=1e300), line(time=T0 + 30)])
    log = read(data + b"\n")
    assert [e.line for e in log.errors] == [2]
    assert "1e+300" in log.errors[0].problem
    assert "9999-12-31" in log.errors[0].problem
    assert check_log(log).late == 0


def test_modelarts_time_out_of_range_is_rejected() -> None:
    """A ModelArts create_time + duration past 9999 is a bad line naming the sum."""
    log = read(modelarts(create_time=1e300), "modelarts")
    assert "create_time + duration" in log.errors[0].problem
    assert "out of range" in log.errors[0].problem


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"duration": -5}, "duration -5 is negative"),
        ({"duration": "-5"}, "duration '-5' is negative"),
        ({"duration": "inf"}, "duration 'inf' is not a number of milliseconds"),
        ({"duration": "nan"}, "duration 'nan' is not a number of milliseconds"),
        ({"duration": "-inf"}, "duration '-inf' is not a number of milliseconds"),
        ({"duration": True}, "duration True is not a number of milliseconds"),
        ({"create_time": -1, "duration": 1772352060001}, "create_time -1 is negative"),
    ],
)
def test_modelarts_negative_or_non_finite_milliseconds_are_rejected(
    fields: dict[str, object], reason: str
) -> None:
    """A negative or non-finite duration (or create_time) is a bad line saying what is accepted,
    so it cannot place a poll before the job's earlier ones and fake a violation."""
    data = b"\n".join(
        [
            modelarts(status=8, duration=0),
            modelarts(status=10, duration=60000),
            modelarts(status=1, **fields),
        ]
    )
    log = read(data + b"\n", "modelarts")
    assert [e.line for e in log.errors] == [3]
    assert reason in log.errors[0].problem
    assert "0 or more" in log.errors[0].problem
    assert check_log(log, "strict").ok is False
    assert check_log(log, "strict").violations == ()


def test_blank_or_control_character_job_ids_are_not_jobs() -> None:
    """Ids the library refuses (blank) and ids with control characters are bad lines in every
    format, and no job is counted for them."""
    jsonl = read(line(job=" ") + b"\n" + line(job="a\x01") + b"\n" + line(job="ok") + b"\n")
    csv_log = read(b'job_id,status,time\n  ,8,5\n"a\x1fb",8,5\nok,8,5\n', name="x.csv")
    records = b"\n".join(
        [modelarts(job_id="  "), modelarts(version_id=" "), modelarts(job_id="a\rb")]
    )
    ma = read(records + b"\n", "modelarts")
    assert [e.line for e in jsonl.errors] == [1, 2]
    assert [e.line for e in csv_log.errors] == [2, 3]
    assert "(it is blank)" in csv_log.errors[0].problem
    assert [e.problem.split(" is not")[0] for e in ma.errors] == [
        "job_id '  '",
        "version_id ' '",
        "job_id 'a\\rb/3'",
    ]
    assert jsonl.job_ids == ["ok"]
    assert csv_log.job_ids == ["ok"]
    assert check_log(ma).jobs == 0


@pytest.mark.parametrize("job", ["作业-1", "a\u00a0b", "👩\u200d💻", " padded ", "a/b"])
def test_printable_and_non_ascii_job_ids_are_accepted(job: str) -> None:
    """Only blank ids and C0 controls or DEL are refused: non-ASCII spaces and joiners are kept."""
    log = read(line(job=job) + b"\n")
    assert log.errors == []
    assert log.job_ids == [job]


def test_modelarts_failed_response_names_error_code_and_error_msg() -> None:
    """A v1 failed response (error_code, error_msg) in a .jsonl log is named as such."""
    failed = {"is_success": False, "error_code": "ModelArts.0104", "error_msg": "job not found"}
    log = read(json.dumps(failed).encode() + b"\n")
    problem = log.errors[0].problem
    assert "failed API response" in problem
    assert "'ModelArts.0104'" in problem
    assert "'job not found'" in problem
    assert "missing field" not in problem


def test_check_counts_a_refused_status_repeated_once() -> None:
    """In a log, polls repeating a refused status are one violation; count_moves agrees."""
    lines = b"".join(
        b'{"job_id": "j", "status": %d, "time": %d}\n' % (s, t)
        for t, s in enumerate([1, 7, 7, 7, 8])
    )
    log = read_log(io.BytesIO(lines))
    report = check_log(log, "strict")
    assert [v.line for v in report.violations] == [2, 5]
    assert count_moves(log, mode="strict") == {
        (JobStatus.INIT, JobStatus.WAITING): 1,
        (JobStatus.INIT, JobStatus.RUNNING): 1,
    }


# -- hardening: CSV lines the csv module refuses, long lines, binary files, bounded listings ------


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (b"a\rb,1,1", "a carriage return inside the line"),
        (b'"a",8\r,5', "a carriage return inside the line"),
        (b'"' + b"x" * 131_073 + b'",8,5', "not a line of CSV (field larger than field limit"),
    ],
    ids=["cr-in-unquoted", "cr-in-quoted", "field-over-limit"],
)
def test_csv_line_the_csv_module_refuses_is_one_bad_line(bad: bytes, reason: str) -> None:
    """A line the csv module would raise on is a bad line; read_log and scan_log read the rest."""
    data = b"job_id,status,time\n" + bad + b"\nc,8,5\n"
    for first in (data, data.split(b"\n", 1)[1]):  # with a header, and as the first line
        log = read(first, name="x.csv")
        assert ([o.job_id for o in log], log.rejected) == (["c"], 1)
        assert reason in log.errors[0].problem
        assert len(log.errors[0].problem) < 300
        report = scan_log(io.BytesIO(first), name="x.csv")
        assert (report.observations, report.rejected, report.jobs) == (1, 1, 1)


class Chunks:
    """A stream whose read() hands out at most ``size`` bytes at a time, whatever is asked."""

    def __init__(self, data: bytes, size: int) -> None:
        self.data, self.size, self.at = data, size, 0

    def read(self, n: int) -> bytes:
        piece = self.data[self.at : self.at + min(n, self.size)]
        self.at += len(piece)
        return piece


@pytest.mark.parametrize("where", ["first", "middle", "last", "last-without-newline"])
@pytest.mark.parametrize("size", [1 << 20, 4096])
def test_a_line_over_max_line_is_one_bad_line(where: str, size: int) -> None:
    """A line longer than MAX_LINE is one bad line saying its length; the lines around it are
    read with their numbers, whatever the chunks the stream returns."""
    long = line(time="x" * (MAX_LINE + 10))
    rows = [line("a", 7, T0), line("a", 8, T0 + 1)]
    at = {"first": 0, "middle": 1}.get(where, 2)
    rows.insert(at, long)
    data = b"\n".join(rows) + (b"" if where == "last-without-newline" else b"\n")
    log = read_log(Chunks(data, size))  # type: ignore[arg-type]
    assert (len(log), log.rejected, log.lines_read) == (2, 1, 3)
    (error,) = log.errors
    assert error.line == at + 1
    assert f"a line of {len(long):,} bytes, longer than the longest line read" in error.problem
    assert len(error.problem) < 300


def test_a_line_of_max_line_bytes_is_read() -> None:
    """MAX_LINE bytes (the line ending not counted) is still a line."""
    padded = line("a", 8, T0)[:-1]
    padded = padded + b" " * (MAX_LINE - len(padded) - 1) + b"}"
    assert len(padded) == MAX_LINE
    log = read_log(Chunks(padded + b"\r\n" + line("b") + b"\n", 65536))  # type: ignore[arg-type]
    assert (len(log), log.rejected) == (2, 0)


@pytest.mark.parametrize(
    "data", [b"a,8,1772352000\nb,8,1772352000\n", b'[\n  {\n    "job_id": "a"\n  }\n]\n']
)
@pytest.mark.parametrize("fmt", ["jsonl", "modelarts"])
def test_a_file_without_a_json_object_is_no_json_log(data: bytes, fmt: str) -> None:
    """CSV lines or a pretty-printed JSON document read as JSON Lines are refused whole."""
    with pytest.raises(UnreadableLog, match=r"none of its first \d+ lines is a JSON object"):
        scan_log(io.BytesIO(data), fmt)


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "binary data"),
        ('{"job_id": "a", "status": 8, "time": 0}\n'.encode("utf-16"), r"UTF-16 \(or UTF-32\)"),
        ('{"job_id": "a", "status": 8, "time": 0}\n'.encode("utf-16-le"), "UTF-16 text without"),
        (bytes(range(256)) * 64, "binary data"),
    ],
    ids=["png", "utf-16-bom", "utf-16-no-bom", "random"],
)
@pytest.mark.parametrize("fmt", ["auto", "jsonl", "csv", "modelarts"])
def test_a_file_that_is_not_text_is_no_log(data: bytes, what: str, fmt: str) -> None:
    """Binary and UTF-16 files are refused whole, in every format, by read_log and scan_log."""
    for reader in (read_log, scan_log):
        with pytest.raises(UnreadableLog, match=what) as caught:
            reader(io.BytesIO(data), fmt, name="pic.png")
        assert "\n" not in str(caught.value)


def test_unknown_status_names_are_searched_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The did-you-mean search runs once per distinct unknown value, not once per line."""
    import jobfsm.vocabulary
    from jobfsm.vocabulary import Vocabulary

    calls: list[str] = []
    real = jobfsm.vocabulary._suggest

    def counting(vocab: Vocabulary, text: str) -> tuple[str, ...]:
        # Each lifecycle tried on the log's first lines looks a spelling up once.
        if vocab.name == "modelarts-v1":
            calls.append(text)
        return real(vocab, text)

    monkeypatch.setattr(jobfsm.vocabulary, "_suggest", counting)
    names = ["RUNING", "FOO", "COMPLETE"]
    data = b"\n".join(line("a", names[i % 3], T0 + i) for i in range(300)) + b"\n"
    report = scan_log(io.BytesIO(data))
    assert report.rejected == 300
    assert sorted(calls) == sorted(names)
    assert "did you mean RUNNING" in report.errors[0].problem
    csv_data = b"".join(b"a,%s,%d\n" % (names[i % 3].encode(), i) for i in range(300))
    calls.clear()
    assert read(csv_data, name="x.csv").rejected == 300
    assert sorted(calls) == sorted(names)


def test_long_values_are_cut_in_messages() -> None:
    """A megabyte-long time, status or job id is shown in 80 characters, not in full."""
    big = "9" * 500_000
    rows = [line(time=big), line(status=big), line(job="a\x01" + big), line(status=10**30)]
    log = read(b"\n".join(rows) + b"\n")
    assert log.rejected == 4
    assert all(len(e.problem) < 400 for e in log.errors)


def test_scan_log_lists_the_first_entries_and_counts_the_rest() -> None:
    """listed bounds the bad lines and violations kept; the counts and the verdict are whole."""
    rows = [line("a", 8, T0)] + [line("a", 7 if i % 2 else 8, T0 + i) for i in range(1, 101)]
    rows += [b"{oops"] * 30
    data = b"\n".join(rows) + b"\n"
    report = scan_log(io.BytesIO(data), mode="strict", listed=3)
    assert (len(report.violations), report.violation_count) == (3, 50)
    assert (len(report.errors), report.rejected) == (3, 30)
    assert [v.line for v in report.violations] == [2, 4, 6]
    full = check_log(read(data), "strict")
    assert (full.violation_count, full.rejected, full.jobs) == (50, 30, 1)
    assert full.violations[:3] == report.violations
    shown = report.to_dict(max_errors=2)
    assert (len(shown["violations"]), shown["violations_omitted"]) == (2, 48)
    assert (len(shown["errors"]), shown["errors_omitted"]) == (2, 28)
    with pytest.raises(InvalidArgument, match="listed -1"):
        scan_log(io.BytesIO(data), listed=-1)


def test_scan_log_memory_does_not_grow_with_lines() -> None:
    """Memory follows the jobs: four times the lines of the same 50 jobs, about the same peak."""
    import tracemalloc

    def peak(count: int) -> int:
        data = b"".join(line(f"j{i % 50}", 8, T0 + i) + b"\n" for i in range(count))
        stream = io.BytesIO(data)
        tracemalloc.start()
        try:
            report = scan_log(stream)
            assert report.observations == count
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(60_000), peak(240_000)
    assert large < small * 1.3


def test_count_moves_and_scan_log_count_alike() -> None:
    """The moves scan_log counts are count_moves' of the same lines."""
    data = b"\n".join(
        line(j, s, t)
        for j, s, t in [("a", 1, 0), ("a", 7, 1), ("a", 10, 2), ("b", 8, 0), ("b", 7, 1)]
    )
    log = read(data)
    for mode in ("strict", "polled"):
        assert scan_log(io.BytesIO(data), mode=mode).moves == count_moves(log, mode=mode)
