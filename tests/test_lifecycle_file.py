"""Lifecycles read from TOML files: the shipped Slurm example, every mistake a file can hold, and
a round trip of random valid declarations."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jobfsm import InvalidLifecycle, Job, LifecycleFileError, UnknownLifecycle, UnknownStatus
from jobfsm.diagram import extract, render
from jobfsm.lifecycle import CHECKS
from jobfsm.lifecycles import EXAMPLES, get_lifecycle
from jobfsm.lifecycles.toml import load_lifecycle, parse_lifecycle
from jobfsm.validate import validate_history
from jobfsm.vocabulary import Outcome, Status

SLURM = EXAMPLES["slurm"]

#: A valid three-status declaration the error tests break one piece of at a time.
TINY = """\
name = "tiny"
initial = "Queued"

[[statuses]]
name = "Queued"

[[statuses]]
name = "Running"

[[statuses]]
name = "Done"
outcome = "succeeded"

[[events]]
name = "start"
sources = ["Queued"]
target = "Running"
reason = "a worker took it"

[[events]]
name = "finish"
sources = ["Running"]
target = "Done"
reason = "it exited with code 0"
"""


def write(tmp_path: Path, text: str | bytes, name: str = "lc.toml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def file_error(tmp_path: Path, text: str | bytes) -> LifecycleFileError:
    """The error loading ``text`` from a file raises; it always names the file."""
    path = write(tmp_path, text)
    with pytest.raises(LifecycleFileError) as info:
        load_lifecycle(path)
    assert info.value.path == str(path)
    assert str(path) in str(info.value)
    return info.value


# -- the Slurm example --------------------------------------------------------------------------


def test_slurm_example_is_shipped_and_passes_every_check() -> None:
    assert SLURM.is_file()
    lc = load_lifecycle(SLURM)
    assert lc.name == "slurm"
    assert lc.source == str(SLURM)
    # Building it ran every named check; none of them finds a status that breaks its rule.
    assert all(not check(lc)[0] for check in CHECKS)
    assert lc.initial.name == "PENDING"
    assert lc.gap is None
    names = {s.name for s in lc.statuses}
    assert {"PENDING", "RUNNING", "COMPLETING", "COMPLETED", "CANCELLED", "TIMEOUT"} <= names
    assert [s.name for s in lc.main_path] == ["PENDING", "RUNNING", "COMPLETING", "COMPLETED"]
    assert {s.name for s in lc.terminal} == {
        "COMPLETED",
        "FAILED",
        "TIMEOUT",
        "OUT_OF_MEMORY",
        "NODE_FAIL",
        "BOOT_FAIL",
        "DEADLINE",
        "CANCELLED",
    }
    assert lc.statuses["COMPLETED"].outcome is Outcome.SUCCEEDED
    assert lc.statuses["CANCELLED"].outcome is Outcome.CANCELED
    # Every move says why it is legal and where Slurm documents it.
    assert all(e.reason and e.cite.startswith("https://slurm.schedmd.com/") for e in lc.edges)


def test_slurm_moves() -> None:
    lc = load_lifecycle(SLURM)
    assert lc.can_transition("RUNNING", "SUSPENDED")
    assert lc.can_transition("SUSPENDED", "RUNNING")
    assert lc.event_for("PREEMPTED", "PENDING") == "requeue"
    assert lc.allowed_next("SUSPENDED") == {lc.parse("RUNNING"), lc.parse("CANCELLED")}
    assert not lc.can_transition("COMPLETED", "RUNNING")
    assert not lc.can_transition("PENDING", "COMPLETED")


def test_slurm_history_validates() -> None:
    lc = load_lifecycle(SLURM)
    walk = validate_history(["PENDING", "RUNNING", "COMPLETING", "COMPLETED"], lifecycle=lc)
    assert walk.ok
    assert walk.final is lc.parse("COMPLETED")
    back = validate_history(["COMPLETED", "RUNNING"], lifecycle=lc)
    assert not back.ok
    assert [v.index for v in back.violations] == [1]


def test_slurm_job_starts_in_initial_status_and_advances() -> None:
    lc = load_lifecycle(SLURM)
    job = Job("slurm-1", lifecycle=lc)
    assert job.status is lc.initial
    assert job.status.name == "PENDING"
    job.fire("start")
    assert job.status.name == "RUNNING"
    assert job.advance_to("CG")
    job.fire("complete")
    assert job.status.name == "COMPLETED"
    assert job.is_terminal
    assert [m.event for m in job.history] == ["start", "finish", "complete"]


def test_slurm_statuses_parse_in_any_case_and_by_alias() -> None:
    lc = load_lifecycle(SLURM)
    running = lc.statuses["RUNNING"]
    assert lc.parse("running") is running
    assert lc.parse(" Running ") is running
    assert lc.parse("R") is running
    assert lc.parse("cg") is lc.statuses["COMPLETING"]
    assert lc.parse("OOM") is lc.statuses["OUT_OF_MEMORY"]
    assert lc.statuses["PENDING"].details[:2] == ("Resources", "Priority")
    with pytest.raises(UnknownStatus, match="RUNNING"):
        lc.parse("RUNING")
    # Codes are internal (numeric is not set): a number is not a status.
    with pytest.raises(UnknownStatus):
        lc.parse(2)


def test_slurm_diagram() -> None:
    lc = load_lifecycle(SLURM)
    diagram = extract(lc)
    assert {n.id for n in diagram.nodes} >= {s.name for s in lc.statuses}
    dot = render(diagram, "dot")
    assert dot.startswith(b"digraph")
    assert b"PREEMPTED" in dot
    assert b"COMPLETING" in dot
    assert render(extract(lc, view="phase:queue"), "mermaid").startswith(b"stateDiagram")


# -- get_lifecycle --------------------------------------------------------------------------------


def test_get_lifecycle_reads_a_file_by_path(tmp_path: Path) -> None:
    assert get_lifecycle(SLURM).name == "slurm"
    assert get_lifecycle(str(SLURM)).name == "slurm"
    # A file that exists is read whatever its name ends with.
    other = write(tmp_path, TINY, "tiny.lifecycle")
    assert get_lifecycle(str(other)).name == "tiny"
    assert get_lifecycle("modelarts-v1").name == "modelarts-v1"


def test_get_lifecycle_missing_toml_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(LifecycleFileError, match="does not exist") as info:
        get_lifecycle(str(missing))
    assert info.value.path == str(missing)


def test_get_lifecycle_unknown_name() -> None:
    with pytest.raises(UnknownLifecycle, match="no-such-lifecycle"):
        get_lifecycle("no-such-lifecycle")


# -- reading the file ---------------------------------------------------------------------------


def test_tiny_declaration_reads() -> None:
    lc = parse_lifecycle(TINY)
    assert [(s.name, int(s)) for s in lc.statuses] == [("Queued", 0), ("Running", 1), ("Done", 2)]
    assert lc.source == "<string>"
    assert type(lc.initial).__name__ == "TinyStatus"


def test_byte_order_mark_is_not_part_of_the_text(tmp_path: Path) -> None:
    assert load_lifecycle(write(tmp_path, "\ufeff" + TINY)).name == "tiny"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(LifecycleFileError, match="does not exist") as info:
        load_lifecycle(path)
    assert info.value.where == ""
    assert str(path) in str(info.value)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(LifecycleFileError, match="is a directory"):
        load_lifecycle(tmp_path)


def test_fifo_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "lc.toml"
    os.mkfifo(fifo)
    with pytest.raises(LifecycleFileError, match="not a regular file"):
        load_lifecycle(fifo)


def test_unreadable(tmp_path: Path) -> None:
    # A path through a file fails to open as any OSError does (root reads files it may not).
    inside = write(tmp_path, TINY) / "lc.toml"
    with pytest.raises(LifecycleFileError, match="cannot be read") as info:
        load_lifecycle(inside)
    assert str(inside) in str(info.value)


def test_not_utf8(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('"tiny"', '"tiny"\n# caf\xe9').encode("latin-1"))
    assert err.where == "line 2"
    assert "UTF-8" in err.problem
    assert "0xe9" in err.problem


def test_toml_syntax_error_names_line_and_column(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('initial = "Queued"', "initial = Queued"))
    assert err.where == "line 2, column 11"
    assert err.problem.startswith("not valid TOML: ")


def test_missing_key(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('initial = "Queued"\n', ""))
    assert err.where == "initial"
    assert "missing" in err.problem


def test_missing_event_reason(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('reason = "a worker took it"\n', ""))
    assert err.where == "events[0].reason"


@pytest.mark.parametrize(
    ("old", "new", "where", "found"),
    [
        (
            'outcome = "succeeded"',
            'outcome = "succeeded"\nterminal = "yes"',
            "statuses[2].terminal",
            "a string",
        ),
        ('name = "Queued"', 'name = "Queued"\ncode = true', "statuses[0].code", "a boolean"),
        ('name = "Running"', 'name = "Running"\naliases = "R"', "statuses[1].aliases", "a string"),
        ('sources = ["Queued"]', 'sources = ["Queued", 2]', "events[0].sources[1]", "an integer"),
        ('name = "tiny"', "name = 1.5", "name", "a float"),
        ('name = "tiny"', 'name = "tiny"\nmain_path = "Queued"', "main_path", "a string"),
    ],
)
def test_wrong_type(tmp_path: Path, old: str, new: str, where: str, found: str) -> None:
    err = file_error(tmp_path, TINY.replace(old, new, 1))
    assert err.where == where
    assert found in err.problem


def test_statuses_must_be_tables(tmp_path: Path) -> None:
    text = 'name = "x"\ninitial = "A"\nstatuses = ["A"]\nevents = []\n'
    err = file_error(tmp_path, text)
    assert err.where == "statuses[0]"
    assert "[[statuses]]" in err.problem


def test_unknown_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    err = file_error(
        tmp_path, TINY.replace('name = "Running"', 'name = "Running"\ndescripton = "x"')
    )
    assert err.where == "statuses[1].descripton"
    assert "did you mean description?" in err.problem


def test_unknown_top_level_and_event_keys(tmp_path: Path) -> None:
    err = file_error(tmp_path, "intial = 'Queued'\n" + TINY)
    assert err.where == "intial"
    assert "did you mean initial?" in err.problem
    err = file_error(tmp_path, TINY + 'because = "x"\n')
    assert err.where == "events[1].because"


def test_duplicate_status_name(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('name = "Done"', 'name = "Running"'))
    assert err.where == "statuses[2].name"
    assert "already" in err.problem


def test_status_names_differ_in_more_than_case(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('name = "Done"', 'name = "RUNNING"'))
    assert err.where == "statuses[2].name"
    assert "any case" in err.problem


def test_alias_taken_by_another_status(tmp_path: Path) -> None:
    text = TINY.replace('name = "Done"', 'name = "Done"\naliases = ["finished", "queued"]')
    err = file_error(tmp_path, text)
    assert err.where == "statuses[2].aliases[1]"
    assert "Queued" in err.problem


def test_duplicate_code(tmp_path: Path) -> None:
    # Running takes code 1 from its position; Done claims it too.
    err = file_error(tmp_path, TINY.replace('name = "Done"', 'name = "Done"\ncode = 1'))
    assert err.where == "statuses[2].code"
    assert "Running" in err.problem


@pytest.mark.parametrize("name", ["Not running", "1st", "_hidden", "Läuft", ""])
def test_status_name_must_be_a_word(tmp_path: Path, name: str) -> None:
    err = file_error(tmp_path, TINY.replace('name = "Running"', f'name = "{name}"'))
    assert err.where == "statuses[1].name"
    assert "letter" in err.problem


def test_status_name_may_not_shadow_a_status_attribute(tmp_path: Path) -> None:
    assert hasattr(Status, "parse")
    err = file_error(tmp_path, TINY.replace('name = "Running"', 'name = "parse"'))
    assert err.where == "statuses[1].name"


def test_event_naming_an_undeclared_status(tmp_path: Path) -> None:
    err = file_error(
        tmp_path, TINY.replace('sources = ["Queued"]', 'sources = ["Queued", "Runing"]')
    )
    assert err.where == "events[0].sources[1]"
    assert "'Runing' is not a declared status" in err.problem
    assert "did you mean Running?" in err.problem


def test_references_are_spelt_as_declared(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('target = "Done"', 'target = "done"'))
    assert err.where == "events[1].target"
    assert "did you mean Done?" in err.problem
    err = file_error(tmp_path, TINY.replace('initial = "Queued"', 'initial = "Waiting"'))
    assert err.where == "initial"
    text = TINY.replace('initial = "Queued"', 'initial = "Queued"\nmain_path = ["Queued", "Ended"]')
    assert file_error(tmp_path, text).where == "main_path[1]"


def test_event_source_listed_twice(tmp_path: Path) -> None:
    err = file_error(
        tmp_path, TINY.replace('sources = ["Queued"]', 'sources = ["Queued", "Queued"]')
    )
    assert err.where == "events[0].sources[1]"


def test_event_without_sources(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('sources = ["Queued"]', "sources = []"))
    assert err.where == "events[0].sources"


def test_unknown_outcome(tmp_path: Path) -> None:
    err = file_error(tmp_path, TINY.replace('outcome = "succeeded"', 'outcome = "success"'))
    assert err.where == "statuses[2].outcome"
    assert "succeeded, failed, canceled" in err.problem


def test_outcome_with_terminal_false(tmp_path: Path) -> None:
    text = TINY.replace('outcome = "succeeded"', 'outcome = "succeeded"\nterminal = false')
    assert file_error(tmp_path, text).where == "statuses[2].terminal"


def test_no_statuses(tmp_path: Path) -> None:
    err = file_error(tmp_path, 'name = "x"\ninitial = "A"\nstatuses = []\nevents = []\n')
    assert err.where == "statuses"


def test_numeric_alias_of_digits(tmp_path: Path) -> None:
    text = TINY.replace('name = "Running"', 'name = "Running"\naliases = ["8"]')
    assert parse_lifecycle(text).parse("8").name == "Running"
    err = file_error(tmp_path, "numeric = true\n" + text)
    assert err.where == "statuses[1].aliases[0]"


def test_numeric_lifecycle_reads_codes() -> None:
    text = "numeric = true\n" + TINY.replace('name = "Done"', 'name = "Done"\ncode = 10')
    lc = parse_lifecycle(text)
    assert lc.parse(10).name == "Done"
    assert lc.parse("1").name == "Running"
    assert lc.parse("Done").reported == 10


def test_gap_status() -> None:
    text = TINY.replace('initial = "Queued"', 'initial = "Queued"\ngap = "Lost"') + (
        '[[statuses]]\nname = "Lost"\n\n'
        '[[events]]\nname = "lose"\nsources = ["Queued", "Running"]\ntarget = "Lost"\n'
        'reason = "no answer"\n\n'
        '[[events]]\nname = "found_running"\nsources = ["Lost"]\ntarget = "Running"\n'
        'reason = "seen again"\n'
    )
    lc = parse_lifecycle(text)
    assert lc.gap is not None
    assert lc.gap.name == "Lost"


# -- the named checks ---------------------------------------------------------------------------


def test_unreachable_status_fails_all_reachable(tmp_path: Path) -> None:
    # Orphan leads to Done, but nothing leads to Orphan.
    text = TINY + (
        '\n[[statuses]]\nname = "Orphan"\n\n'
        '[[events]]\nname = "finish"\nsources = ["Orphan"]\ntarget = "Done"\nreason = "done"\n'
    )
    path = write(tmp_path, text)
    with pytest.raises(InvalidLifecycle) as info:
        load_lifecycle(path)
    err = info.value
    assert err.path == str(path)
    message = str(err)
    assert str(path) in message
    assert "all_reachable" in message
    failed = {f.check: {s.name for s in f.statuses} for f in err.failures}
    assert failed == {"all_reachable": {"Orphan"}}


def test_edge_out_of_terminal_fails_terminal_has_no_exit(tmp_path: Path) -> None:
    text = TINY + (
        '\n[[events]]\nname = "rerun"\nsources = ["Done"]\ntarget = "Queued"\nreason = "again"\n'
    )
    with pytest.raises(InvalidLifecycle, match="terminal_has_no_exit") as info:
        load_lifecycle(write(tmp_path, text))
    assert "Done" in str(info.value)


def test_event_name_that_is_not_an_identifier_fails_event_names() -> None:
    with pytest.raises(InvalidLifecycle, match="event_names") as info:
        parse_lifecycle(TINY.replace('name = "start"', 'name = "start now"'), path="mine.toml")
    assert "mine.toml" in str(info.value)


# -- round trip ---------------------------------------------------------------------------------

WORD = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,7}", fullmatch=True).filter(
    lambda w: not hasattr(Status, w)
)
EVENT_NAME = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
TEXT = st.text(max_size=12)
SOME_TEXT = st.text(min_size=1, max_size=12).filter(str.strip)


@dataclass
class Row:
    name: str
    code: int | None
    description: str
    outcome: str | None
    terminal: bool
    group: str
    aliases: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)


@dataclass
class Move:
    name: str
    sources: list[str]
    target: str
    reason: str
    cite: str


@dataclass
class Declaration:
    name: str
    numeric: bool
    initial: str
    rows: list[Row]
    moves: list[Move]


@st.composite
def declarations(draw: st.DrawFn) -> Declaration:
    """A valid declaration: a chain of active statuses from the initial one, each terminal status
    entered from some of them (the first from the last active one), and some moves back."""
    n_active = draw(st.integers(1, 4))
    n_terminal = draw(st.integers(1, 3))
    n = n_active + n_terminal
    words = draw(st.lists(WORD, min_size=n, max_size=n + 3, unique_by=str.upper))
    active, terminal = words[:n_active], words[n_active:n]
    rows = [
        Row(
            name,
            None,
            draw(TEXT),
            draw(st.sampled_from([None, "succeeded", "failed", "canceled"]))
            if i >= n_active
            else None,
            i >= n_active,
            draw(st.sampled_from(["", "queue", "run"])),
        )
        for i, name in enumerate(words[:n])
    ]
    for alias in words[n:]:
        draw(st.sampled_from(rows)).aliases.append(alias)
    for row in rows:
        row.details = draw(st.lists(SOME_TEXT.map(str.strip), max_size=2, unique=True))
    if draw(st.booleans()):
        codes = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n, unique=True))
        for row, code in zip(rows, codes, strict=True):
            row.code = code
    pairs = [(active[i], active[i + 1]) for i in range(n_active - 1)]
    pairs += [
        (active[i], active[j]) for i in range(1, n_active) for j in range(i) if draw(st.booleans())
    ]
    groups: list[tuple[list[str], str]] = [([a], b) for a, b in pairs]
    for k, end in enumerate(terminal):
        sources = draw(st.lists(st.sampled_from(active), min_size=1, unique=True))
        if k == 0 and active[-1] not in sources:
            sources.append(active[-1])
        groups.append((sources, end))
    names = draw(st.lists(EVENT_NAME, min_size=len(groups), max_size=len(groups), unique=True))
    moves = [
        Move(name, sources, target, draw(SOME_TEXT), draw(st.just("") | SOME_TEXT))
        for name, (sources, target) in zip(names, groups, strict=True)
    ]
    order = draw(st.permutations(rows))
    return Declaration(draw(SOME_TEXT), draw(st.booleans()), active[0], list(order), moves)


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch < " " or ch == "\x7f":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_list(items: list[str]) -> str:
    return "[" + ", ".join(toml_string(i) for i in items) + "]"


def to_toml(decl: Declaration) -> str:
    lines = [
        f"name = {toml_string(decl.name)}",
        f"initial = {toml_string(decl.initial)}",
        f"numeric = {'true' if decl.numeric else 'false'}",
    ]
    for row in decl.rows:
        lines += ["", "[[statuses]]", f"name = {toml_string(row.name)}"]
        if row.code is not None:
            lines.append(f"code = {row.code}")
        if row.description:
            lines.append(f"description = {toml_string(row.description)}")
        if row.outcome is not None:
            lines.append(f"outcome = {toml_string(row.outcome)}")
        elif row.terminal:
            lines.append("terminal = true")
        if row.group:
            lines.append(f"group = {toml_string(row.group)}")
        if row.aliases:
            lines.append(f"aliases = {toml_list(row.aliases)}")
        if row.details:
            lines.append(f"details = {toml_list(row.details)}")
    for move in decl.moves:
        lines += [
            "",
            "[[events]]",
            f"name = {toml_string(move.name)}",
            f"sources = {toml_list(move.sources)}",
            f"target = {toml_string(move.target)}",
            f"reason = {toml_string(move.reason)}",
        ]
        if move.cite:
            lines.append(f"cite = {toml_string(move.cite)}")
    return "\n".join(lines) + "\n"


@settings(deadline=None)
@given(declarations())
def test_random_declarations_round_trip(decl: Declaration) -> None:
    lc = parse_lifecycle(to_toml(decl), path="random.toml")
    assert lc.name == decl.name
    assert lc.initial.name == decl.initial
    assert lc.statuses.vocabulary.numeric is decl.numeric
    expected_rows = [
        (
            row.name,
            row.code if row.code is not None else i,
            row.description,
            None if row.outcome is None else Outcome(row.outcome),
            row.terminal,
            row.group,
            tuple(row.aliases),
            tuple(row.details),
        )
        for i, row in enumerate(decl.rows)
    ]
    assert [
        (s.name, int(s), s.description, s.outcome, s.is_terminal, s.group, s.aliases, s.details)
        for s in lc.statuses
    ] == expected_rows
    assert {(e.source.name, e.target.name, e.event, e.reason, e.cite) for e in lc.edges} == {
        (source, m.target, m.name, m.reason, m.cite) for m in decl.moves for source in m.sources
    }
    for row in decl.rows:
        for text in (row.name.lower(), *row.aliases):
            assert lc.parse(text).name == row.name
