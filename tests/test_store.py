"""The job store on SQLite and on a real PostgreSQL server: the same tests for both backends."""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pgserver import PostgresServer
from sqlalchemy import event
from sqlalchemy.engine import URL

from jobfsm import (
    DEFAULT_LIFECYCLE,
    ConcurrentUpdate,
    Guard,
    GuardRejected,
    IllegalTransition,
    InvalidArgument,
    InvalidJobId,
    InvalidTime,
    Job,
    JobExists,
    JobNotFound,
    JobStatus,
    JobStore,
    MoveRequest,
    StoreUnavailable,
    UnknownStatus,
    UnusableJobId,
)
from jobfsm.store import MAX_LIMIT, mask_url

S = JobStatus
UTC = timezone.utc
SECOND = timedelta(seconds=1)


def test_create_schema_is_idempotent(store: JobStore) -> None:
    """Creating the schema twice keeps the jobs already stored."""
    store.create("j-1")
    store.create_schema()
    assert store.get("j-1").status is S.INIT


def test_create_starts_at_version_zero(store: JobStore) -> None:
    """A created job is in INIT, with version 0, its labels, and no history."""
    record = store.create("j-1", labels={"team": "vision"})
    assert (record.status, record.version, dict(record.labels)) == (S.INIT, 0, {"team": "vision"})
    assert store.get("j-1") == record
    assert store.history("j-1") == ()


def test_create_in_any_status(store: JobStore) -> None:
    """A job first tracked late can start in the status it was seen in, given by name."""
    assert store.create("j-1", "running").status is S.RUNNING


def test_duplicate_create_is_refused(store: JobStore) -> None:
    """Creating an id twice raises JobExists naming the stored status and changes nothing."""
    store.create("j-1")
    store.transition("j-1", S.SUBMIT_TRYING)
    with pytest.raises(JobExists, match=r"'j-1' is already in the store \(now SUBMIT_TRYING"):
        store.create("j-1", labels={"a": "b"})
    assert store.get("j-1").version == 1
    assert dict(store.get("j-1").labels) == {}


@pytest.mark.parametrize("bad", [23, -1, "RUNNIN", "99"])
def test_create_unknown_status(store: JobStore, bad: object) -> None:
    """An unknown status code or name is refused with UnknownStatus before anything is written."""
    with pytest.raises(UnknownStatus):
        store.create("j-1", bad)  # type: ignore[arg-type]
    assert store.list() == []


@pytest.mark.parametrize("labels", [{"gpus": 8}, {8: "gpus"}, [("team", "vision")], "team=vision"])
def test_labels_must_be_strings(store: JobStore, labels: object) -> None:
    """Labels map strings to strings; anything else is refused naming the labels."""
    with pytest.raises(
        InvalidArgument,
        match=r"^labels .* is not accepted; expected a mapping of strings to strings",
    ) as info:
        store.create("j-1", labels=labels)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert info.value.argument == "labels"
    assert store.list() == []


UNUSABLE_IDS = [
    ("a\nb", "the control character '\\n' (U+000A)"),
    ("a\x00b", "the control character '\\x00' (U+0000)"),
    ("tab\there", "the control character '\\t' (U+0009)"),
    ("esc\x1b[31m", "the control character '\\x1b' (U+001B)"),
    ("del\x7f", "the control character '\\x7f' (U+007F)"),
    ("x" * 256, "it has 256 characters, more than the 255 a job store keeps"),
]


@pytest.mark.parametrize(("job_id", "problem"), UNUSABLE_IDS)
def test_unusable_job_ids_are_refused(store: JobStore, job_id: str, problem: str) -> None:
    """An id with a control character, or too long to keep, is refused by every call naming the
    problem, the same on both backends; nothing is written."""
    job = Job(job_id)
    for call in (
        lambda: store.create(job_id),
        lambda: store.save(job),
        lambda: store.get(job_id),
        lambda: store.history(job_id),
        lambda: store.transition(job_id, S.SUBMIT_TRYING),
        lambda: store.load(job_id),
    ):
        with pytest.raises(UnusableJobId) as info:
            call()
        assert isinstance(info.value, InvalidJobId)
        assert isinstance(info.value, ValueError)
        assert info.value.job_id == job_id
        assert problem in str(info.value)
        assert str(info.value).endswith("; expected printable text such as 'train-42'")
        assert "\n" not in str(info.value)
    assert store.list() == []


@pytest.mark.parametrize("job_id", [5, None, b"train-1", "", " \u3000"])
def test_job_ids_that_are_not_text_are_refused(store: JobStore, job_id: object) -> None:
    """A job id that is not a non-blank string is InvalidJobId everywhere, not a database error."""
    for call in (
        lambda: store.create(job_id),  # type: ignore[arg-type]
        lambda: store.get(job_id),  # type: ignore[arg-type]
        lambda: store.history(job_id),  # type: ignore[arg-type]
        lambda: store.transition(job_id, S.SUBMIT_TRYING),  # type: ignore[arg-type]
        lambda: store.load(job_id),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidJobId, match="is not a job id"):
            call()


def test_unusable_job_id_pickles_with_its_problem() -> None:
    """The error crosses process boundaries with its fields and message."""
    error = UnusableJobId("a\nb", "it contains the control character '\\n' (U+000A)")
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.job_id, copy.problem, str(copy)) == (
        UnusableJobId,
        "a\nb",
        error.problem,
        str(error),
    )


STORABLE = re.escape("without NUL (U+0000) or lone surrogates (U+D800–U+DFFF")


@pytest.mark.parametrize("job_id", ["\udcff", "train-\ud800-1"])
def test_job_ids_with_lone_surrogates_are_refused(store: JobStore, job_id: str) -> None:
    """An id holding an undecodable byte (a lone surrogate) is InvalidJobId from every call, the
    same on both backends, not a UnicodeEncodeError from the driver; nothing is written."""
    job = Job(job_id)
    for call in (
        lambda: store.create(job_id),
        lambda: store.save(job),
        lambda: store.get(job_id),
        lambda: store.history(job_id),
        lambda: store.transition(job_id, S.SUBMIT_TRYING),
        lambda: store.load(job_id),
    ):
        with pytest.raises(UnusableJobId, match="it contains the lone surrogate") as info:
            call()
        assert info.value.job_id == job_id
    assert store.list() == []


@pytest.mark.parametrize("argument", ["reason", "actor"])
@pytest.mark.parametrize("value", ["a\x00b", "\udcff", "ok\udc80"])
def test_reason_and_actor_must_be_storable_text(store: JobStore, argument: str, value: str) -> None:
    """A NUL (which PostgreSQL refuses and SQLite keeps) or a lone surrogate in a reason or actor
    is refused on both backends before the database sees it, by transition and by save."""
    store.create("j-1", S.WAITING)
    with pytest.raises(InvalidArgument, match=f"^{argument} .*; expected a string.* {STORABLE}"):
        store.transition("j-1", S.RUNNING, **{argument: value})  # type: ignore[arg-type]
    job = store.load("j-1")
    job.advance_to(S.RUNNING, **{argument: value})  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match=rf"^history\[0\]\.{argument} "):
        store.save(job)
    assert (store.get("j-1").status, store.history("j-1")) == (S.WAITING, ())


@pytest.mark.parametrize(
    ("labels", "argument"),
    [
        ({"k": "\udcff"}, "labels['k']"),
        ({"\udcff": "v"}, "labels key"),
        ({"k": "a\x00"}, "labels['k']"),
    ],
)
def test_labels_must_be_storable_text(
    store: JobStore, labels: dict[str, str], argument: str
) -> None:
    """A label key or value with a NUL or a lone surrogate is refused naming it: stored, it would
    break every strict UTF-8 reader of the listing."""
    with pytest.raises(InvalidArgument, match=f"; expected a string {STORABLE}") as info:
        store.create("j-1", labels=labels)
    assert info.value.argument == argument
    assert store.list() == []


@pytest.mark.parametrize(
    "url", ["\udcff.db", "sqlite:///\udcff.db", "postgresql://u:pw@h\udcff/db"]
)
def test_a_url_with_a_lone_surrogate_is_refused(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A path or URL that is not text is refused naming the url, and no file appears."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        InvalidArgument, match=f"^url .* is not accepted; expected a path or URL {STORABLE}"
    ):
        JobStore(url)
    assert list(tmp_path.iterdir()) == []


def test_printable_unicode_job_ids_are_kept(store: JobStore) -> None:
    """Only C0 controls and DEL are refused, as in status logs: a no-break space, a zero-width
    joiner or a line separator inside an id is kept."""
    ids = ["a\u00a0b", "a\u200db", "a\u2028b", "a\x85b"]
    for job_id in ids:
        store.create(job_id)
    assert [r.job_id for r in store.list()] == sorted(ids)


def test_the_longest_job_id_is_kept(store: JobStore) -> None:
    """An id of 255 characters, any of them printable Unicode, is kept by both backends."""
    job_id = "训练-" + "x" * 248 + " a b"
    assert len(job_id) == 255
    store.create(job_id)
    store.transition(job_id, S.SUBMIT_TRYING)
    assert [r.job_id for r in store.list()] == [job_id]


def test_unknown_job(store: JobStore) -> None:
    """Every read and write of an id the store does not hold raises JobNotFound."""
    for call in (
        lambda: store.get("nope"),
        lambda: store.history("nope"),
        lambda: store.transition("nope", S.RUNNING),
        lambda: store.load("nope"),
    ):
        with pytest.raises(JobNotFound, match="'nope' is not in the store"):
            call()


def test_transition_records_the_move(store: JobStore) -> None:
    """A legal move bumps the version and writes one history row with event, reason and actor."""
    store.create("j-1")
    result = store.transition("j-1", S.SUBMIT_TRYING, reason="queued", actor="worker-3")
    assert (result.source, result.target, result.moved, result.version, result.event) == (
        S.INIT,
        S.SUBMIT_TRYING,
        True,
        1,
        "submit",
    )
    (move,) = store.history("j-1")
    assert (move.source, move.target, move.event, move.reason, move.actor) == (
        S.INIT,
        S.SUBMIT_TRYING,
        "submit",
        "queued",
        "worker-3",
    )
    record = store.get("j-1")
    assert (record.status, record.version, record.updated_at) == (S.SUBMIT_TRYING, 1, move.at)


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("reason", ["x"], "a string or None"),
        ("reason", b"x", "a string or None"),
        ("actor", 5, "a string of at most 255 characters or None"),
        ("actor", "a" * 256, "a string of at most 255 characters or None"),
    ],
)
def test_reason_and_actor_must_be_strings(
    store: JobStore, argument: str, value: object, expected: str
) -> None:
    """A reason or actor that is not a string (or an actor too long to keep) is refused naming
    the argument; nothing is written, and the job still moves when asked properly."""
    store.create("j-1", S.WAITING)
    with pytest.raises(InvalidArgument, match=f"^{argument} .*; expected {expected}$") as info:
        store.transition("j-1", S.RUNNING, **{argument: value})  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    assert info.value.argument == argument
    assert (store.get("j-1").version, store.history("j-1")) == (0, ())
    store.transition("j-1", S.RUNNING, reason="r" * 10_000, actor="a" * 255)
    assert store.history("j-1")[0].actor == "a" * 255


def test_save_refuses_a_move_whose_actor_cannot_be_kept(store: JobStore) -> None:
    """A Job takes an actor of any length; ``save`` refuses one longer than the store keeps
    before writing any move, the same on both backends."""
    job = Job("j-1")
    job.advance_to(S.SUBMIT_TRYING)
    job.advance_to(S.WAITING, actor="a" * 256)
    pattern = r"^history\[1\]\.actor 'a+\.\.\. is not accepted; expected a string of at most 255"
    with pytest.raises(InvalidArgument, match=pattern):
        store.save(job)
    assert store.list() == []


def test_repeated_observation_is_a_noop(store: JobStore) -> None:
    """Observing the current status again writes nothing and says it did not move."""
    store.create("j-1")
    store.transition("j-1", S.SUBMIT_TRYING)
    before = store.get("j-1")
    result = store.transition("j-1", "JOBSTAT_SUBMIT_TRYING")
    assert (result.moved, result.version, result.event, result.at) == (False, 1, None, None)
    assert store.get("j-1") == before
    assert len(store.history("j-1")) == 1


def test_illegal_move_is_refused(store: JobStore) -> None:
    """An undeclared move raises IllegalTransition naming the status found; nothing is written."""
    store.create("j-1", S.RUNNING)
    with pytest.raises(IllegalTransition, match=r"cannot move RUNNING\(8\) → WAITING\(7\)") as info:
        store.transition("j-1", S.WAITING)
    assert info.value.source is S.RUNNING
    assert store.get("j-1").version == 0
    assert store.history("j-1") == ()


def test_nothing_leaves_a_terminal_status(store: JobStore) -> None:
    """A job in a terminal status refuses every move."""
    store.create("j-1", S.RUNNING)
    store.transition("j-1", S.COMPLETED)
    with pytest.raises(IllegalTransition, match="is terminal"):
        store.transition("j-1", S.KILLING)
    assert store.get("j-1").status is S.COMPLETED


def test_unknown_target(store: JobStore) -> None:
    """An unknown target code raises UnknownStatus."""
    store.create("j-1")
    with pytest.raises(UnknownStatus, match="'42' is not a ModelArts job status"):
        store.transition("j-1", "42")


def at_most_8_gpus(move: MoveRequest) -> bool:
    gpus = move.context.get("gpus", 0)
    return isinstance(gpus, int) and gpus <= 8


def test_guards_are_judged(store_url: str) -> None:
    """The lifecycle's guards judge stored moves, with the caller's context."""
    quota = Guard("quota", at_most_8_gpus, "at most 8 GPUs", targets={S.RUNNING})
    store = JobStore(store_url, lifecycle=DEFAULT_LIFECYCLE.with_guards(quota))
    store.create_schema()
    store.create("j-1", S.WAITING)
    with pytest.raises(GuardRejected, match="rejected by guard 'quota': at most 8 GPUs"):
        store.transition("j-1", S.RUNNING, context={"gpus": 16})
    assert store.get("j-1").status is S.WAITING
    assert store.transition("j-1", S.RUNNING, context={"gpus": 4}).moved
    store.close()


def test_expected_status_matches(store: JobStore) -> None:
    """With ``expected`` equal to the stored status the move is applied."""
    store.create("j-1", S.WAITING)
    assert store.transition("j-1", S.RUNNING, expected=S.WAITING).moved


def test_expected_status_mismatch(store: JobStore) -> None:
    """A stale ``expected`` is refused with ConcurrentUpdate naming both statuses."""
    store.create("j-1", S.RUNNING)
    with pytest.raises(ConcurrentUpdate, match=r"expected WAITING\(7\) but found RUNNING\(8\)"):
        store.transition("j-1", S.KILLING, expected="WAITING")
    assert store.get("j-1").version == 0


def test_expected_mismatch_but_already_there(store: JobStore) -> None:
    """Another worker already made the same move: a no-op, not an error."""
    store.create("j-1", S.KILLING)
    result = store.transition("j-1", S.KILLING, expected=S.RUNNING)
    assert not result.moved


def test_list_filters(store: JobStore) -> None:
    """``list`` filters by status and activity, orders by id and honours the limit."""
    store.create("c", S.RUNNING)
    store.create("a", S.WAITING)
    store.create("b", S.COMPLETED)
    assert [r.job_id for r in store.list()] == ["a", "b", "c"]
    assert [r.job_id for r in store.list(status="RUNNING")] == ["c"]
    assert [r.job_id for r in store.list(status=[S.RUNNING, 7])] == ["a", "c"]
    assert [r.job_id for r in store.list(active=True)] == ["a", "c"]
    assert [r.job_id for r in store.list(active=False)] == ["b"]
    assert [r.job_id for r in store.list(limit=2)] == ["a", "b"]
    with pytest.raises(UnknownStatus):
        store.list(status="RUNING")


@pytest.mark.parametrize("limit", [-1, 2**63, 2**70, 1.5, "2", True])
def test_list_refuses_a_limit_out_of_range(store: JobStore, limit: object) -> None:
    """A limit that is not a whole number from 0 to 2**63-1 is refused naming the argument."""
    store.create("a")
    with pytest.raises(
        InvalidArgument, match=r"^limit .* is not accepted; expected a whole number from 0 to 92233"
    ) as info:
        store.list(limit=limit)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, TypeError)
    assert (info.value.argument, info.value.value) == ("limit", limit)


def test_list_takes_the_largest_limit(store: JobStore) -> None:
    """The largest limit both backends can count to is accepted, and so is 0."""
    store.create("a")
    assert [r.job_id for r in store.list(limit=MAX_LIMIT)] == ["a"]
    assert store.list(limit=0) == []


def test_stale_finds_jobs_stuck_in_a_status(store: JobStore) -> None:
    """``stale`` lists jobs in a status since before ``now - older_than``, oldest first."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    store.create("old", S.KILLING, created_at=t0)
    store.create("older", S.KILLING, created_at=t0 - timedelta(hours=1))
    store.create("fresh", S.KILLING, created_at=t0 + timedelta(minutes=55))
    store.create("running", S.RUNNING, created_at=t0 - timedelta(days=1))
    now = t0 + timedelta(hours=1)
    stuck = store.stale(S.KILLING, timedelta(minutes=10), now=now)
    assert [r.job_id for r in stuck] == ["older", "old"]
    assert stuck[0].updated_at == t0 - timedelta(hours=1)


@pytest.mark.parametrize(
    "older_than", [8, 5.0, "10m", None, timedelta(days=-1), timedelta(microseconds=-1)]
)
def test_stale_takes_only_a_duration_of_zero_or_more(store: JobStore, older_than: object) -> None:
    """older_than is a timedelta of zero or more, as the CLI reads --older-than; seconds as a bare
    number and negative durations are refused naming the argument."""
    store.create("k", S.KILLING)
    with pytest.raises(
        InvalidArgument,
        match=r"^older_than .* is not accepted; expected a timedelta of zero or more",
    ) as info:
        store.stale(S.KILLING, older_than)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, ValueError)
    assert info.value.argument == "older_than"


def test_stale_with_zero_finds_every_job_in_the_status(store: JobStore) -> None:
    """older_than=0 lists every job that entered the status before now."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    store.create("k", S.KILLING, created_at=t0)
    assert [r.job_id for r in store.stale(S.KILLING, timedelta(0), now=t0 + SECOND)] == ["k"]


@pytest.mark.parametrize("now", [datetime(2026, 1, 1), 1767225600, "2026-01-01T00:00:00Z"])
def test_stale_needs_an_aware_now(store: JobStore, now: object) -> None:
    """A now without a time zone (or not a datetime) is refused rather than read as local time."""
    with pytest.raises(
        InvalidTime, match=r"^now .* is not a usable time; expected a datetime with a time zone"
    ):
        store.stale(S.KILLING, timedelta(0), now=now)  # type: ignore[arg-type]


@pytest.mark.parametrize("created_at", [datetime(2026, 1, 1), 1767225600, "2026-01-01"])
def test_create_needs_an_aware_created_at(store: JobStore, created_at: object) -> None:
    """A creation time without a time zone is refused as Job refuses it, and nothing is stored."""
    with pytest.raises(InvalidTime, match=r"^created_at .* expected a datetime with a time zone"):
        store.create("j-1", created_at=created_at)  # type: ignore[arg-type]
    assert store.list() == []


def test_a_time_outside_the_years_a_store_keeps_is_refused(store: JobStore) -> None:
    """A creation time valid in its own zone but in year 0 in UTC is InvalidTime naming the
    argument, from create and from save (a Job accepts it); nothing is written."""
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59)))
    with pytest.raises(InvalidTime, match=r"^created_at .* within years 1 to 9999") as info:
        store.create("j-1", created_at=early)
    assert info.value.argument == "created_at"
    with pytest.raises(InvalidTime, match=r"^created_at "):
        store.save(Job("j-1", created_at=early))
    with pytest.raises(InvalidTime, match="within years 1 to 9999"):
        store.stale(S.KILLING, timedelta(0), now=early)
    assert store.list() == []


@pytest.mark.parametrize("status", [0.0, 8.0, b"8", object(), None.__class__])
def test_list_refuses_a_status_that_is_not_one(store: JobStore, status: object) -> None:
    """A float, bytes or any other non-status is UnknownStatus naming it, not a TypeError."""
    store.create("a", S.RUNNING)
    with pytest.raises(UnknownStatus) as info:
        store.list(status=status)  # type: ignore[arg-type]
    assert info.value.value is status


@pytest.mark.parametrize("active", ["yes", 1, 0])
def test_list_refuses_an_active_that_is_not_a_bool(store: JobStore, active: object) -> None:
    """active is True, False or None; "yes" would have silently listed nothing."""
    with pytest.raises(InvalidArgument, match=r"^active .* expected True, False or None"):
        store.list(active=active)  # type: ignore[arg-type]


def test_load_gives_a_job_with_its_history(store: JobStore) -> None:
    """``load`` restores the status, creation time and every move into a ``Job``."""
    store.create("j-1")
    for target in (S.IMAGE_CREATING, S.SUBMIT_TRYING, S.WAITING):
        store.transition("j-1", target, actor="poller")
    job = store.load("j-1")
    assert job.status is S.WAITING
    assert job.created_at == store.get("j-1").created_at
    assert job.history == store.history("j-1")


def test_save_creates_and_appends(store: JobStore) -> None:
    """``save`` stores a new job with its history, then appends only the moves made since."""
    job = Job("j-1")
    job.advance_to(S.SUBMIT_TRYING, reason="r1")
    assert store.save(job, labels={"k": "v"}).version == 1
    job.advance_to(S.WAITING)
    job.advance_to(S.RUNNING, actor="a")
    record = store.save(job)
    assert (record.status, record.version, dict(record.labels)) == (S.RUNNING, 3, {"k": "v"})
    assert store.history("j-1") == job.history
    assert store.load("j-1").to_dict() == job.to_dict()


def test_save_refuses_a_diverged_job(store: JobStore) -> None:
    """A job whose stored history has moves it lacks is refused; the store is unchanged."""
    store.create("j-1", S.WAITING)
    stale = store.load("j-1")
    store.transition("j-1", S.RUNNING)
    stale.advance_to(S.KILLING)
    with pytest.raises(ConcurrentUpdate):
        store.save(stale)
    assert store.get("j-1").status is S.RUNNING
    assert len(store.history("j-1")) == 1


@pytest.mark.parametrize(
    ("stored", "believed", "moves"),
    [
        (S.COMPLETED, S.RUNNING, [S.FAILED]),
        (S.WAITING, S.INIT, [S.SUBMIT_TRYING]),
        (S.KILLING, S.RUNNING, [S.SCALING, S.RUNNING]),
    ],
)
def test_save_judges_the_moves_from_the_stored_status(
    store: JobStore, stored: JobStatus, believed: JobStatus, moves: list[JobStatus]
) -> None:
    """A Job whose moves start from another status than the stored one is refused naming both,
    even when each move is legal on its own; the stored job is left as it was."""
    store.create("y", stored)
    job = Job("y", believed)
    for target in moves:
        job.advance_to(target)
    with pytest.raises(ConcurrentUpdate) as info:
        store.save(job, labels={"k": "v"})
    assert (info.value.source, info.value.expected) == (stored, believed)
    assert f"expected {believed} but found {stored}" in str(info.value)
    record = store.get("y")
    assert (record.status, record.version, dict(record.labels)) == (stored, 0, {})
    assert store.history("y") == ()


def test_save_without_moves_must_match_the_stored_status(store: JobStore) -> None:
    """A Job in another status than the stored one, without new moves, does not relabel it."""
    store.create("z", S.COMPLETED)
    with pytest.raises(ConcurrentUpdate, match=r"expected RUNNING\(8\) but found COMPLETED"):
        store.save(Job("z", S.RUNNING), labels={"k": "v"})
    assert dict(store.get("z").labels) == {}
    assert dict(store.save(Job("z", S.COMPLETED), labels={"k": "v"}).labels) == {"k": "v"}


def test_save_judges_the_moves_by_the_stores_guards(store_url: str) -> None:
    """A Job of the unguarded lifecycle cannot slip a move past the store's guards: save judges
    each new move as transition does, with the context it is given."""
    quota = Guard("quota", at_most_8_gpus, "at most 8 GPUs", targets={S.RUNNING})
    store = JobStore(store_url, lifecycle=DEFAULT_LIFECYCLE.with_guards(quota))
    store.create_schema()
    store.create("j-1", S.WAITING)
    job = store.load("j-1")
    job.advance_to(S.RUNNING)
    with pytest.raises(GuardRejected, match="rejected by guard 'quota'"):
        store.save(job, context={"gpus": 16})
    assert store.get("j-1").status is S.WAITING
    fresh = Job("j-2", S.WAITING)
    fresh.advance_to(S.RUNNING)
    with pytest.raises(GuardRejected):
        store.save(fresh, context={"gpus": 16})
    with pytest.raises(JobNotFound):
        store.get("j-2")
    assert store.save(job, context={"gpus": 4}).status is S.RUNNING
    store.close()


def test_save_refuses_a_move_the_stores_lifecycle_does_not_declare(store_url: str) -> None:
    """A move declared by the Job's lifecycle but not by the store's is refused."""
    store = JobStore(store_url, lifecycle=DEFAULT_LIFECYCLE.without_edges((S.KILLING, S.COMPLETED)))
    store.create_schema()
    store.create("j-1", S.KILLING)
    job = Job("j-1", S.KILLING)
    job.advance_to(S.COMPLETED)
    with pytest.raises(IllegalTransition, match=r"cannot move KILLING\(9\) → COMPLETED\(10\)"):
        store.save(job)
    assert store.get("j-1").status is S.KILLING
    store.close()


@pytest.mark.integration
def test_save_that_loses_the_race_to_create_is_refused(pg_store: JobStore) -> None:
    """A job created by another worker between save's read and its insert is a ConcurrentUpdate
    naming the status found, not a database error; the other worker's job stands. (On SQLite
    save holds the write lock from its read on, so the other worker waits instead.)"""
    other = JobStore(pg_store.url)

    def before(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("INSERT INTO jobs") and not other.list():
            other.create("j-1", S.RUNNING)

    event.listen(pg_store.engine, "before_cursor_execute", before)
    job = Job("j-1")
    job.advance_to(S.SUBMIT_TRYING)
    with pytest.raises(ConcurrentUpdate, match=r"found RUNNING\(8\)"):
        pg_store.save(job)
    assert (other.get("j-1").status, other.history("j-1")) == (S.RUNNING, ())
    other.close()


def test_missing_schema(store_url: str) -> None:
    """A database without the tables gives a clear error naming `jobfsm store init`."""
    store = JobStore(store_url)
    with pytest.raises(StoreUnavailable, match="run `jobfsm store init URL`"):
        store.get("j-1")
    store.close()


def test_unreachable_sqlite_file() -> None:
    """A SQLite file in a directory that does not exist is reported with its URL."""
    store = JobStore("/nonexistent/dir/jobs.db")
    with pytest.raises(StoreUnavailable, match="cannot use the job store at sqlite:////nonexist"):
        store.create_schema()


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    """A SQLite path naming a directory says so, whether given as a path or a URL."""
    for url in (tmp_path, str(tmp_path), f"sqlite:///{tmp_path}"):
        store = JobStore(url)
        with pytest.raises(StoreUnavailable, match=f"'{tmp_path}' is a directory; give a"):
            store.create_schema()
        with pytest.raises(StoreUnavailable, match=f"'{tmp_path}' is a directory; give a"):
            store.get("j-1")


def test_unreachable_postgres_hides_the_password() -> None:
    """An unreachable server is reported with its URL, the password masked."""
    store = JobStore("postgresql://sched:hunter2@127.0.0.1:1/jobs")
    with pytest.raises(StoreUnavailable) as info:
        store.get("j-1")
    text = str(info.value)
    assert "hunter2" not in text
    assert text.startswith("cannot use the job store at postgresql+psycopg://sched:***@127.0.0.1:1")


@pytest.mark.parametrize(
    "url",
    ["mysql://u:hunter2@h/db", "postgresql+psycopg2://u:hunter2@h/db", "not a url://u:hunter2@h"],
)
def test_unsupported_url(url: str) -> None:
    """A URL of another backend or driver is refused naming what is accepted, password masked."""
    with pytest.raises(StoreUnavailable, match=r"sqlite:///path/to/jobs\.db") as info:
        JobStore(url)
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("url", [None, 5, "", "   ", ["jobs.db"], b"postgresql://u:hunter2@h/db"])
def test_a_url_that_is_not_text_is_refused(
    url: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """None, a number or an empty string is refused naming the argument, and no file appears
    (str(None) would have been a database called ./None)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidArgument, match=r"^url .* is not accepted; expected a SQLite file"):
        JobStore(url).create_schema()  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_a_password_in_a_refused_url_is_masked() -> None:
    """Even a URL refused for its type does not show its password."""
    with pytest.raises(InvalidArgument) as info:
        JobStore(b"postgresql://u:hunter2@h/db")  # type: ignore[arg-type]
    assert "hunter2" not in str(info.value)


def test_a_path_and_a_url_object_are_accepted(tmp_path: Path) -> None:
    """A pathlib.Path and a SQLAlchemy URL name a store as well as text does."""
    db = tmp_path / "jobs.db"
    with JobStore(db) as store:
        store.create_schema()
        store.create("j-1")
    with JobStore(URL.create("sqlite", database=str(db))) as store:
        assert store.get("j-1").status is S.INIT


@pytest.mark.parametrize(
    ("argument", "value", "expected"),
    [
        ("cache_size", -1, "a whole number of 0 or more"),
        ("cache_size", "x", "a whole number of 0 or more"),
        ("cache_size", 1.5, "a whole number of 0 or more"),
        ("cache_size", None, "a whole number of 0 or more"),
        ("attempts", 0, "a whole number of 1 or more"),
        ("attempts", "3", "a whole number of 1 or more"),
        ("attempts", True, "a whole number of 1 or more"),
    ],
)
def test_store_options_are_checked(argument: str, value: object, expected: str) -> None:
    """cache_size and attempts outside what they can mean are refused naming the argument."""
    pattern = f"^{argument} .* is not accepted; expected {expected}$"
    with pytest.raises(InvalidArgument, match=pattern):
        JobStore("sqlite://", **{argument: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("sqlite:///q.db?timeout=abc", "url parameter timeout 'abc' is not accepted; expected a "
         "number of seconds of 0 or more, such as timeout=60"),
        ("sqlite:///q.db?timeout=-1", "url parameter timeout '-1' is not accepted"),
        ("sqlite:///q.db?timeout=nan", "url parameter timeout 'nan' is not accepted"),
        ("sqlite:///q.db?timeout=inf", "url parameter timeout 'inf' is not accepted"),
        ("sqlite:///q.db?timeout=1&timeout=2", "url parameter timeout ('1', '2') is not accepted; "
         "expected timeout=... given once"),
        ("sqlite:///q.db?detect_types=1", "url parameter 'detect_types' is not accepted; expected "
         "timeout, the one parameter a SQLite store takes"),
        ("sqlite:///q.db?mode=ro", "url parameter 'mode' is not accepted"),
        ("postgresql://u:hunter2@h/db?foo=1", "url parameter 'foo' is not accepted; expected a "
         "libpq connection parameter, such as sslmode"),
        ("postgresql://u:hunter2@h/db?port=abc", "url parameter port 'abc' is not accepted; "
         "expected a whole number, or several separated by commas"),
        ("postgresql://u:hunter2@h/db?connect_timeout=1.5", "url parameter connect_timeout '1.5' "
         "is not accepted; expected a whole number"),
        ("postgresql://u@h/db?password=hunter2&password=x", "url parameter password '***' is not "
         "accepted; expected password=... given once"),
    ],
)  # fmt: skip
def test_bad_url_parameters_are_refused(
    url: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A query parameter the store does not take, or a malformed value, is refused naming the
    parameter and what is accepted, before any connection; no file appears, no password shows."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidArgument) as info:
        JobStore(url)
    assert str(info.value).startswith(message)
    assert "hunter2" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_sqlite_timeout_is_taken(tmp_path: Path) -> None:
    """timeout=SECONDS sets how long a writer waits for the lock, and the store works."""
    with JobStore(f"sqlite:///{tmp_path / 'jobs.db'}?timeout=2.5") as store:
        assert store.busy_timeout == 2.5
        store.create_schema()
        store.create("j-1")
        assert store.get("j-1").status is S.INIT


@pytest.mark.integration
def test_libpq_parameters_are_taken(postgres_server: PostgresServer) -> None:
    """libpq's parameters (a host directory, a port, a connect_timeout) are passed on."""
    with JobStore(postgres_server.fresh_url() + "&connect_timeout=3") as store:
        store.create_schema()
        store.create("j-1")
        assert store.get("j-1").status is S.INIT


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:se@cret@host/db", "postgresql://u:***@host/db"),
        ("postgresql+psycopg://u:a@b@c:d@host:5432/db", "postgresql+psycopg://u:***@host:5432/db"),
        ("postgresql://u:se/cr@et@host/db", "postgresql://u:***@host/db"),
    ],
)
def test_the_whole_password_is_masked(url: str, shown: str) -> None:
    """A password holding '@' (or '/') unquoted is masked whole, whatever a parser makes of it;
    such a URL is refused saying how to write it, before any server could name a piece of it."""
    assert mask_url(url).replace("+psycopg", "") == shown.replace("+psycopg", "")
    # Refused as a URL whose password needs quoting, or as no URL at all when the rest does not
    # parse either: never with a piece of the password.
    with pytest.raises((InvalidArgument, StoreUnavailable)) as info:
        JobStore(url)
    text = str(info.value)
    assert "writes '@' as %40" in text or "not a database URL" in text
    for piece in ("se@", "cret", "cr", "et@", "a@b", "c:d"):
        assert piece not in text, piece


@pytest.mark.parametrize(
    "url", ["postgresql://u:s%40cret@127.0.0.1:1/db", "postgresql://u:s%2Fcr%3Aet@127.0.0.1:1/db"]
)
def test_a_quoted_password_is_masked_in_every_message(url: str) -> None:
    """A password written with %40, %2F or %3A is kept, and masked when the server is not there."""
    store = JobStore(url)
    with pytest.raises(StoreUnavailable) as info:
        store.get("j-1")
    assert str(info.value).startswith("cannot use the job store at postgresql+psycopg://u:***@127")
    assert "cret" not in str(info.value)
    assert "cr%3Aet" not in str(info.value)


def test_mask_url_without_a_parseable_url() -> None:
    """Even text SQLAlchemy cannot parse has its password masked."""
    assert mask_url("weird://u:hunter2@host:notaport/db") == "weird://u:***@host:notaport/db"


def test_postgres_url_without_driver_uses_psycopg() -> None:
    """``postgresql://`` and ``postgres://`` select psycopg 3, the driver of the extra."""
    for url in ("postgresql://u@h/db", "postgres://u@h/db"):
        assert JobStore(url).url.drivername == "postgresql+psycopg"


def test_remembered_status_that_went_stale_is_judged_again(store_url: str) -> None:
    """A worker whose remembered status is out of date moves from the status actually stored."""
    mine, other = JobStore(store_url), JobStore(store_url)
    mine.create_schema()
    mine.create("j-1")
    other.transition("j-1", S.SUBMIT_TRYING)
    result = mine.transition("j-1", S.KILLING)
    assert (result.source, result.version) == (S.SUBMIT_TRYING, 2)
    assert [m.source for m in mine.history("j-1")] == [S.INIT, S.SUBMIT_TRYING]
    mine.close()
    other.close()


def test_remembered_status_never_excuses_an_illegal_move(store_url: str) -> None:
    """A move legal from the remembered status but not from the stored one is refused."""
    mine, other = JobStore(store_url), JobStore(store_url)
    mine.create_schema()
    mine.create("j-1")
    other.transition("j-1", S.CHECK_INIT)
    with pytest.raises(IllegalTransition, match=r"cannot move CHECK_INIT\(18\) → IMAGE_CREAT"):
        mine.transition("j-1", S.IMAGE_CREATING)
    assert mine.get("j-1").version == 1
    mine.close()
    other.close()


def test_remembered_versions_are_bounded() -> None:
    """The store remembers at most ``cache_size`` jobs, forgetting the oldest first."""
    store = JobStore("sqlite://", cache_size=2)
    store.create_schema()
    for job_id in ("a", "b", "c"):
        store.create(job_id)
    assert list(store._known) == ["b", "c"]
    store.close()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(list(S)), max_size=25))
def test_store_and_job_agree(targets: list[JobStatus]) -> None:
    """Any observed sequence gives the same status, history and refusals in the store and a Job."""
    store = JobStore("sqlite://")
    store.create_schema()
    store.create("j-1")
    job = Job("j-1")
    for target in targets:
        try:
            moved = job.advance_to(target)
        except IllegalTransition:
            with pytest.raises(IllegalTransition):
                store.transition("j-1", target)
        else:
            assert store.transition("j-1", target).moved is moved
    assert store.get("j-1").status is job.status
    assert [(m.source, m.target, m.event) for m in store.history("j-1")] == [
        (m.source, m.target, m.event) for m in job.history
    ]
    store.close()


# -- races, on PostgreSQL where a reader does not hold the write lock ---------------------------


@pytest.fixture
def pg_store(postgres_server: PostgresServer) -> Iterator[JobStore]:
    # No remembered versions: every attempt is one read and one compare-and-set.
    s = JobStore(postgres_server.fresh_url(), attempts=3, cache_size=0)
    s.create_schema()
    yield s
    s.close()


def interfere(store: JobStore, other: JobStore, moves: list[JobStatus]) -> None:
    """Between each read and write of ``store``, ``other`` commits the next of ``moves``."""

    def before(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("UPDATE jobs") and moves:
            other.transition("j-1", moves.pop(0))

    event.listen(store.engine, "before_cursor_execute", before)


@pytest.mark.integration
def test_lost_race_is_judged_again_and_applied(pg_store: JobStore) -> None:
    """A job moved between read and write is re-read; the move is applied from the new status."""
    pg_store.create("j-1", S.RUNNING)
    other = JobStore(pg_store.url)
    interfere(pg_store, other, [S.SCALING])
    result = pg_store.transition("j-1", S.KILLING)
    assert (result.source, result.version) == (S.SCALING, 2)
    assert [m.target for m in pg_store.history("j-1")] == [S.SCALING, S.KILLING]
    other.close()


@pytest.mark.integration
def test_lost_race_makes_the_move_illegal(pg_store: JobStore) -> None:
    """When the job moved on to a status the move is illegal from, the refusal names that status."""
    pg_store.create("j-1", S.RUNNING)
    other = JobStore(pg_store.url)
    interfere(pg_store, other, [S.COMPLETED])
    with pytest.raises(IllegalTransition, match=r"COMPLETED\(10\) is terminal"):
        pg_store.transition("j-1", S.KILLING)
    assert pg_store.get("j-1").version == 1
    other.close()


@pytest.mark.integration
def test_endless_races_end_in_concurrent_update(pg_store: JobStore) -> None:
    """A job that keeps moving under the writer is refused after ``attempts`` tries."""
    pg_store.create("j-1", S.RUNNING)
    other = JobStore(pg_store.url)
    interfere(pg_store, other, [S.SCALING, S.RUNNING, S.SCALING, S.RUNNING])
    with pytest.raises(ConcurrentUpdate, match="moved the job 3 times") as info:
        pg_store.transition("j-1", S.KILLING)
    assert info.value.attempts == 3
    assert pg_store.get("j-1").version == 3
    other.close()


# -- the PostgreSQL the tests start ---------------------------------------------------------------


def test_missing_postgres_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """With CI=true a PostgreSQL that cannot start fails the test; elsewhere it skips."""
    import conftest

    monkeypatch.setattr(conftest, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="CI=true and initdb was not found"):
        conftest.unavailable("initdb was not found")
    monkeypatch.setattr(conftest, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="initdb was not found"):
        conftest.unavailable("initdb was not found")


def test_server_without_binaries_names_the_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without initdb and pg_ctl the helper says to install Debian's postgresql package."""
    import pgserver

    monkeypatch.setattr(pgserver, "find_bin_dir", lambda: None)
    with pytest.raises(pgserver.PostgresUnavailable, match="apt-get install postgresql"):
        pgserver.PostgresServer(tmp_path)


@pytest.mark.parametrize("job", ["x", None, {"job_id": "x"}])
def test_save_takes_only_a_job(store: JobStore, job: object) -> None:
    """Anything but a Job is an InvalidArgument naming what save takes, not an AttributeError."""
    with pytest.raises(InvalidArgument, match=r"^job .* expected a Job, such as one from load"):
        store.save(job)  # type: ignore[arg-type]


def test_save_refuses_moves_older_than_the_stored_job(store: JobStore) -> None:
    """A made-up Job that moved before another writer created the row would, appended, give a
    history that goes back in time and no longer loads: InvalidTime, nothing written."""
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    job = Job("a", S.WAITING, created_at=t0)
    job.advance_to(S.RUNNING, at=t0 + SECOND)
    store.create("a", S.WAITING, created_at=t0 + 2 * SECOND)
    with pytest.raises(InvalidTime, match=r"^history\[0\]\.at .* expected a time no earlier than"):
        store.save(job)
    assert (store.get("a").status, store.history("a")) == (S.WAITING, ())
    assert store.load("a").status is S.WAITING
    later = Job("a", S.WAITING, created_at=t0)
    later.advance_to(S.RUNNING, at=t0 + 3 * SECOND)
    assert store.save(later).status is S.RUNNING
    assert store.load("a").history[0].at == t0 + 3 * SECOND
