"""How one lifecycle's statuses correspond to another's, checked, and translation through it.

The built-in :data:`V1_TO_V2` says which ModelArts v2 phase (and secondary phase) each v1 status
is, so that a team moving from the v1 API to v2 can read its v1 histories and logs in v2 terms.
It is checked when it is built: every status of the source lifecycle is mapped (its gap status
may map to nothing: a gap in observation is dropped, not translated), and every declared move of
the source maps to a declared move of the target or stays in one status. So any history that
conforms to v1 translates to one that conforms to v2.

>>> from jobfsm.lifecycles.mapping import V1_TO_V2
>>> [s.name for s in V1_TO_V2.translate([1, 2, 4, 7, 8, 15, 8, 10])]
['Creating', 'Pending', 'Running', 'Completed']
>>> V1_TO_V2.detail(3)
'CreateFailed'
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from collections.abc import Mapping as MappingOf
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from jobfsm.errors import CheckFailure, InvalidArgument, InvalidLifecycle

if TYPE_CHECKING:
    from jobfsm.lifecycle import Lifecycle
    from jobfsm.logs import ObservationLog
    from jobfsm.vocabulary import Status

__all__ = ["MAPPINGS", "V1_TO_V2", "Correspondence", "LifecycleMapping", "mapping_between"]


@dataclass(frozen=True)
class Correspondence:
    """One source status, the target status it is (None: dropped), its secondary phase, why."""

    source: Status
    target: Status | None
    detail: str
    reason: str


class LifecycleMapping:
    """A checked correspondence from the statuses of ``source`` to those of ``target``.

    Args:
        source, target: the two lifecycles.
        rows: per source status name, ``(target status name or None, secondary phase, reason)``.

    Raises:
        InvalidLifecycle: the check ``every_status_mapped`` or ``moves_map_to_moves`` fails; each
            failure names the offending source statuses.
    """

    def __init__(
        self,
        source: Lifecycle,
        target: Lifecycle,
        rows: MappingOf[str, tuple[str | None, str, str]],
    ) -> None:
        self.source = source
        self.target = target
        self.name = f"{source.name} → {target.name}"
        table: dict[Status, Correspondence] = {}
        for key, (to, detail, reason) in rows.items():
            status = source.parse(key)
            table[status] = Correspondence(
                status, None if to is None else target.parse(to), detail, reason
            )
        self.rows: MappingOf[Status, Correspondence] = table
        self._check()

    def _check(self) -> None:
        failures = []
        unmapped = [s for s in self.source.statuses if s not in self.rows]
        dropped = [
            s for s, row in self.rows.items() if row.target is None and s is not self.source.gap
        ]
        if unmapped or dropped:
            failures.append(
                CheckFailure(
                    "every_status_mapped",
                    unmapped + dropped,
                    "every status maps to a status of the target (only the gap may map to none)",
                )
            )
        broken: set[Status] = set()
        pairs = []
        for edge in self.source.edges:
            a, b = self.rows.get(edge.source), self.rows.get(edge.target)
            if a is None or b is None or a.target is None or b.target is None:
                continue
            if a.target is not b.target and not self.target.can_transition(a.target, b.target):
                broken.update((edge.source, edge.target))
                pairs.append(
                    f"{edge.source.name} → {edge.target.name} ({a.target.name} → {b.target.name})"
                )
        if broken:
            failures.append(
                CheckFailure(
                    "moves_map_to_moves",
                    broken,
                    f"these {self.source.name} moves map to no {self.target.name} move: "
                    + "; ".join(pairs),
                )
            )
        if failures:
            raise InvalidLifecycle(failures)

    def status(self, status: Status | int | str) -> Status | None:
        """The target status of a source status (read with the source's ``parse``), or None."""
        return self.rows[self.source.parse(status)].target

    def detail(self, status: Status | int | str) -> str:
        """The secondary phase the source status stands for in the target, or ``""``."""
        return self.rows[self.source.parse(status)].detail

    def translate(self, statuses: Iterable[Status | int | str]) -> tuple[Status, ...]:
        """A history of source statuses in target terms: dropped statuses left out, and
        consecutive statuses that map to one target status kept once."""
        out: list[Status] = []
        for s in statuses:
            to = self.status(s)
            if to is not None and (not out or out[-1] is not to):
                out.append(to)
        return tuple(out)

    def translate_log(self, log: ObservationLog) -> ObservationLog:
        """A log read in the source lifecycle, in target terms: each observation's status and
        secondary phase mapped, dropped statuses (the gap) left out, bad lines kept.

        Raises:
            InvalidArgument: ``log`` was read in another lifecycle than the source.
        """
        from jobfsm.logs import ObservationLog

        if log.lifecycle.statuses is not self.source.statuses:
            raise InvalidArgument(
                "log",
                log.source,
                f"a log read in {self.source.name} (this one is "
                f"{log.lifecycle.name}); read it with lifecycle={self.source.name}",
            )
        out = ObservationLog(log.source, log.format, self.target)
        out.job_ids = log.job_ids
        out.errors = list(log.errors)
        out.lines_read = log.lines_read
        names: dict[str, int] = {}
        rows = {int(s): row for s, row in self.rows.items()}
        for j, s, t, n in zip(log.jobs, log.statuses, log.times, log.lines, strict=True):
            row = rows[s]
            if row.target is None:
                continue
            out.jobs.append(j)
            out.statuses.append(int(row.target))
            out.times.append(t)
            out.lines.append(n)
            if row.detail:
                code = names.get(row.detail)
                if code is None:
                    code = names[row.detail] = len(out.detail_names)
                    out.detail_names.append(row.detail)
                out.details.append(code)
            else:
                out.details.append(-1)
        return out

    def codes(self) -> dict[int, int]:
        """Source code → target code, for translating columns of codes (dropped ones left out)."""
        return {int(s): int(row.target) for s, row in self.rows.items() if row.target is not None}


def _v1_to_v2() -> LifecycleMapping:
    v1 = importlib.import_module("jobfsm.lifecycles.modelarts_v1").LIFECYCLE
    v2 = importlib.import_module("jobfsm.lifecycles.modelarts_v2").LIFECYCLE
    creating = "v2 has one phase for everything before the job is queued"
    return LifecycleMapping(
        v1,
        v2,
        {
            "UNKNOWN": (None, "", "a gap in observation, not a status: dropped"),
            "INIT": ("Creating", "Creating", creating),
            "IMAGE_CREATING": ("Creating", "Creating", creating),
            "SUBMIT_TRYING": ("Creating", "Creating", creating),
            "CHECK_INIT": ("Creating", "Creating", f"{creating}; v2 has no review phase"),
            "CHECK_RUNNING": ("Creating", "Creating", f"{creating}; v2 has no review phase"),
            "CHECK_RUNNING_COMPLETED": ("Creating", "Creating", f"{creating}; review passed"),
            "IMAGE_FAILED": ("Abnormal", "CreateFailed", "the job could not be created"),
            "SUBMIT_FAILED": ("Abnormal", "CreateFailed", "the job could not be created"),
            "CHECK_FAILED": ("Abnormal", "CreateFailed", "the job could not be created"),
            "WAITING": ("Pending", "Queuing", "queued for resources"),
            "RUNNING": ("Running", "Running", "running"),
            "SCALING": ("Running", "Running", "v2 has no resize phase; the job keeps running"),
            "COMPLETED": ("Completed", "Completed", "finished"),
            "FAILED": ("Failed", "Failed", "failed"),
            "MOUNT_FAILED": ("Failed", "Failed", "the job failed on its nodes"),
            "SUBMIT_MODEL_FAILED": ("Failed", "Failed", "the job failed after training"),
            "DEPLOY_SERVICE_FAILED": ("Failed", "Failed", "the job failed after training"),
            "KILLING": ("Terminating", "Terminating", "a stop is under way"),
            "KILLED": ("Terminated", "Terminated", "stopped"),
            "CANCELED": ("Terminated", "Terminated", "stopped before it ran"),
            "DELETE_FAILED": ("Abnormal", "TerminatedFailed", "the stop failed"),
            "LOST": ("Abnormal", "Lost", "the platform lost the job"),
        },
    )


_LOADERS: Final = {("modelarts-v1", "modelarts-v2"): _v1_to_v2}
_BUILT: dict[tuple[str, str], LifecycleMapping] = {}
#: The built-in mappings, by (source lifecycle name, target lifecycle name).
MAPPINGS: Final = tuple(_LOADERS)


def mapping_between(source: str, target: str) -> LifecycleMapping:
    """The built-in mapping from lifecycle ``source`` to lifecycle ``target`` (by name).

    Raises:
        InvalidArgument: no such mapping is built in (naming the ones that are).
    """
    key = (source, target)
    found = _BUILT.get(key)
    if found is None:
        loader = _LOADERS.get(key)
        if loader is None:
            known = ", ".join(f"{a} → {b}" for a, b in _LOADERS)
            raise InvalidArgument("mapping", f"{source} → {target}", f"one of {known}")
        found = _BUILT[key] = loader()
    return found


def __getattr__(name: str) -> LifecycleMapping:
    # Built on first use: importing this module must not import both lifecycles.
    if name == "V1_TO_V2":
        return mapping_between("modelarts-v1", "modelarts-v2")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    V1_TO_V2: LifecycleMapping
