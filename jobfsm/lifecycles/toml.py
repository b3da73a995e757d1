'''A lifecycle declared in a TOML file: its statuses, its initial status and every legal move.

The file holds a few top-level keys, one ``[[statuses]]`` table per status and one ``[[events]]``
table per declaration of a move. A complete file:

>>> lc = parse_lifecycle("""
... name = "tiny"
... initial = "Queued"
...
... [[statuses]]
... name = "Queued"
... aliases = ["Q"]
...
... [[statuses]]
... name = "Running"
...
... [[statuses]]
... name = "Done"
... outcome = "succeeded"
...
... [[events]]
... name = "start"
... sources = ["Queued"]
... target = "Running"
... reason = "a worker picked the job up"
...
... [[events]]
... name = "finish"
... sources = ["Running"]
... target = "Done"
... reason = "the job exited with code 0"
... """)
>>> lc.can_transition("q", "running"), lc.main_path
(True, (<TinyStatus.Queued: 0>, <TinyStatus.Running: 1>, <TinyStatus.Done: 2>))

Top-level keys:

- ``name`` (required): the lifecycle's name, shown in reports and error messages.
- ``initial`` (required): the status every job starts in.
- ``description``: what the lifecycle models, in a sentence.
- ``gap``: the status a poller reports when the platform could not say (a gap in observation).
- ``main_path``: the status names drawn as the diagram's straight spine (by default the shortest
  way from ``initial`` to a succeeding status).
- ``numeric``: true when clients report the integer codes rather than the names.
- ``prefix``: a prefix the API writes before names (``JOBSTAT_``), accepted and optional.
- ``groups``: the statuses' groups in drawing order.

Each ``[[statuses]]`` table: ``name`` (required; a letter, then letters, digits or ``_``),
``code`` (an integer, by default the table's position counting from 0), ``description``,
``description_zh``, ``outcome`` (``succeeded``, ``failed`` or ``canceled``; a status with an
outcome is terminal), ``terminal`` (true when nothing leaves the status), ``group``, ``aliases``
(other names clients report) and ``details`` (secondary phases reported with the status).

Each ``[[events]]`` table: ``name``, ``sources`` (a list of status names), ``target`` and
``reason`` (all required), and ``cite``: where the move is documented.

An optional ``[limits]`` table gives the longest time a job may stay in some active statuses, as
durations (``WAITING = "2h"``, ``RUNNING = "3d"``: numbers with ``s``, ``m``, ``h`` or ``d``), and
an optional ``[actions]`` table what to do with a job that overstays one: ``WAITING = { stop =
"KILLING" }`` requests a stop by moving it, judged, to the status named (see
:mod:`jobfsm.deadlines`). They become the lifecycle's ``limits``.

Statuses are named in events, ``initial``, ``gap`` and ``main_path`` exactly as declared. Every
mistake in the file raises :class:`~jobfsm.errors.LifecycleFileError` naming the file, the key at
fault and what is accepted; a declaration that reads but breaks one of the lifecycle's named checks
raises :class:`~jobfsm.errors.InvalidLifecycle` naming the file.
'''

from __future__ import annotations

import difflib
import os
import re
import stat
import sys
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Final, TypeVar

from jobfsm.deadlines import Deadlines, Stop, parse_duration
from jobfsm.errors import InvalidLifecycle, LifecycleFileError, _shown
from jobfsm.lifecycle import Event, Lifecycle
from jobfsm.vocabulary import Outcome, Status, StatusInfo, declare_statuses

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["load_lifecycle", "parse_lifecycle"]

_TOP_KEYS: Final = (
    "name",
    "description",
    "initial",
    "gap",
    "main_path",
    "numeric",
    "prefix",
    "groups",
    "statuses",
    "events",
    "limits",
    "actions",
)
_ACTION_KEYS: Final = ("stop",)
_STATUS_KEYS: Final = (
    "name",
    "code",
    "description",
    "description_zh",
    "outcome",
    "terminal",
    "group",
    "aliases",
    "details",
)
_EVENT_KEYS: Final = ("name", "sources", "target", "reason", "cite")
_OUTCOMES: Final = {o.value: o for o in Outcome}
_STATUS_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
# A key TOML writes without quotes; any other is shown quoted, so that it shows as written.
_BARE_KEY: Final = re.compile(r"[A-Za-z0-9_-]+")
# tomllib ends every message with where it stopped reading.
_POSITION: Final = re.compile(r"\s*\((at line (\d+), column (\d+)|at end of document)\)$")

_T = TypeVar("_T")


def load_lifecycle(path: str | os.PathLike[str]) -> Lifecycle:
    """The lifecycle the TOML file at ``path`` declares (see the module docs for the format).

    Raises:
        LifecycleFileError: the file is missing or unreadable, is not UTF-8 TOML, or does not have
            the declaration's shape; the error names the key at fault.
        InvalidLifecycle: the declaration fails a named check; the error names the file.

    >>> from jobfsm.lifecycles import EXAMPLES
    >>> load_lifecycle(EXAMPLES["slurm"]).initial
    <SlurmStatus.PENDING: 0>
    """
    shown = os.fspath(path)
    file = Path(shown)
    try:
        mode = file.stat().st_mode
        # A FIFO or a device would block or never end: only a regular file is read.
        if not stat.S_ISREG(mode):
            what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            raise LifecycleFileError(shown, "", f"is {what}; expected a TOML file")
        data = file.read_bytes()
    except FileNotFoundError:
        raise LifecycleFileError(shown, "", "the file does not exist") from None
    except OSError as exc:
        raise LifecycleFileError(shown, "", f"cannot be read: {exc.strerror or exc}") from None
    try:
        # utf-8-sig: a byte order mark, which some editors write, is not part of the text.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise LifecycleFileError(
            shown,
            f"line {line}",
            f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
        ) from None
    return parse_lifecycle(text, path=shown)


def parse_lifecycle(text: str, *, path: str = "<string>") -> Lifecycle:
    """The lifecycle the TOML ``text`` declares; ``path`` names it in errors and in ``source``.

    Raises:
        LifecycleFileError: ``text`` is not TOML or does not have the declaration's shape.
        InvalidLifecycle: the declaration fails a named check.

    >>> parse_lifecycle('name = "x" y', path="x.toml")
    Traceback (most recent call last):
    ...
    jobfsm.errors.LifecycleFileError: lifecycle file x.toml at line 1, column 12: not valid TOML...
    """
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = _POSITION.search(message)
        where = ""
        if found is not None:
            message = message[: found.start()]
            where = f"line {found[2]}, column {found[3]}" if found[2] else "end of file"
        raise LifecycleFileError(path, where, f"not valid TOML: {message}") from None
    except RecursionError:
        raise LifecycleFileError(path, "", "arrays or tables nested too deeply to read") from None
    return _Reader(path).lifecycle(table)


class _Reader:
    """Reads one parsed file, raising LifecycleFileError with the key path at fault."""

    def __init__(self, path: str) -> None:
        self.path = path

    def error(self, where: str, problem: str) -> LifecycleFileError:
        return LifecycleFileError(self.path, where, problem)

    # -- shapes ---------------------------------------------------------------------------------

    def keys(
        self, table: Mapping[str, object], allowed: tuple[str, ...], at: str, what: str
    ) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                shown = key if _BARE_KEY.fullmatch(key) else _shown(key)
                raise self.error(
                    _at(at, shown), f"unknown key; {what} takes {', '.join(allowed)}{hint}"
                )

    def value(
        self,
        table: Mapping[str, object],
        key: str,
        at: str,
        kind: type[_T],
        default: _T | None = None,
    ) -> _T:
        """``table[key]`` checked to be a ``kind``; ``default`` when absent (None: required)."""
        where = _at(at, key)
        if key not in table:
            if default is None:
                raise self.error(where, f"required key missing; expected {_KINDS[kind]}")
            return default
        found = table[key]
        # TOML's true is a bool, which Python also counts as an int.
        if not isinstance(found, kind) or (kind is int and isinstance(found, bool)):
            raise self.error(where, f"expected {_KINDS[kind]}, found {_found(found)}")
        return found

    def text(
        self, table: Mapping[str, object], key: str, at: str, default: str | None = None
    ) -> str:
        """A string that is not blank, unless it may be absent and is."""
        found = self.value(table, key, at, str, default)
        if key in table and not found.strip():
            raise self.error(_at(at, key), "is blank; expected some text")
        return found

    def texts(self, table: Mapping[str, object], key: str, at: str) -> list[str]:
        """An array of non-blank strings, each listed once (empty when absent)."""
        items = self.value(table, key, at, list, [])
        seen: set[str] = set()
        for i, item in enumerate(items):
            where = f"{_at(at, key)}[{i}]"
            if not isinstance(item, str):
                raise self.error(where, f"expected a string, found {_found(item)}")
            if not item.strip() or item != item.strip():
                raise self.error(where, f"{_shown(item)} is blank or starts or ends with spaces")
            if item in seen:
                raise self.error(where, f"{_shown(item)} is listed twice")
            seen.add(item)
        return items

    def tables(
        self, table: Mapping[str, object], key: str, example: str
    ) -> list[dict[str, object]]:
        items = self.value(table, key, "", list)
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.error(
                    f"{key}[{i}]", f"expected a table ({example}), found {_kind(item)}"
                )
        return items

    # -- the declaration ------------------------------------------------------------------------

    def lifecycle(self, top: Mapping[str, object]) -> Lifecycle:
        self.keys(top, _TOP_KEYS, "", "the file")
        name = self.text(top, "name", "")
        description = self.text(top, "description", "", "")
        rows = self.tables(top, "statuses", "[[statuses]]")
        if not rows:
            raise self.error("statuses", "is empty; declare at least one [[statuses]] table")
        infos = [self.status(row, i) for i, row in enumerate(rows)]
        self.distinct(infos, rows)
        names = [info.name for info in infos]
        numeric = self.value(top, "numeric", "", bool, False)
        if numeric:
            for i, info in enumerate(infos):
                for j, alias in enumerate(info.aliases):
                    if alias.isdigit():
                        raise self.error(
                            f"statuses[{i}].aliases[{j}]",
                            f"{alias!r} would be read as a code, since numeric = true; "
                            "expected a name",
                        )
        initial = self.reference(top, "initial", "", names)
        gap = self.reference(top, "gap", "", names) if "gap" in top else None
        prefix = self.value(top, "prefix", "", str, "")
        groups = self.texts(top, "groups", "")
        main_path = [
            self.known(item, f"main_path[{i}]", names)
            for i, item in enumerate(self.texts(top, "main_path", ""))
        ]
        statuses = declare_statuses(
            _class_name(name),
            infos,
            name=name,
            prefix=prefix,
            numeric=numeric,
            initial=initial,
            gap=gap,
            groups=groups,
        )
        events = [
            self.event(row, i, statuses, names)
            for i, row in enumerate(self.tables(top, "events", "[[events]]"))
        ]
        try:
            lifecycle = Lifecycle(
                events,
                name=name,
                statuses=statuses,
                description=description,
                source=self.path,
                main_path=main_path,
            )
        except InvalidLifecycle as exc:
            raise InvalidLifecycle(exc.failures, path=self.path) from None
        if "limits" not in top and "actions" not in top:
            return lifecycle
        limits = self.limits(top, lifecycle, names)
        return Lifecycle(
            lifecycle.events,
            name=name,
            statuses=statuses,
            description=description,
            source=self.path,
            main_path=lifecycle.main_path,
            limits=limits,
        )

    def limits(
        self, top: Mapping[str, object], lifecycle: Lifecycle, names: list[str]
    ) -> Deadlines:
        """The ``[limits]`` and ``[actions]`` tables, as Deadlines."""
        table = self.value(top, "limits", "", dict, {})
        found: dict[Status | int | str, timedelta | str] = {}
        for key, text in table.items():
            where = _at("limits", key if _BARE_KEY.fullmatch(key) else _shown(key))
            status = lifecycle.statuses[self.known(key, where, names)]
            if status.is_terminal:
                raise self.error(where, f"{key} is terminal; a job that ended is never overdue")
            if not isinstance(text, str):
                raise self.error(where, f'expected a duration such as "2h", found {_found(text)}')
            try:
                limit = parse_duration(text)
            except ValueError as exc:
                raise self.error(where, str(exc)) from None
            if limit <= timedelta(0):
                raise self.error(where, f"{_shown(text)} is no time; expected a limit above 0s")
            found[status] = limit
        actions = self.value(top, "actions", "", dict, {})
        chosen: dict[Status | int | str, Stop] = {}
        for key, row in actions.items():
            where = _at("actions", key if _BARE_KEY.fullmatch(key) else _shown(key))
            status = lifecycle.statuses[self.known(key, where, names)]
            if not isinstance(row, dict):
                raise self.error(
                    where, f'expected a table such as {{ stop = "KILLING" }}, found {_found(row)}'
                )
            if status not in found:
                raise self.error(where, f"{key} has no limit in [limits]; an action needs one")
            self.keys(row, _ACTION_KEYS, where, "an action")
            target = lifecycle.statuses[self.reference(row, "stop", where, names)]
            if not lifecycle.can_transition(status, target):
                allowed = ", ".join(s.name for s in sorted(lifecycle.allowed_next(status)))
                raise self.error(
                    _at(where, "stop"),
                    f"{status.name} → {target.name} is not a declared move; expected one of "
                    f"{allowed}",
                )
            chosen[status] = Stop(target)
        return Deadlines(found, chosen, lifecycle=lifecycle)

    def status(self, row: Mapping[str, object], index: int) -> StatusInfo:
        at = f"statuses[{index}]"
        self.keys(row, _STATUS_KEYS, at, "a status")
        name = self.value(row, "name", at, str)
        if not _STATUS_NAME.fullmatch(name):
            raise self.error(
                f"{at}.name",
                f"{_shown(name)} is not a status name; expected a letter, then letters, digits or "
                "_ (such as RUNNING or Running)",
            )
        if hasattr(Status, name):
            raise self.error(
                f"{at}.name",
                f"{name!r} is the name of an attribute every status has; choose another name",
            )
        code = self.value(row, "code", at, int, index)
        if code < 0:
            raise self.error(f"{at}.code", f"{code} is negative; expected 0 or more")
        outcome_text = self.value(row, "outcome", at, str, "")
        outcome = None
        if "outcome" in row:
            outcome = _OUTCOMES.get(outcome_text)
            if outcome is None:
                raise self.error(
                    f"{at}.outcome",
                    f"{_shown(outcome_text)} is not an outcome; expected one of "
                    f"{', '.join(_OUTCOMES)} (or none for a status that does not end the job)",
                )
        terminal = self.value(row, "terminal", at, bool, outcome is not None)
        if outcome is not None and not terminal:
            raise self.error(
                f"{at}.terminal",
                f"is false, but a status with an outcome ({outcome.value}) ends the job; "
                "drop terminal or the outcome",
            )
        return StatusInfo(
            name=name,
            code=code,
            description=self.value(row, "description", at, str, ""),
            outcome=outcome,
            group=self.value(row, "group", at, str, ""),
            aliases=tuple(self.texts(row, "aliases", at)),
            description_zh=self.value(row, "description_zh", at, str, ""),
            terminal=terminal,
            details=tuple(self.texts(row, "details", at)),
        )

    def distinct(self, infos: list[StatusInfo], rows: list[dict[str, object]]) -> None:
        """Refuse two statuses with one code, or one name or alias (names are read in any case)."""
        codes: dict[int, int] = {}
        texts: dict[str, int] = {}
        for i, info in enumerate(infos):
            first = codes.setdefault(info.code, i)
            if first != i:
                implicit = ""
                if "code" not in rows[i] or "code" not in rows[first]:
                    implicit = "; a status without a code takes its position, so give each a code"
                raise self.error(
                    f"statuses[{i}].code" if "code" in rows[i] else f"statuses[{i}]",
                    f"code {info.code} is already the code of {infos[first].name} "
                    f"(statuses[{first}]){implicit}",
                )
            for j, text in enumerate((info.name, *info.aliases)):
                first = texts.setdefault(text.upper(), i)
                if first != i:
                    where = f"statuses[{i}].name" if j == 0 else f"statuses[{i}].aliases[{j - 1}]"
                    raise self.error(
                        where,
                        f"{text!r} is already a name or alias of {infos[first].name} "
                        f"(statuses[{first}]); names and aliases are read in any case, so each "
                        "must differ from the others in more than case",
                    )

    def known(self, name: object, where: str, names: list[str]) -> str:
        """``name`` checked to be a declared status name."""
        if not isinstance(name, str):
            raise self.error(where, f"expected a status name, found {_found(name)}")
        if name in names:
            return name
        close = [n for n in names if n.upper() == name.upper()] or difflib.get_close_matches(
            name, names, n=1
        )
        hint = f" (did you mean {close[0]}?)" if close else ""
        listed = ", ".join(names)
        raise self.error(
            where,
            f"{_shown(name)} is not a declared status; expected one of {listed}, spelt as in "
            f"[[statuses]]{hint}",
        )

    def reference(self, table: Mapping[str, object], key: str, at: str, names: list[str]) -> str:
        return self.known(self.value(table, key, at, str), _at(at, key), names)

    def event(
        self, row: Mapping[str, object], index: int, statuses: type[Status], names: list[str]
    ) -> Event:
        at = f"events[{index}]"
        self.keys(row, _EVENT_KEYS, at, "an event")
        name = self.text(row, "name", at)
        sources = self.value(row, "sources", at, list)
        if not sources:
            raise self.error(f"{at}.sources", "is empty; expected at least one status name")
        seen: set[str] = set()
        for i, source in enumerate(sources):
            where = f"{at}.sources[{i}]"
            self.known(source, where, names)
            if source in seen:
                raise self.error(where, f"{source!r} is listed twice")
            seen.add(source)
        target = self.reference(row, "target", at, names)
        return Event(
            name,
            [statuses[s] for s in sources],
            statuses[target],
            self.text(row, "reason", at),
            cite=self.text(row, "cite", at, ""),
        )


_KINDS: Final[dict[type, str]] = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    list: "an array",
    dict: "a table",
}


def _kind(value: object) -> str:
    """What TOML calls the type of ``value``."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a float"
    for kind, words in _KINDS.items():
        if isinstance(value, kind):
            return words
    return "a date or time"


def _found(value: object) -> str:
    """``value`` described as TOML writes it: ``a boolean true``, ``an integer 3``."""
    if isinstance(value, bool):
        return f"a boolean {str(value).lower()}"
    if isinstance(value, (list, dict)):
        return _kind(value)
    return f"{_kind(value)} {_shown(value)}"


def _at(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _class_name(name: str) -> str:
    """The status enum's class name: ``slurm`` gives ``SlurmStatus``."""
    words = "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", name) if w)
    words = words if words[:1].isalpha() and words.isascii() else "File"
    return f"{words}Status"
