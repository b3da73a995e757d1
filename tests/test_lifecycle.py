"""The declared lifecycle: the table, its named checks and the pure queries."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest

from jobfsm import (
    DEFAULT_LIFECYCLE,
    MODELARTS_EVENTS,
    Event,
    Guard,
    GuardRejected,
    IllegalTransition,
    InvalidArgument,
    InvalidLifecycle,
    JobStatus,
    Lifecycle,
    MoveRequest,
    UnknownEvent,
    UnknownStatus,
    VerdictKind,
)
from jobfsm.vocabulary import Status

S = JobStatus
LC = DEFAULT_LIFECYCLE

REQUIRED_EDGES = {
    # creation and review
    (1, 2), (1, 4), (2, 3), (2, 4), (4, 5), (4, 7),
    (1, 18), (18, 19), (19, 20), (18, 21), (19, 21), (20, 2), (20, 4),
    # run
    (7, 8), (8, 10), (8, 11), (8, 15), (15, 8), (15, 11), (7, 22), (8, 22), (15, 22),
    (7, 14), (8, 14), (15, 14), (8, 16), (8, 17),
    # stop
    *((s, 9) for s in (1, 2, 4, 7, 8, 15, 18, 19, 20)),
    (9, 12),
    *((s, 13) for s in (1, 2, 4, 7, 18, 19, 20)),
    (9, 13), (9, 6), (9, 10), (9, 11),
    # unknown
    *((s.value, 0) for s in JobStatus if s.is_active and s.value != 0),
    *((0, s.value) for s in JobStatus if s.value != 0),
}  # fmt: skip


def test_every_required_edge_is_declared() -> None:
    """The table declares at least every edge the lifecycle requires."""
    declared = {(int(e.source), int(e.target)) for e in LC.edges}
    assert declared >= REQUIRED_EDGES


def test_no_edge_beyond_the_required_ones() -> None:
    """Every declared edge is one of the required ones (additions need a reason here)."""
    declared = {(int(e.source), int(e.target)) for e in LC.edges}
    assert declared == REQUIRED_EDGES


def test_every_edge_has_an_event_and_a_reason() -> None:
    """Each edge names its event and says in words why it is legal."""
    for edge in LC.edges:
        assert edge.event.isidentifier()
        assert len(edge.reason) > 10


def test_nothing_leaves_a_terminal_status() -> None:
    """No declared edge starts at a terminal status."""
    assert all(LC.allowed_next(s) == frozenset() for s in JobStatus if s.is_terminal)


_NOT_A_STATUS = ["FOO", 99, None, -1, ["x"]]


@pytest.mark.parametrize(
    "query",
    [
        lambda bad: LC.can_transition(bad, 1),
        lambda bad: LC.can_transition(1, bad),
        lambda bad: LC.allowed_next(bad),
        lambda bad: LC.edge(bad, 1),
        lambda bad: LC.event_for(1, bad),
        lambda bad: LC.explain(bad, 1),
        lambda bad: LC.explain(1, bad),
        lambda bad: LC.guards_for(bad, 1),
        lambda bad: LC.target_of("submit", bad),
        lambda bad: LC.shortest_path(bad, 1),
        lambda bad: LC.shortest_path(1, 8, avoid=[bad]),
        lambda bad: LC.without_edges((bad, 1)),
        lambda bad: Event("start", [bad], 8, "r"),
        lambda bad: Event("start", [7], bad, "r"),
        lambda bad: Guard("g", lambda m: True, "r", targets=[bad]),
        lambda bad: Lifecycle(MODELARTS_EVENTS, initial=bad),
    ],
)
@pytest.mark.parametrize("bad", _NOT_A_STATUS)
def test_a_query_given_a_non_status_raises_unknown_status(query: Any, bad: object) -> None:
    """Every entry point that takes a status refuses anything else with UnknownStatus naming it."""
    with pytest.raises(UnknownStatus) as info:
        query(bad)
    assert info.value.value == bad


def test_a_guard_check_must_be_callable() -> None:
    """A guard whose check cannot be called is refused when it is declared."""
    with pytest.raises(InvalidArgument, match="check None is not accepted") as info:
        Guard("quota", None, "too big")  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize(
    ("declare", "argument"),
    [
        (lambda: Event("start", "WAITING", "RUNNING", "r"), "sources"),
        (lambda: Guard("g", lambda m: True, "r", targets="RUNNING"), "targets"),
        (lambda: Guard("g", lambda m: True, "r", events="start"), "events"),
        (lambda: LC.shortest_path(7, 10, avoid="UNKNOWN"), "avoid"),
    ],
)
def test_one_string_is_not_a_collection(declare: Any, argument: str) -> None:
    """Where a collection is expected, a single string is refused instead of read letter by
    letter (a guard on events="start" would have guarded the events 's', 't', 'a' and 'r')."""
    with pytest.raises(InvalidArgument, match=r"expected a list of .* not a single string") as info:
        declare()
    assert info.value.argument == argument


def test_queries_read_status_names() -> None:
    """Names are statuses everywhere, as JobStatus.parse reads them."""
    assert LC.can_transition("WAITING", "running")
    assert not LC.can_transition("RUNNING", "JOBSTAT_WAITING")
    assert LC.allowed_next("KILLING") == LC.allowed_next(S.KILLING)
    assert LC.event_for("8", "COMPLETED") == "complete"
    assert LC.edge("RUNNING", 10) == LC.edge(S.RUNNING, S.COMPLETED)
    assert LC.explain("RUNNING", "COMPLETED").legal
    assert LC.target_of("start", "WAITING") is S.RUNNING
    assert LC.shortest_path("WAITING", "COMPLETED") == (S.WAITING, S.RUNNING, S.COMPLETED)
    assert LC.shortest_path(8, 8) == (S.RUNNING,)


def test_pure_queries() -> None:
    """can_transition, allowed_next, event_for and edge answer from the table."""
    assert LC.can_transition(S.WAITING, S.RUNNING)
    assert not LC.can_transition(S.RUNNING, S.WAITING)
    assert LC.can_transition(8, 10)  # plain ints work too
    assert S.RUNNING in LC.allowed_next(S.WAITING)
    assert isinstance(LC.allowed_next(S.WAITING), frozenset)
    assert LC.event_for(S.KILLING, S.KILLED) == "killed"
    assert LC.event_for(S.RUNNING, S.WAITING) is None
    edge = LC.edge(S.KILLING, S.COMPLETED)
    assert edge is not None
    assert "before the stop" in edge.reason


def test_target_of_an_event() -> None:
    """target_of tells where an event leads from a status, None when it has no move there."""
    assert LC.target_of("submit", S.IMAGE_CREATING) is S.SUBMIT_TRYING
    assert LC.target_of("submit", S.RUNNING) is None
    with pytest.raises(UnknownEvent) as info:
        LC.target_of("launch", S.INIT)
    assert "submit" in info.value.known


@pytest.mark.parametrize(
    ("source", "target", "kind"),
    [
        (S.WAITING, S.RUNNING, VerdictKind.LEGAL),
        (S.RUNNING, S.RUNNING, VerdictKind.SAME_STATUS),
        (S.RUNNING, S.WAITING, VerdictKind.UNDECLARED),
        (S.COMPLETED, S.RUNNING, VerdictKind.FROM_TERMINAL),
    ],
)
def test_explain_kinds(source: JobStatus, target: JobStatus, kind: VerdictKind) -> None:
    """explain returns a structured verdict for each kind of move."""
    verdict = LC.explain(source, target)
    assert verdict.kind is kind
    assert verdict.allowed == LC.allowed_next(source)
    assert verdict.legal == (kind in (VerdictKind.LEGAL, VerdictKind.SAME_STATUS))


def at_most_8_gpus(move: MoveRequest) -> bool:
    gpus = move.context.get("gpus", 0)
    assert isinstance(gpus, int)
    return gpus <= 8


def test_explain_names_the_rejecting_guard() -> None:
    """A guard that says no appears in the verdict with its name and reason."""
    lc = LC.with_guards(Guard("gpu-quota", at_most_8_gpus, "at most 8 GPUs", targets={8}))
    verdict = lc.explain(S.WAITING, S.RUNNING, context={"gpus": 16})
    assert verdict.kind is VerdictKind.GUARD_REJECTED
    assert verdict.guard == "gpu-quota"
    assert verdict.reason == "at most 8 GPUs"
    error = verdict.error("j-1")
    assert isinstance(error, GuardRejected)
    assert "gpu-quota" in str(error)
    assert lc.explain(S.WAITING, S.RUNNING, context={"gpus": 4}).legal


def test_verdict_error_for_an_illegal_move() -> None:
    """The verdict of an undeclared move builds the IllegalTransition a job would raise."""
    error = LC.explain(S.RUNNING, S.WAITING).error("j-1")
    assert isinstance(error, IllegalTransition)
    assert error.job_id == "j-1"
    assert str(error).startswith("job j-1: cannot move RUNNING(8) → WAITING(7)")
    assert LC.explain(S.WAITING, S.RUNNING).error() is None


def test_guards_apply_by_event_or_target() -> None:
    """A guard judges moves fired by its events or entering its targets; with neither, all."""

    def always(_: MoveRequest) -> bool:
        return True

    by_event = Guard("e", always, "r", events={"kill"})
    by_target = Guard("t", always, "r", targets={S.KILLED})
    everywhere = Guard("a", always, "r")
    lc = LC.with_guards(by_event, by_target, everywhere)
    assert lc.guards_for(S.RUNNING, S.KILLING) == (by_event, everywhere)
    assert lc.guards_for(S.KILLING, S.KILLED) == (by_target, everywhere)
    assert lc.guards_for(S.WAITING, S.RUNNING) == (everywhere,)


def test_shortest_path_skips_neither_unknown_nor_terminal() -> None:
    """Inferred paths never pass through UNKNOWN or a terminal status."""
    assert LC.shortest_path(S.WAITING, S.COMPLETED) == (S.WAITING, S.RUNNING, S.COMPLETED)
    assert LC.shortest_path(S.COMPLETED, S.RUNNING) is None
    assert LC.shortest_path(S.RUNNING, S.WAITING) is None
    assert LC.shortest_path(S.RUNNING, S.RUNNING) == (S.RUNNING,)
    path = LC.shortest_path(S.INIT, S.KILLED)
    assert path is not None
    assert S.UNKNOWN not in path
    assert all(LC.can_transition(a, b) for a, b in pairwise(path))


# -- the named checks ---------------------------------------------------------------------------


def failed_checks(make: object) -> dict[str, tuple[Status, ...]]:
    assert callable(make)
    with pytest.raises(InvalidLifecycle) as info:
        make()
    return {f.check: f.statuses for f in info.value.failures}


def test_removing_the_only_way_in_makes_a_status_unreachable() -> None:
    """Removing 9 → 6 leaves DELETE_FAILED reachable only through UNKNOWN: rejected."""
    failed = failed_checks(lambda: LC.without_edges((9, 6)))
    assert failed == {"all_reachable": (S.DELETE_FAILED,)}


def test_an_edge_out_of_a_terminal_status_is_rejected() -> None:
    """Declaring COMPLETED → RUNNING breaks terminal_has_no_exit, naming COMPLETED."""
    failed = failed_checks(
        lambda: LC.with_events(Event("rerun", {S.COMPLETED}, S.RUNNING, "run it again"))
    )
    assert failed["terminal_has_no_exit"] == (S.COMPLETED,)


def test_two_events_for_one_pair_are_rejected() -> None:
    """A second declaration of WAITING → RUNNING breaks one_event_per_pair."""
    failed = failed_checks(
        lambda: LC.with_events(Event("launch", {S.WAITING}, S.RUNNING, "a second name"))
    )
    assert failed["one_event_per_pair"] == (S.WAITING, S.RUNNING)


def test_an_event_with_two_targets_from_one_status_is_rejected() -> None:
    """`start` leading anywhere but RUNNING from WAITING breaks events_deterministic."""
    failed = failed_checks(lambda: LC.with_events(Event("start", {S.WAITING}, S.LOST, "x")))
    assert "events_deterministic" in failed


def test_a_status_that_cannot_terminate_is_rejected() -> None:
    """If SCALING could only go back and forth with RUNNING, neither could finish."""
    lc_events = [
        Event("a", {S.INIT}, S.RUNNING, "start"),
        Event("b", {S.RUNNING}, S.SCALING, "grow"),
        Event("c", {S.SCALING}, S.RUNNING, "back"),
    ]
    failed = failed_checks(lambda: Lifecycle(lc_events))
    assert {S.INIT, S.RUNNING, S.SCALING} <= set(failed["active_can_terminate"])
    assert S.COMPLETED in failed["every_status_present"]


def test_initial_must_be_init() -> None:
    """A lifecycle that starts anywhere else breaks initial_is_declared."""
    failed = failed_checks(lambda: Lifecycle(MODELARTS_EVENTS, initial=S.WAITING))
    assert failed["initial_is_declared"] == (S.WAITING,)


def test_self_loops_and_bad_event_names_are_rejected() -> None:
    """A self-loop and an event that is not a public identifier fail their checks."""
    failed = failed_checks(
        lambda: LC.with_events(
            Event("stay", {S.RUNNING}, S.RUNNING, "x"), Event("_hidden", {S.SCALING}, S.LOST, "x")
        )
    )
    assert failed["no_self_loops"] == (S.RUNNING,)
    assert "event_names" in failed


def test_guards_must_name_declared_events() -> None:
    """A guard on an event the table does not declare is a mistake caught at build time."""
    failed = failed_checks(lambda: LC.with_guards(Guard("g", lambda m: True, "r", events={"x"})))
    assert "guards_name_declared_events" in failed


def test_removing_an_undeclared_edge_is_an_error() -> None:
    """without_edges refuses to remove what is not there, naming the edge."""
    failed = failed_checks(lambda: LC.without_edges((8, 7)))
    assert failed == {"removed_edges_declared": (S.WAITING, S.RUNNING)}


def test_a_valid_variant_passes_the_checks() -> None:
    """Removing an edge that other moves cover gives a new, checked lifecycle."""
    lc = LC.without_edges((1, 4))
    assert not lc.can_transition(S.INIT, S.SUBMIT_TRYING)
    assert LC.can_transition(S.INIT, S.SUBMIT_TRYING)  # the original is untouched


def test_invalid_lifecycle_message_lists_every_failure() -> None:
    """The error message has one line per failed check, with the offending statuses."""
    with pytest.raises(InvalidLifecycle) as info:
        LC.with_events(
            Event("rerun", {S.COMPLETED}, S.RUNNING, "x"), Event("stay", {S.LOST}, S.LOST, "x")
        )
    text = str(info.value)
    assert "terminal_has_no_exit" in text
    assert "COMPLETED(10)" in text
    assert "no_self_loops" in text


@pytest.mark.parametrize(
    ("build", "argument"),
    [
        (lambda: LC.with_guards(5), "guards"),  # type: ignore[arg-type]
        (lambda: Lifecycle(MODELARTS_EVENTS, guards=["gpus"]), "guards"),  # type: ignore[list-item]
        (lambda: Lifecycle(5), "events"),  # type: ignore[arg-type]
        (lambda: Lifecycle([*MODELARTS_EVENTS, "start"]), "events"),  # type: ignore[list-item]
    ],
)
def test_a_declaration_of_the_wrong_kind_is_named(
    build: Callable[[], Lifecycle], argument: str
) -> None:
    """A guard or an event that is not one is an InvalidArgument naming the argument, not an
    AttributeError from inside the table's construction."""
    with pytest.raises(InvalidArgument) as info:
        build()
    assert info.value.argument == argument
