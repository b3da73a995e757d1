"""Judging observed histories: strict and polled modes, the rules table and the report."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from jobfsm import (
    DEFAULT_LIFECYCLE,
    HistoryReport,
    InvalidArgument,
    JobFSMError,
    JobStatus,
    Mode,
    Rules,
    Step,
    StepKind,
    UnknownMode,
    UnknownStatus,
    VerdictKind,
    validate_history,
)
from jobfsm.validate import REPEAT, VIOLATION
from jobfsm.vocabulary import Status

S = JobStatus
LC = DEFAULT_LIFECYCLE


@st.composite
def legal_walks(
    draw: st.DrawFn, *, avoid_unknown: bool = False, max_moves: int = 25
) -> list[Status]:
    """A random walk along declared edges, with repeated observations mixed in."""
    start = draw(st.sampled_from([s for s in S if not (avoid_unknown and s is S.UNKNOWN)]))
    walk: list[Status] = [start]
    for _ in range(draw(st.integers(0, max_moves))):
        here = walk[-1]
        choices = sorted(t for t in LC.next_map[here] if not (avoid_unknown and t is S.UNKNOWN))
        if not choices:
            break
        if draw(st.booleans()) and draw(st.booleans()):
            walk.append(here)  # the poller saw the same status again
        walk.append(draw(st.sampled_from(choices)))
    return walk


def with_inferred(report: HistoryReport) -> list[Status]:
    """The observed statuses with every inferred chain put back in place."""
    completed: list[Status] = []
    skipped = {i.index: i.skipped for i in report.inferred}
    for index, status in enumerate(report.statuses):
        completed.extend(skipped.get(index, ()))
        completed.append(status)
    return completed


# -- properties -----------------------------------------------------------------------------------


@given(legal_walks())
def test_every_legal_walk_passes_strict(walk: list[S]) -> None:
    """A walk along declared edges (repeats included) has no violation and ends where it ended."""
    report = validate_history(walk)
    assert report.ok
    assert report.violations == ()
    assert report.inferred == ()
    assert report.final is walk[-1]


@given(legal_walks(avoid_unknown=True), st.data())
def test_dropping_statuses_still_passes_polled(walk: list[S], data: st.DataObject) -> None:
    """A legal walk with statuses dropped passes polled, and its inferred chains complete it."""
    keep = data.draw(st.lists(st.booleans(), min_size=len(walk), max_size=len(walk)))
    observed = [s for s, k in zip(walk, keep, strict=True) if k] or walk[:1]
    report = validate_history(observed, "polled")
    assert report.ok
    assert report.final is observed[-1]
    for inference in report.inferred:
        assert S.UNKNOWN not in inference.skipped
        assert not any(s.is_terminal for s in inference.skipped)
    assert validate_history(with_inferred(report), "strict").ok


@given(legal_walks(), st.data())
def test_an_inserted_undeclared_move_fails_strict_once_at_its_index(
    walk: list[S], data: st.DataObject
) -> None:
    """Inserting one undeclared status yields exactly one violation, at exactly that index."""
    index = data.draw(st.integers(1, len(walk)))
    source = walk[index - 1]
    bad = [s for s in S if s is not source and not LC.can_transition(source, s)]
    assume(bad)
    stray = data.draw(st.sampled_from(bad))
    observed = [*walk[:index], stray, *walk[index:]]
    report = validate_history(observed, "strict")
    assert [v.index for v in report.violations] == [index]
    (violation,) = report.violations
    assert (violation.source, violation.target) == (source, stray)
    assert violation.allowed == LC.next_map[source]
    assert report.final is walk[-1]


@given(st.sampled_from(list(S)), st.sampled_from(list(S)), st.sampled_from(list(Mode)))
def test_rules_agree_with_the_lifecycle(a: S, b: S, mode: Mode) -> None:
    """Every table entry follows from the declared edges and shortest_path."""
    step = Rules.for_lifecycle(LC, mode).step(a, b)
    if a is b:
        assert step.kind is StepKind.REPEAT
    elif LC.can_transition(a, b):
        assert step == Step(StepKind.MOVE, (), LC.event_for(a, b))
    elif mode is Mode.POLLED and (path := LC.shortest_path(a, b)) is not None:
        assert step == Step(StepKind.INFERRED, path[1:-1], None)
    else:
        assert step.kind is StepKind.VIOLATION


# -- examples -------------------------------------------------------------------------------------


def test_polled_infers_running_between_waiting_and_completed() -> None:
    """WAITING → COMPLETED is accepted in polled mode with RUNNING skipped."""
    report = validate_history([S.WAITING, S.COMPLETED], "polled")
    assert report.ok
    (inference,) = report.inferred
    assert (inference.index, inference.source, inference.target) == (1, S.WAITING, S.COMPLETED)
    assert inference.skipped == (S.RUNNING,)


def test_strict_rejects_the_same_jump() -> None:
    """WAITING → COMPLETED is a violation in strict mode."""
    report = validate_history([S.WAITING, S.COMPLETED], Mode.STRICT)
    assert not report.ok
    assert report.violations[0].kind is VerdictKind.UNDECLARED
    assert report.final is S.WAITING


def test_polled_never_leaves_a_terminal_status() -> None:
    """COMPLETED → RUNNING is a FROM_TERMINAL violation even in polled mode."""
    report = validate_history([S.COMPLETED, S.RUNNING], "polled")
    (violation,) = report.violations
    assert violation.kind is VerdictKind.FROM_TERMINAL
    assert violation.allowed == frozenset()
    assert "terminal" in str(violation)


def test_polled_does_not_infer_through_unknown() -> None:
    """RUNNING → WAITING is rejected in polled mode although RUNNING → UNKNOWN → WAITING exists."""
    report = validate_history([S.RUNNING, S.WAITING], "polled")
    assert [v.index for v in report.violations] == [1]
    assert "no chain of declared moves" in str(report.violations[0])


def test_a_declared_edge_in_polled_mode_is_a_move() -> None:
    """A declared edge is a MOVE with its event and nothing skipped, in either mode."""
    for mode in Mode:
        assert Rules(LC, mode).step(S.WAITING, S.RUNNING) == Step(StepKind.MOVE, (), "start")


def test_repeats_are_not_moves() -> None:
    """The same status observed again is a REPEAT and never a violation, even when terminal."""
    rules = Rules.for_lifecycle(LC, "strict")
    assert all(rules.step(s, s).kind is StepKind.REPEAT for s in S)
    assert validate_history([10, 10, 10]).ok


def test_a_rejected_observation_changes_nothing() -> None:
    """After a rejected status the next one is judged from the last accepted status."""
    report = validate_history([S.WAITING, S.RUNNING, S.WAITING, S.COMPLETED])
    assert [v.index for v in report.violations] == [2]
    assert report.final is S.COMPLETED


def test_violation_message_names_index_move_and_allowed() -> None:
    """str(Violation) reads '#n: cannot move A → B; from A the allowed moves are: ...', with n
    counted from 1 for people (the third status is #3) and index from 0."""
    (violation,) = validate_history([7, 8, 7]).violations
    text = str(violation)
    assert violation.index == 2
    assert violation.to_dict()["index"] == 2
    assert text.startswith("#3: cannot move RUNNING(8) → WAITING(7); from RUNNING the allowed")
    assert "COMPLETED(10)" in text


def test_statuses_are_parsed_from_codes_and_names() -> None:
    """Codes, numeric strings, names and prefixed names are all accepted."""
    report = validate_history([1, "4", "waiting", "JOBSTAT_RUNNING"])
    assert report.statuses == (S.INIT, S.SUBMIT_TRYING, S.WAITING, S.RUNNING)
    assert report.ok


def test_bad_status_raises_unknown_status() -> None:
    """An element that is not a status propagates UnknownStatus naming it."""
    with pytest.raises(UnknownStatus, match="'FOO'"):
        validate_history([1, "FOO"])


def test_bad_mode_names_the_choices() -> None:
    """An unknown mode is a ValueError naming the value and both modes."""
    with pytest.raises(ValueError, match=r"'lenient'.*'strict', 'polled'"):
        validate_history([1], "lenient")


@pytest.mark.parametrize("mode", ["bogus", None, 3])
def test_bad_mode_is_unknown_mode(mode: object) -> None:
    """Mode.parse refuses with UnknownMode, a JobFSMError and a ValueError, listing the modes."""
    with pytest.raises(UnknownMode) as info:
        Mode.parse(mode)  # type: ignore[arg-type]
    assert isinstance(info.value, JobFSMError)
    assert isinstance(info.value, ValueError)
    assert info.value.value == mode
    assert info.value.accepted == ("strict", "polled")
    assert (
        str(info.value) == f"{mode!r} is not a validation mode; expected one of 'strict', 'polled'"
    )
    with pytest.raises(UnknownMode):
        validate_history([1], mode)  # type: ignore[arg-type]


@pytest.mark.parametrize("lifecycle", [None, "modelarts-v1"])
def test_a_lifecycle_that_is_not_one_is_refused(lifecycle: object) -> None:
    """validate_history and Rules name a lifecycle argument that is not one."""
    for call in (
        lambda: validate_history([1], lifecycle=lifecycle),  # type: ignore[arg-type]
        lambda: Rules(lifecycle),  # type: ignore[arg-type]
        lambda: Rules.for_lifecycle(lifecycle),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidArgument, match=r"lifecycle .* expected a Lifecycle"):
            call()


@pytest.mark.parametrize("statuses", ["RUNNING", "8", b"RUNNING", bytearray(b"\x08")])
def test_one_string_is_not_a_history(statuses: object) -> None:
    """A str or bytes is refused, not read one character (or byte) at a time."""
    with pytest.raises(InvalidArgument) as info:
        validate_history(statuses)  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError)
    assert isinstance(info.value, JobFSMError)
    assert info.value.argument == "statuses"
    assert "expected a list of statuses such as ['RUNNING']" in str(info.value)
    assert validate_history(["RUNNING"]).final is S.RUNNING


@pytest.mark.parametrize("statuses", [None, 8, 8.0, object()])
def test_what_is_not_a_collection_is_not_a_history(statuses: object) -> None:
    """None, a number or any other non-iterable is InvalidArgument saying what is accepted."""
    expected = r"expected a list of statuses such as \['RUNNING'\]$"
    with pytest.raises(InvalidArgument, match=expected):
        validate_history(statuses)  # type: ignore[arg-type]


def test_mode_parse_accepts_any_case() -> None:
    """Mode.parse takes a Mode or its name in any case."""
    assert Mode.parse(" STRICT ") is Mode.STRICT
    assert Mode.parse(Mode.POLLED) is Mode.POLLED


def test_empty_history_is_ok_with_no_final_status() -> None:
    """Nothing observed: nothing wrong, and no final status."""
    report = validate_history([])
    assert report.ok
    assert report.final is None
    assert "empty" in str(report)


def test_report_to_dict_is_json_safe() -> None:
    """to_dict() survives json.dumps and carries codes, the violation and the inference."""
    report = validate_history([7, 10, 8], "polled")
    data = json.loads(json.dumps(report.to_dict()))
    assert data["ok"] is False
    assert data["final"] == 10
    assert data["violations"][0]["index"] == 2
    assert data["violations"][0]["kind"] == "from_terminal"
    assert data["inferred"] == [{"index": 1, "source": 7, "target": 10, "skipped": [8]}]


def test_report_str_summarises_outcome_violations_and_inferences() -> None:
    """str(report) names the mode, the count, the final outcome and each finding."""
    text = str(validate_history([7, 10, 8], "polled"))
    assert text.splitlines()[0] == (
        "3 statuses, polled mode: 1 violation(s); final status COMPLETED(10) (succeeded)"
    )
    assert "inferred #2: WAITING(7) → COMPLETED(10) inferred via RUNNING(8)" in text


def test_rules_are_shared_per_lifecycle_and_mode() -> None:
    """for_lifecycle returns one Rules per (lifecycle, mode)."""
    assert Rules.for_lifecycle(LC, "polled") is Rules.for_lifecycle(LC, Mode.POLLED)
    assert Rules.for_lifecycle(LC, "polled") is not Rules.for_lifecycle(LC, "strict")


def test_rules_follow_a_custom_lifecycle() -> None:
    """Removing SCALING → RUNNING makes it a violation even in polled mode."""
    lifecycle = LC.without_edges((S.SCALING, S.RUNNING), name="no-resume")
    report = validate_history([S.SCALING, S.RUNNING], "polled", lifecycle=lifecycle)
    assert not report.ok
    assert validate_history([S.SCALING, S.RUNNING], "polled").ok


def test_rules_step_rejects_bad_codes() -> None:
    """step() parses its arguments, so a negative code is UnknownStatus, not a wrapped index."""
    with pytest.raises(UnknownStatus):
        Rules().step(-1, 8)


def test_the_table_is_indexed_by_code() -> None:
    """table[source][target] is step(source, target) for all 23 × 23 pairs."""
    rules = Rules.for_lifecycle(LC, "polled")
    assert len(rules.table) == 23
    assert all(len(row) == 23 for row in rules.table)
    assert all(rules.table[a][b] is rules.step(a, b) for a in S for b in S)


def test_repeat_and_violation_steps_are_shared_singletons() -> None:
    """Every REPEAT and VIOLATION entry is the module constant, so `step is REPEAT` is valid."""
    for mode in Mode:
        for row in Rules.for_lifecycle(LC, mode).table:
            for step in row:
                if step.kind is StepKind.REPEAT:
                    assert step is REPEAT
                elif step.kind is StepKind.VIOLATION:
                    assert step is VIOLATION


def test_rules_violation_builds_the_reported_violation() -> None:
    """Rules.violation gives what validate_history reports for the same rejected pair."""
    rules = Rules.for_lifecycle(LC, "polled")
    (reported,) = validate_history([S.RUNNING, S.WAITING], "polled").violations
    assert rules.violation(1, S.RUNNING, S.WAITING) == reported
    assert reported.mode is Mode.POLLED


def test_step_kinds_say_whether_the_observation_was_applied() -> None:
    """accepted is True for REPEAT, MOVE, INFERRED and FIRST; False for VIOLATION and LATE."""
    applied = {k for k in StepKind if k.accepted}
    assert applied == {StepKind.REPEAT, StepKind.MOVE, StepKind.INFERRED, StepKind.FIRST}


def test_a_refused_status_repeated_is_one_violation() -> None:
    """A poller that keeps reporting a refused status makes one violation, not one per poll."""
    report = validate_history([1, 7, 7, 7, 8])
    assert [(v.index, v.source, v.target) for v in report.violations] == [
        (1, JobStatus.INIT, JobStatus.WAITING),
        (4, JobStatus.INIT, JobStatus.RUNNING),
    ]
    assert report.final is JobStatus.INIT


def test_a_refused_status_seen_again_after_another_is_judged_again() -> None:
    """Only the observation just before makes a repeat: 8, 7, 8, 7 is two violations."""
    assert [v.index for v in validate_history([8, 7, 8, 7]).violations] == [1, 3]
