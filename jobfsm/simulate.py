"""Realistic poll logs of a fleet of training jobs, for demos, tests and benchmarks.

Each job walks a random legal lifecycle over the declared edges, weighted towards the main path
(INIT → IMAGE_CREATING → SUBMIT_TRYING → WAITING → RUNNING → COMPLETED), spending a realistic,
random time in each status (seconds to submit, minutes queueing, hours running). A poller looks
at every job at a fixed interval with jitter, so short statuses are missed and long ones
repeated; the lines of all jobs are interleaved in time order. Optional faults are injected at a
rate per observation: illegal moves, malformed lines, unknown statuses and late lines. The same
seed gives the same log, byte for byte.

A log grows with the jobs and their lifetimes over the poll interval: at the default 30 s, some
120 lines and 9 KB a job, so a million jobs make about 9 GB. :meth:`Simulation.estimate` says how
much before any line is made (``jobfsm simulate`` prints it at a terminal, with a progress bar for
long runs), and :func:`write_log` reports its progress as it writes.
"""

from __future__ import annotations

import array
import heapq
import json
import math
import os
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Final

from jobfsm._files import atomic_open
from jobfsm.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from jobfsm.vocabulary import Outcome, Status

__all__ = [
    "ESTIMATE_SAMPLE",
    "FAULT_KINDS",
    "MAX_ARRIVALS",
    "MAX_JOBS",
    "MAX_POLL_INTERVAL",
    "MIN_POLL_INTERVAL",
    "PROGRESS_LINES",
    "Simulation",
    "write_log",
]


#: The kinds of fault a simulation injects, in the order :attr:`Simulation.faults` lists them.
FAULT_KINDS: Final = ("illegal", "malformed", "unknown_status", "late")

#: How strongly a walk prefers to move into each status, by lifecycle and status name (a policy;
#: the edges come from the lifecycle). A lifecycle not listed gets :func:`_default_policy`'s.
_PREFERENCE: Final[dict[str, dict[str, float]]] = {
    "modelarts-v1": {
        "UNKNOWN": 0.02,
        "IMAGE_CREATING": 6.0,
        "SUBMIT_TRYING": 4.0,
        "WAITING": 20.0,
        "RUNNING": 20.0,
        "COMPLETED": 16.0,
        "CHECK_INIT": 0.4,
        "CHECK_RUNNING": 20.0,
        "CHECK_RUNNING_COMPLETED": 20.0,
        "KILLING": 0.3,
        "KILLED": 4.0,
        "SCALING": 0.4,
    },
    "modelarts-v2": {
        "Pending": 20.0,
        "Running": 20.0,
        "Completed": 16.0,
        "Terminating": 0.4,
        "Terminated": 4.0,
    },
}
#: Everything not listed: rare (failures, cancellations).
_RARE: Final = 0.15

#: Mean seconds spent in each active status (exponentially distributed), by lifecycle and name.
_MEAN_SECONDS: Final[dict[str, dict[str, float]]] = {
    "modelarts-v1": {
        "UNKNOWN": 45.0,
        "INIT": 8.0,
        "IMAGE_CREATING": 150.0,
        "SUBMIT_TRYING": 12.0,
        "WAITING": 600.0,
        "RUNNING": 3600.0,
        "KILLING": 30.0,
        "SCALING": 180.0,
        "CHECK_INIT": 10.0,
        "CHECK_RUNNING": 300.0,
        "CHECK_RUNNING_COMPLETED": 6.0,
    },
    "modelarts-v2": {"Creating": 160.0, "Pending": 600.0, "Running": 3600.0, "Terminating": 30.0},
}
#: An active status not listed: half a minute.
_MEAN_DEFAULT: Final = 30.0
#: Values no lifecycle knows, injected as "unknown_status" faults: codes out of range where a
#: vocabulary's clients report codes, else phase words pollers wrongly expect.
_UNKNOWN_NUMERIC: Final = (23, -1, "FOO")
_UNKNOWN_WORDS: Final = ("FOO", "Succeeded", "Error")


def _policy(lifecycle: Lifecycle) -> tuple[dict[Status, float], dict[Status, float]]:
    """The walk's preference and mean time per status of ``lifecycle``: the declared policy of a
    built-in vocabulary, else successes preferred to failures and every other move alike."""
    name = lifecycle.statuses.vocabulary.name
    if name in _PREFERENCE:
        pref, mean = _PREFERENCE[name], _MEAN_SECONDS[name]
        return (
            {s: pref.get(s.name, _RARE) for s in lifecycle.statuses},
            {s: mean.get(s.name, _MEAN_DEFAULT) for s in lifecycle.statuses},
        )
    preference: dict[Status, float] = {}
    for s in lifecycle.statuses:
        if s is lifecycle.gap:
            preference[s] = 0.02
        elif s.outcome is Outcome.SUCCEEDED or s.is_active:
            preference[s] = 10.0
        else:
            preference[s] = 0.5
    return preference, dict.fromkeys(lifecycle.statuses, _MEAN_DEFAULT * 4)


_MAX_MOVES: Final = 60
_CSV_HEADER: Final = "job_id,status,time"
#: 2026-03-01T00:00:00Z, so that generated logs do not depend on the clock.
_EPOCH: Final = 1772323200.0
#: Seconds between polls: at least one, so a log's size stays bounded by the jobs' lifetimes
#: (a job lives hours, so a few thousand polls), and at most a day.
MIN_POLL_INTERVAL: Final = 1.0
MAX_POLL_INTERVAL: Final = 86400.0
#: At most a million jobs: memory grows with the jobs polled at one time, under 1 KB per job
#: (about 0.7 KB at the default interval), and a million jobs already make some 120 million lines.
MAX_JOBS: Final = 1_000_000
#: At most a year of submissions, so every generated time is a representable date.
MAX_ARRIVALS: Final = 366 * 86400.0


#: How many jobs' walks :meth:`Simulation.estimate` draws (a few milliseconds' work).
ESTIMATE_SAMPLE: Final = 2000
#: Lines a fault adds per observation: illegal moves, bad lines and unknown statuses add one;
#: a late line (a quarter of the faults) is only moved.
_EXTRA_PER_FAULT: Final = 0.75
#: write_log reports its progress once per this many lines.
PROGRESS_LINES: Final = 10_000


def _iso(seconds: float) -> str:
    moment = datetime.fromtimestamp(round(seconds, 3), timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Simulation:
    """A reproducible poll log of ``jobs`` jobs.

    Args:
        jobs: how many jobs, 0 up to :data:`MAX_JOBS`.
        seed: the random seed; the same seed gives the same lines.
        poll_interval: seconds between two polls of a job (each poll jittered by ±20 %).
        faults: the probability, per observation, of injecting one fault (0 for none).
        fmt: ``"jsonl"`` or ``"csv"`` (with a header line).
        lifecycle: the declared moves the walks follow.
        arrivals: seconds over which job submissions are spread (0 up to :data:`MAX_ARRIVALS`).

    Raises:
        ValueError: an argument out of range (``jobs`` must lie between 0 and :data:`MAX_JOBS`,
            ``poll_interval`` between :data:`MIN_POLL_INTERVAL` and :data:`MAX_POLL_INTERVAL`;
            NaN is never accepted).

    After :meth:`lines` is exhausted, :attr:`faults_injected` counts the faults by kind and
    :attr:`observations` the genuine polls (an injected illegal move is an extra line).

    >>> sim = Simulation(2, seed=7)
    >>> lines = list(sim.lines())
    >>> lines[0]
    '{"job_id": "job-0000...", "status": 1, "time": "2026-03-01T...Z"}'
    >>> sim.faults_injected["illegal"]
    0
    """

    def __init__(
        self,
        jobs: int,
        seed: int = 0,
        *,
        poll_interval: float = 30.0,
        faults: float = 0.0,
        fmt: str = "jsonl",
        lifecycle: Lifecycle = DEFAULT_LIFECYCLE,
        arrivals: float = 6 * 3600.0,
    ) -> None:
        if not 0 <= jobs <= MAX_JOBS:
            raise ValueError(f"jobs {jobs!r} must be between 0 and {MAX_JOBS:,}")
        # Written as "not inside" so that NaN, which compares false to everything, is refused.
        if not MIN_POLL_INTERVAL <= poll_interval <= MAX_POLL_INTERVAL:
            raise ValueError(
                f"poll interval {poll_interval!r} must be between {MIN_POLL_INTERVAL:g} and "
                f"{MAX_POLL_INTERVAL:g} seconds"
            )
        if not 0.0 <= faults <= 1.0:
            raise ValueError(f"fault rate {faults!r} must be between 0 and 1")
        if not (math.isfinite(arrivals) and 0.0 <= arrivals <= MAX_ARRIVALS):
            raise ValueError(
                f"arrivals {arrivals!r} must be between 0 and {MAX_ARRIVALS:g} seconds"
            )
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"format {fmt!r} is not one of 'jsonl', 'csv'")
        self.jobs = jobs
        self.seed = seed
        self.poll_interval = float(poll_interval)
        self.fault_rate = float(faults)
        self.fmt = fmt
        self.lifecycle = lifecycle
        self._preference, self._mean = _policy(lifecycle)
        self.arrivals = float(arrivals)
        self.faults_injected: Counter[str] = Counter(dict.fromkeys(FAULT_KINDS, 0))
        self.observations = 0
        # Statuses with no legal chain from a status (not even via skipped ones): illegal targets.
        self._unreachable = {
            s: tuple(
                t for t in lifecycle.statuses if t != s and lifecycle.shortest_path(s, t) is None
            )
            for s in lifecycle.statuses
        }
        running = [s for s in lifecycle.statuses if s.is_active and s is not lifecycle.gap]
        #: The secondary phase written with each status, by the status as reported.
        self._details: dict[object, str] = {
            s.reported: s.details[0] for s in lifecycle.statuses if s.details
        }
        #: A status reported in lines made unreadable on purpose.
        self._sample = (running[len(running) // 2] if running else lifecycle.initial).reported
        self._unknown = (
            _UNKNOWN_NUMERIC if lifecycle.statuses.vocabulary.numeric else _UNKNOWN_WORDS
        )

    def estimate(self) -> tuple[int, int]:
        """About how many lines and bytes :meth:`lines` gives, without making them.

        Each job is polled about once per interval over its lifetime, plus once when it starts;
        the lifetimes are those of the first :data:`ESTIMATE_SAMPLE` jobs' own walks, so a fleet
        of a few hundred jobs or more is estimated within some 10 %. The bytes count newlines.

        >>> lines, size = Simulation(1000, seed=1).estimate()
        >>> 100_000 < lines < 140_000, 60 < size / lines < 80
        (True, True)
        """
        header = 1 if self.fmt == "csv" else 0
        header_bytes = header * len(self._header() + "\n")
        if not self.jobs:
            return header, header_bytes
        master = random.Random(self.seed)
        sample = [master.getrandbits(64) for _ in range(min(self.jobs, ESTIMATE_SAMPLE))]
        seconds = sum(sum(t for _, t in self.walk(random.Random(s))) for s in sample)
        # The first poll lands within a fifth of an interval of the start, the last one after the
        # end: one and a half polls a job beyond its lifetime over the interval.
        polls = self.jobs * (seconds / len(sample) / self.poll_interval + 1.5)
        lines = polls * (1 + self.fault_rate * _EXTRA_PER_FAULT)
        # Job ids are job-00000 to job-99999, then a digit wider per power of ten.
        ids = range(0, self.jobs, max(1, self.jobs // 1000))
        width = sum(max(5, len(str(job))) for job in ids) / len(ids)
        per_line = len(self._line("job-" + "0" * round(width), self._sample, _EPOCH)) + 1
        return header + round(lines), header_bytes + round(lines * per_line)

    def walk(self, rng: random.Random) -> list[tuple[Status, float]]:
        """One random legal lifecycle: each status with the seconds spent in it (terminal: 0)."""
        lc = self.lifecycle
        status = lc.initial
        before_gap = status
        steps: list[tuple[Status, float]] = []
        while True:
            if status.is_terminal:
                steps.append((status, 0.0))
                return steps
            steps.append((status, rng.expovariate(1.0 / self._mean[status])))
            if status is lc.gap:
                # A reporting gap ends where the job was, or one move further along.
                options = sorted({before_gap, *lc.allowed_next(before_gap)} - {lc.gap})
            else:
                before_gap = status
                options = sorted(lc.allowed_next(status))
                if len(steps) > _MAX_MOVES:
                    options = [t for t in options if t.is_terminal] or options
            weights = [self._preference[t] for t in options]
            nxt = rng.choices(options, weights)[0]
            if nxt == status:
                continue
            status = nxt

    def _first_poll(self, rng: random.Random) -> tuple[list[tuple[Status, float]], float, float]:
        """A job's walk, its submission time and the time of its first poll."""
        steps = self.walk(rng)
        start = _EPOCH + rng.uniform(0.0, self.arrivals)
        return steps, start, start + rng.uniform(0.0, self.poll_interval * 0.2)

    def _polls(self, rng: random.Random) -> Iterator[tuple[float, Status]]:
        """What the poller sees of one job: (time, status) at each poll until a terminal status."""
        steps, start, t = self._first_poll(rng)
        interval = self.poll_interval
        index = 0
        ends = start + steps[0][1]
        while True:
            while index < len(steps) - 1 and t >= ends:
                index += 1
                ends += steps[index][1]
            status = steps[index][0]
            yield t, status
            if status.is_terminal:
                return
            t += interval * rng.uniform(0.8, 1.2)

    def _header(self) -> str:
        return _CSV_HEADER + (",secondary_phase" if self._details else "")

    def _line(self, job_id: str, status: object, when: float) -> str:
        # A lifecycle with secondary phases (ModelArts v2) reports one with each phase, as the
        # platform does: the first one declared for it.
        detail = self._details.get(status) if self._details else None
        if self.fmt == "csv":
            tail = f",{detail}" if self._details else ""
            return f"{job_id},{status},{_iso(when)}{tail}"
        record = {"job_id": job_id, "status": status, "time": _iso(when)}
        if detail is not None:
            record["secondary_phase"] = detail
        return json.dumps(record)

    def _garbage(self, rng: random.Random, job_id: str, when: float) -> str:
        """A line no reader accepts: cut short, empty, a field missing, a bad time or binary."""
        good = self._line(job_id, self._sample, when)
        choice = rng.randrange(5)
        if choice == 0:
            # A proper prefix of a JSON object is never JSON; a CSV line loses its time field.
            end = len(good) - 1 if self.fmt == "jsonl" else good.index(",", len(job_id) + 1)
            return good[: rng.randrange(1, end)]
        if choice == 1:
            return ""
        if choice == 2:
            if self.fmt == "jsonl":
                return good.replace('"time"', '"tme"')
            return f"{job_id},{self._sample}"
        if choice == 3:
            return good.replace(_iso(when), "not-a-time")
        return "\x00\x00\x7f\x00 binary"

    def lines(self) -> Iterator[str]:
        """The log, one line at a time (without newlines), in poll order."""
        self.faults_injected = Counter(dict.fromkeys(FAULT_KINDS, 0))
        self.observations = 0
        if self.fmt == "csv":
            yield self._header()
        master = random.Random(self.seed)
        seeds = array.array("Q", (master.getrandbits(64) for _ in range(self.jobs)))
        fault_rng = random.Random(master.getrandbits(64))
        held: dict[int, str] = {}
        seen = bytearray(self.jobs)
        for when, job, status in self._merged(seeds):
            job_id = f"job-{job:05d}"
            line = self._line(job_id, status.reported, when)
            self.observations += 1
            first = not seen[job]
            seen[job] = 1
            late = held.pop(job, None)
            if self.fault_rate and fault_rng.random() < self.fault_rate:
                kind = fault_rng.choice(FAULT_KINDS)
                illegal = self._unreachable[status]
                if kind == "late" and late is None and not status.is_terminal:
                    # Delivered after the job's next observation, with its own (earlier) time.
                    held[job] = line
                    self.faults_injected[kind] += 1
                    continue
                if kind == "illegal" and not first and illegal:
                    yield line
                    line = self._line(job_id, fault_rng.choice(illegal).reported, when)
                elif kind == "unknown_status":
                    yield line
                    line = self._line(job_id, fault_rng.choice(self._unknown), when)
                else:
                    kind = "malformed"
                    yield line
                    line = self._garbage(fault_rng, job_id, when)
                self.faults_injected[kind] += 1
            yield line
            if late is not None:
                yield late
        yield from held.values()

    def _merged(self, seeds: array.array[int]) -> Iterator[tuple[float, int, Status]]:
        """Every job's polls as (time, job, status), in order of time, then job.

        A job's poller (a random generator of some 2.5 KB) is only made when the merge reaches
        its first poll, and dropped at its terminal status, so memory follows the jobs alive at
        one time rather than all of them: a few hundred bytes per job instead of some 4 KB.
        The order is the same as merging every job's polls at once, since no two polls share
        both time and job.
        """
        firsts = array.array("d", (self._first_poll(random.Random(s))[2] for s in seeds))
        order = sorted(range(len(seeds)), key=firsts.__getitem__)  # stable: ties by job
        live: list[tuple[float, int, Status, Iterator[tuple[float, Status]]]] = []
        for job in order:
            due = (firsts[job], job)
            while live and live[0][:2] < due:
                yield self._advance(live)
            polls = self._polls(random.Random(seeds[job]))
            when, status = next(polls)
            heapq.heappush(live, (when, job, status, polls))
        while live:
            yield self._advance(live)

    @staticmethod
    def _advance(
        live: list[tuple[float, int, Status, Iterator[tuple[float, Status]]]],
    ) -> tuple[float, int, Status]:
        """Take the earliest poll off the heap ``live`` and put that job's next one in its place."""
        when, job, status, polls = live[0]
        following = next(polls, None)
        if following is None:
            heapq.heappop(live)
        else:
            heapq.heapreplace(live, (following[0], job, following[1], polls))
        return when, job, status


def write_log(
    path: str | os.PathLike[str],
    simulation: Simulation,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the simulated log to ``path`` atomically; return the number of lines written.

    The log is written to a temporary file in the same directory and moved into place, so a
    reader never sees half a log; on any failure (an interrupt included) the temporary file is
    removed. A new file's permissions follow the umask, like any other file the user writes; a
    device or FIFO is written into (see :mod:`jobfsm._files`). ``progress``, when given, is
    called with the bytes written since its last call, every :data:`PROGRESS_LINES` lines and
    at the end.
    """
    count = 0
    pending = 0
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as out:
        for line in simulation.lines():
            out.write(line)
            out.write("\n")
            count += 1
            if progress is not None:
                pending += len(line) + 1
                if count % PROGRESS_LINES == 0:
                    progress(pending)
                    pending = 0
        if progress is not None and pending:
            progress(pending)
    return count
