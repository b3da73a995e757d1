"""Status logs: poll observations read from JSON Lines, CSV or ModelArts records, and judged.

A status log is what a poller writes: one observation per line, ``job_id``, ``status`` and
``time``. This package reads such logs without ever stopping on a bad line and judges every job
against the lifecycle with the rule of :func:`jobfsm.validate.validate_history` and of
:class:`jobfsm.tracker.Tracker`. :func:`scan_log` reads and judges in one pass, keeping a few
dozen bytes per job and never the observations, so its memory does not grow with the length of
the log; :func:`read_log` keeps every observation (in columns) for code that wants them, and
:func:`check_log` judges what it kept.

What is read:

- **JSON Lines**: one object per line with ``job_id`` (string or integer), ``status`` (a code
  0–22 or any name :meth:`JobStatus.parse` accepts) and ``time``.
- **CSV**: a header naming the columns ``job_id``, ``status`` and ``time`` (any order, other
  columns ignored); without a header the columns are taken as ``job_id,status,time``. A first
  line naming ``status`` or ``time`` but not ``job_id`` is a header missing a column (the log is
  unreadable), and so is a header naming one of these columns twice, and a first line that names
  none of them and holds no number or time (``id,state,timestamp``). Fields do not span lines: a
  carriage return inside a line (not its CRLF ending) makes it a bad line, and so does a quoted
  field the :mod:`csv` module refuses (one of more than 131,072 characters). A line split by
  semicolons or tabs is rejected with a hint about the delimiter.
- **ModelArts v1 records** (``get_job_info()`` responses, one per line): ``job_id``, ``status``,
  ``create_time`` (epoch milliseconds) and ``duration`` (milliseconds), each a finite number, 0
  or more (a negative one is a bad line); the observation time is ``create_time + duration``.
  When a record carries ``version_id`` the job is ``"<job_id>/<version_id>"``, because a re-run
  is a new job version with a lifecycle of its own.
  A failed response (``is_success`` false, with ``error_code`` and ``error_msg``) is a bad line
  naming both, in any JSON format.

Not a log at all: whatever the format, a file that starts with a UTF-16 or UTF-32 byte order
mark, or whose first lines (up to 100, in its first MiB) are more than half binary (holding NUL
bytes, or bytes that are not UTF-8), is refused whole with :class:`~jobfsm.errors.UnreadableLog`
(a picture, an archive, a UTF-16 export); so is a JSON Lines (or ModelArts) log none of whose
first lines (up to 100, the last one of the first MiB aside) is a JSON object (CSV read as JSON,
a pretty-printed document), and a CSV log whose first line is one of those above or JSON. A
binary or malformed line among readable lines is one bad line.

Job ids: an integer, or a string that is not blank and holds no C0 control character or DEL
(U+0000–U+001F, U+007F); any other character, non-ASCII spaces included, is kept as written
(CSV cells are stripped first). Any other id is a bad line.

Times: ISO 8601 (anything :meth:`datetime.fromisoformat` reads, plus a trailing ``Z``); a time
without a zone is read as UTC. Or epoch numbers (also as strings): a magnitude of 10**11 or more
is milliseconds, anything smaller is seconds (10**11 seconds is the year 5138, 10**11
milliseconds is March 1973). A time must lie between 1970-01-01 and 9999-12-31 UTC (what a
:class:`~datetime.datetime` can hold); anything else is a bad line naming the value.

Limits: a line holds at most :data:`MAX_LINE` bytes (1 MiB) besides its line ending; a longer
line is one bad line, read past without being held in memory. Values quoted in messages are cut
to 80 characters, and the start of a line quoted to 40 bytes.

Accounting: every line of the file is either an accepted observation or a rejected line, so
``lines == observations + rejected``; a job exists once one of its lines is accepted. Blank
lines are rejected lines (``"empty line"``); a CSV header is not a line of data and is not
counted. A UTF-8 byte order mark on the first line and CRLF line endings are accepted; a log of a
byte order mark alone has no lines.

Judging, line by line in file order, per job:

- The job's first accepted line sets its status unjudged (polling may start at any point of a
  job's life).
- A line older than the job's last *applied* line (a time strictly before it) is **late**: it is
  counted in ``late`` and otherwise ignored; it is not judged, does not move the job, and does
  not end a run of repeats. Equal times are not late: they are judged in file order. This is the
  :class:`~jobfsm.tracker.Tracker`'s rule, so a log checked after the fact and the same
  observations fed live get the same verdicts; and a job whose lines are in time order is judged
  exactly as :func:`~jobfsm.validate.validate_history` judges its statuses.
- Otherwise a status equal to the job's line before (late lines aside) is a repeat, whatever the
  verdict on that line was; a repeat of the current status advances the job's last applied time,
  a repeat of a refused status does not.
- Any other status is judged from the job's current status by :class:`~jobfsm.validate.Rules`: a
  move (or, in polled mode, a jump along a legal chain) is applied; a violation is reported and
  leaves the job where it was.

Where each part lives: :mod:`~jobfsm.logs.times` reads times (:func:`parse_time`) and
:mod:`~jobfsm.logs.statuses` status codes; :mod:`~jobfsm.logs.detect` names the format
(:class:`LogFormat`, :func:`format_of`) and refuses what is no log at all;
:mod:`~jobfsm.logs.sources` opens a log and :mod:`~jobfsm.logs.lines` cuts it into lines
(:data:`MAX_LINE`); :mod:`~jobfsm.logs.reader` holds what every reader shares, and one module per
format reads its lines: :mod:`~jobfsm.logs.jsonl`, :mod:`~jobfsm.logs.csvlog` and
:mod:`~jobfsm.logs.modelarts`; :mod:`~jobfsm.logs.observations` keeps them (:class:`ObservationLog`,
:func:`read_log`) and :mod:`~jobfsm.logs.judge` judges them (:func:`scan_log`, :func:`check_log`,
:func:`count_moves`, :class:`LogReport`).
"""

from __future__ import annotations

from jobfsm.logs.detect import LogFormat, format_of
from jobfsm.logs.judge import DEFAULT_LISTED as DEFAULT_LISTED
from jobfsm.logs.judge import UNFINISHED as UNFINISHED
from jobfsm.logs.judge import LogReport, LogViolation, check_log, count_moves, scan_log
from jobfsm.logs.lines import MAX_LINE
from jobfsm.logs.observations import Observation, ObservationLog, read_log
from jobfsm.logs.sources import LogSource as LogSource
from jobfsm.logs.times import MAX_TIME as MAX_TIME
from jobfsm.logs.times import MIN_TIME as MIN_TIME
from jobfsm.logs.times import MS_THRESHOLD as MS_THRESHOLD
from jobfsm.logs.times import parse_time

__all__ = [
    "MAX_LINE",
    "LogFormat",
    "LogReport",
    "LogViolation",
    "Observation",
    "ObservationLog",
    "check_log",
    "count_moves",
    "format_of",
    "parse_time",
    "read_log",
    "scan_log",
]
