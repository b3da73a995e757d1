"""A fake ModelArts: a local HTTP server that answers the two v2 training-job calls the SDK makes.

``POST /v2/{project_id}/training-job-searches`` (``ListTrainingJobs``: ``offset`` is the page,
from 0, ``limit`` the jobs a page, at most 50; oldest first when asked ``order: asc``) and
``GET /v2/{project_id}/training-jobs/{id}`` (``ShowTrainingJobDetails``), in the shapes of the
SDK's models (``metadata.id``, ``metadata.create_time`` in ms, ``status.phase``,
``status.secondary_phase``, ``status.duration`` in ms; ``total``, ``count``, ``limit``,
``offset`` and ``items`` on a list). Every request must carry the SDK's AK/SK signature
(``SDK-HMAC-SHA256``), checked here from the RFC-style rules the SDK signs by, so a test goes
through the real SDK: its signer, its HTTP client, its error handling.

The jobs are a :class:`FakeFleet`: each walks a random legal v2 lifecycle drawn by
:meth:`jobfsm.Simulation.walk`, created over a window of time, and :meth:`FakeFleet.tick` moves
the fleet's clock on. The server injects faults, at random rates or queued for the next requests
(:meth:`FakeModelArts.inject`): HTTP 429 with ``Retry-After``, HTTP 500, slow answers (past the
client's timeout), bodies cut short, garbage instead of JSON, connections dropped mid-body; and,
inside good answers, malformed records, stale records (an earlier state: a late observation) and
illegal phases (a violation).

Run alone (the watch benchmark does), it serves until killed and is moved on over HTTP::

    python tests/fake_modelarts.py --jobs 10000      # prints its URL on the first line
    curl -X POST URL/_fake/tick -d '{"seconds": 30}'
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import random
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from jobfsm.lifecycles import get_lifecycle
from jobfsm.simulate import Simulation
from jobfsm.vocabulary import Status

AK: Final = "fake-ak"
SK: Final = "fake-sk"
PROJECT: Final = "fake-project"
#: 2026-03-01T00:00:00Z: the fleet's clock starts here.
EPOCH: Final = 1772323200.0

#: Faults of a whole request, in the order their rates are drawn.
REQUEST_FAULTS: Final = ("throttle", "error", "slow", "truncated", "garbage", "dropped")
#: Faults of one record inside a good answer.
RECORD_FAULTS: Final = ("bad", "stale", "illegal")

V2 = get_lifecycle("modelarts-v2")
_EMPTY_HASH: Final = hashlib.sha256(b"").hexdigest()


@dataclass
class FakeJob:
    """One job: when it was created and the walk it makes (each phase with its seconds)."""

    job_id: str
    created: float
    steps: list[tuple[Status, float]]
    detail: str  # the secondary phase it reports when Abnormal

    def at(self, now: float) -> tuple[Status, float]:
        """Its phase at ``now`` and the time its clock stops (``now``, or when it ended)."""
        elapsed = now - self.created
        for status, seconds in self.steps:
            if status.is_terminal:
                return status, self.created + sum(s for _, s in self.steps)
            if elapsed < seconds:
                return status, now
            elapsed -= seconds
        raise AssertionError("a walk ends in a terminal phase")


class FakeFleet:
    """``jobs`` v2 training jobs created over ``arrivals`` seconds from :data:`EPOCH`.

    >>> fleet = FakeFleet(3, seed=1, arrivals=0.0)
    >>> [fleet.record(j)["status"]["phase"] for j in fleet.visible()]
    ['Creating', 'Creating', 'Creating']
    """

    def __init__(
        self, jobs: int, *, seed: int = 0, arrivals: float = 3600.0, step: float = 60.0
    ) -> None:
        rng = random.Random(seed)
        walker = Simulation(0, seed, lifecycle=V2)
        self.step = step
        self.now = EPOCH
        self.jobs: list[FakeJob] = []
        for n in range(jobs):
            job_rng = random.Random(rng.getrandbits(64))
            steps = walker.walk(job_rng)
            created = EPOCH + round(job_rng.uniform(0.0, arrivals), 3)
            abnormal = job_rng.choice(V2.statuses.parse("Abnormal").details)
            self.jobs.append(FakeJob(f"{n:08x}-job-{n}", created, steps, abnormal))
        self.jobs.sort(key=lambda j: (j.created, j.job_id))
        self.by_id = {j.job_id: j for j in self.jobs}
        self.lock = threading.Lock()

    def tick(self, seconds: float | None = None) -> float:
        """Move the clock on by ``seconds`` (the fleet's step by default); the new time."""
        with self.lock:
            self.now += self.step if seconds is None else seconds
            return self.now

    def visible(self) -> list[FakeJob]:
        """The jobs created by now, oldest first (ties by id), as the list call pages them."""
        return [j for j in self.jobs if j.created <= self.now]

    def all_terminal(self) -> bool:
        """Every job is created and has ended."""
        return all(j.created <= self.now and j.at(self.now)[0].is_terminal for j in self.jobs)

    def record(self, job: FakeJob, at: float | None = None, phase: Status | None = None) -> Any:
        """The job as ``ShowTrainingJobDetails`` gives it at ``at`` (now by default)."""
        when = self.now if at is None else max(at, job.created)
        status, clock = job.at(when)
        shown = phase or status
        detail = job.detail if shown.name == "Abnormal" else shown.details[0]
        state: dict[str, Any] = {"phase": shown.name, "secondary_phase": detail}
        if status.name != "Creating":  # a job that has not started has no duration yet
            state["duration"] = round((clock - job.created) * 1000)
        return {
            "kind": "job",
            "metadata": {
                "id": job.job_id,
                "name": f"train-{job.job_id[-6:]}",
                "workspace_id": "0",
                "create_time": round(job.created * 1000),
                "user_name": "fake",
            },
            "status": state,
        }


@dataclass
class FaultPlan:
    """Fault rates: per request (:data:`REQUEST_FAULTS`) and per record (:data:`RECORD_FAULTS`)."""

    request: dict[str, float] = field(default_factory=dict)
    record: dict[str, float] = field(default_factory=dict)
    retry_after: str = "1"
    slow_seconds: float = 1.0


class FakeModelArts:
    """The fake service for ``fleet``, on ``127.0.0.1`` and a free port, in a thread.

    >>> with FakeModelArts(FakeFleet(2, arrivals=0.0)) as fake:
    ...     fake.url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        fleet: FakeFleet,
        *,
        faults: FaultPlan | None = None,
        seed: int = 0,
        port: int = 0,
        keep: bool = True,
    ) -> None:
        self.fleet = fleet
        #: Keep the requests and the records delivered (a long benchmark does not).
        self.keep = keep
        self.faults = faults or FaultPlan()
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.queued: list[tuple[str, str | None]] = []
        #: Requests by route, faults by kind, and the bad records in answers the client read.
        self.stats: Counter[str] = Counter()
        #: (method, path) of every request, in order.
        self.requests: list[tuple[str, str]] = []
        #: Every record of every answer the client read whole, in order: what it observed.
        self.delivered: list[Any] = []
        handler = type("Handler", (_Handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start(self) -> FakeModelArts:
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeModelArts:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, kind: str, times: int = 1, retry_after: str | None = None) -> None:
        """Answer the next ``times`` requests with fault ``kind`` (one of
        :data:`REQUEST_FAULTS`, or ``"unavailable"``: 503), before any random fault."""
        with self.lock:
            self.queued += [(kind, retry_after)] * times

    def _request_fault(self) -> tuple[str | None, str | None]:
        with self.lock:
            if self.queued:
                return self.queued.pop(0)
            for kind in REQUEST_FAULTS:
                if self.rng.random() < self.faults.request.get(kind, 0.0):
                    return kind, None
        return None, None

    def _job_record(self, job: FakeJob) -> tuple[Any, bool]:
        """The record of ``job`` in an answer, maybe with a record fault; True for a malformed
        one."""
        fleet = self.fleet
        with self.lock:
            draws = {k: self.rng.random() < self.faults.record.get(k, 0.0) for k in RECORD_FAULTS}
            pick = self.rng.random()
        if draws["bad"]:
            return _malformed(fleet.record(job), pick), True
        if draws["stale"]:
            return fleet.record(job, at=fleet.now - fleet.step * (1.5 + 2 * pick)), False
        if draws["illegal"]:
            current = job.at(fleet.now)[0]
            unreachable = [
                s for s in V2.statuses if s != current and V2.shortest_path(current, s) is None
            ]
            if unreachable:
                return fleet.record(job, phase=unreachable[int(pick * len(unreachable))]), False
        return fleet.record(job), False

    def list_page(self, body: Any) -> tuple[int, Any, list[Any], int]:
        """The status and body of a list answer, its records, and how many are malformed."""
        page = body.get("offset", 0) if isinstance(body, dict) else 0
        limit = body.get("limit", 50) if isinstance(body, dict) else 50
        if not (
            isinstance(page, int) and page >= 0 and isinstance(limit, int) and 1 <= limit <= 50
        ):
            return (
                400,
                _error("ModelArts.2701", "offset must be 0 or more and limit 1 to 50"),
                [],
                0,
            )
        with self.fleet.lock:
            jobs = self.fleet.visible()
            if body.get("order") == "desc" or body.get("order") is None:
                jobs.reverse()
            chosen = jobs[page * limit : (page + 1) * limit]
            made = [self._job_record(j) for j in chosen]
        items = [record for record, _ in made]
        answer = {
            "total": len(jobs),
            "count": len(jobs),
            "limit": limit,
            "offset": page,
            "sort_by": body.get("sort_by", "create_time"),
            "order": body.get("order", "desc"),
            "group_by": "",
            "workspace_id": "0",
            "ai_project": "default-ai-project",
            "items": items,
        }
        return 200, answer, items, sum(bad for _, bad in made)

    def show(self, job_id: str) -> tuple[int, Any, list[Any], int]:
        """The status and body of a show answer, its record, and 1 when it is malformed."""
        with self.fleet.lock:
            job = self.fleet.by_id.get(job_id)
            if job is None or job.created > self.fleet.now:
                missing = _error("ModelArts.2722", f"training job {job_id} does not exist")
                return 404, missing, [], 0
            record, bad = self._job_record(job)
            return 200, record, [record], int(bad)


def _error(code: str, message: str) -> dict[str, str]:
    return {"error_code": code, "error_msg": message}


def _malformed(record: Any, pick: float) -> Any:
    """``record`` broken in one of five ways no reader accepts."""
    choice = int(pick * 5)
    if choice == 0:
        record["status"]["phase"] = "Exploded"
    elif choice == 1:
        record["metadata"]["create_time"] = "yesterday"  # the SDK's model refuses it too
    elif choice == 2:
        del record["metadata"]["id"]
    elif choice == 3:
        record["status"] = None
    else:
        record["status"]["duration"] = -5
    return record


def signature_problem(
    method: str, target: str, headers: dict[str, str], body: bytes, ak: str, sk: str
) -> str | None:
    """Why a request is not signed by ``ak``/``sk`` as the SDK signs (``SDK-HMAC-SHA256``), or
    None when it is."""
    auth = headers.get("authorization", "")
    algorithm, _, rest = auth.partition(" ")
    if algorithm != "SDK-HMAC-SHA256":
        return f"no SDK-HMAC-SHA256 Authorization header (got {auth[:40]!r})"
    parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
    if parts.get("Access") != ak:
        return f"unknown access key {parts.get('Access')!r}"
    signed = parts.get("SignedHeaders", "").split(";")
    if "x-sdk-date" not in signed or any(h not in headers for h in signed):
        return f"signed headers {signed} are missing from the request"
    split = urlsplit(target)
    uri = "/".join(quote(p, safe="~") for p in unquote(split.path).split("/"))
    uri += "" if uri.endswith("/") else "/"
    query = "&".join(
        f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in sorted(parse_qsl(split.query))
    )
    canonical_headers = "".join(f"{h}:{headers[h].strip()}\n" for h in signed)
    payload = hashlib.sha256(body).hexdigest() if body else _EMPTY_HASH
    payload = headers.get("x-sdk-content-sha256", payload)
    canonical = "\n".join([method, uri, query, canonical_headers, ";".join(signed), payload])
    to_sign = "\n".join(
        [algorithm, headers["x-sdk-date"], hashlib.sha256(canonical.encode()).hexdigest()]
    )
    expected = hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts.get("Signature", "")):
        return "the signature does not match"
    return None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm and delayed ACKs each
    # answer would wait some 40 ms.
    disable_nagle_algorithm = True
    fake: FakeModelArts

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the counts instead."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        fake = self.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        if fake.keep:
            with fake.lock:
                fake.requests.append((method, path))
        if path.startswith("/_fake/"):
            self._control(path, body)
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        problem = signature_problem(method, self.path, headers, body, AK, SK)
        if problem is not None:
            fake.stats["refused signatures"] += 1
            self._answer(401, _error("APIGW.0301", f"verify aksk signature fail: {problem}"))
            return
        prefix = f"/v2/{PROJECT}/"
        if not path.startswith(prefix) or headers.get("x-project-id", PROJECT) != PROJECT:
            self._answer(404, _error("APIGW.0101", "The API does not exist"))
            return
        route = path[len(prefix) :]
        kind, retry_after = fake._request_fault()
        if kind is not None:
            fake.stats[kind] += 1
        if kind == "throttle":
            self._answer(
                429,
                _error("ModelArts.0107", "Too many requests, please try again later"),
                {"Retry-After": retry_after or fake.faults.retry_after},
            )
            return
        if kind in ("error", "unavailable"):
            status = 500 if kind == "error" else 503
            self._answer(status, _error("ModelArts.0001", "Internal error"))
            return
        if kind == "slow":
            time.sleep(fake.faults.slow_seconds)
        records: list[Any] = []
        bad = 0
        if method == "POST" and route == "training-job-searches":
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                request = None
            if not isinstance(request, dict):
                status, answer = 400, _error("ModelArts.0101", "the body is not a JSON object")
            else:
                status, answer, records, bad = fake.list_page(request)
            fake.stats["list"] += 1
        elif method == "GET" and route.startswith("training-jobs/"):
            status, answer, records, bad = fake.show(unquote(route[len("training-jobs/") :]))
            fake.stats["show"] += 1
        else:
            status, answer = 404, _error("APIGW.0101", "The API does not exist")
        if kind is None:  # the client reads this answer (not one past its timeout, or broken)
            with fake.lock:
                fake.stats["bad records read"] += bad
                if fake.keep:
                    fake.delivered += records
        self._answer(status, answer, fault=kind)

    def _control(self, path: str, body: bytes) -> None:
        fleet = self.fake.fleet
        if path == "/_fake/tick":
            seconds = json.loads(body or b"{}").get("seconds")
            now = fleet.tick(seconds)
            self._answer(200, {"now": now, "all_terminal": fleet.all_terminal()})
        elif path == "/_fake/stats":
            self._answer(200, {"now": fleet.now, "stats": dict(self.fake.stats)})
        else:
            self._answer(404, _error("FAKE.404", "no such control"))

    def _answer(
        self,
        status: int,
        answer: Any,
        headers: dict[str, str] | None = None,
        fault: str | None = None,
    ) -> None:
        data = json.dumps(answer).encode()
        if fault == "garbage":
            data = b"<html><body>502 Bad Gateway</body></html>"
        elif fault == "truncated":
            data = data[: len(data) // 2]
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Request-Id", f"fake-{id(self)}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if fault == "dropped":
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client gave up (a slow answer past its timeout)


@contextmanager
def running(
    jobs: int, *, seed: int = 0, faults: FaultPlan | None = None, **fleet: Any
) -> Iterator[FakeModelArts]:
    """A started fake for a new fleet of ``jobs`` jobs, stopped afterwards."""
    with FakeModelArts(FakeFleet(jobs, seed=seed, **fleet), faults=faults, seed=seed) as fake:
        yield fake


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A fake ModelArts v2 training-job API.")
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--arrivals", type=float, default=3600.0)
    parser.add_argument("--step", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    fleet = FakeFleet(args.jobs, seed=args.seed, arrivals=args.arrivals, step=args.step)
    fake = FakeModelArts(fleet, seed=args.seed, port=args.port, keep=False)
    print(fake.url, flush=True)
    with suppress(KeyboardInterrupt):
        fake.server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
