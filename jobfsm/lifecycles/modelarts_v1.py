"""The ModelArts v1 training-job lifecycle: the 23 integer statuses and every legal move.

ModelArts documents the statuses (the "job status reference" table of the v1 API) but not the
moves between them; each move below says why it is legal.
"""

from __future__ import annotations

from typing import Final

from jobfsm.lifecycle import Event, Lifecycle
from jobfsm.status import JobStatus

__all__ = ["DEFAULT_LIFECYCLE", "LIFECYCLE", "MODELARTS_EVENTS", "MODELARTS_V1"]

S = JobStatus

_ACTIVE_BUT_UNKNOWN = tuple(s for s in JobStatus if s.is_active and s is not S.UNKNOWN)
_STOPPABLE = (S.INIT, S.IMAGE_CREATING, S.SUBMIT_TRYING, S.WAITING, S.RUNNING, S.SCALING)
_REVIEW_ACTIVE = (S.CHECK_INIT, S.CHECK_RUNNING, S.CHECK_RUNNING_COMPLETED)
_NOT_YET_RUN = (S.INIT, S.IMAGE_CREATING, S.SUBMIT_TRYING, S.WAITING)

#: The ModelArts v1 training-job lifecycle. Every legal move, with the reason it is legal.
MODELARTS_EVENTS: Final[tuple[Event, ...]] = (
    # creation
    Event("create_image", {S.INIT}, S.IMAGE_CREATING, "the job needs its image built first"),
    Event("submit", {S.INIT}, S.SUBMIT_TRYING, "no image to build; submission starts at once"),
    Event("image_failed", {S.IMAGE_CREATING}, S.IMAGE_FAILED, "the image build failed"),
    Event(
        "submit", {S.IMAGE_CREATING}, S.SUBMIT_TRYING, "the image is ready; the job is submitted"
    ),
    Event("submit_failed", {S.SUBMIT_TRYING}, S.SUBMIT_FAILED, "the platform refused the job"),
    Event("queue", {S.SUBMIT_TRYING}, S.WAITING, "submission accepted; waiting for resources"),
    # review: an optional gate before creation
    Event("start_review", {S.INIT}, S.CHECK_INIT, "the job must pass a review before creation"),
    Event("review", {S.CHECK_INIT}, S.CHECK_RUNNING, "the review started"),
    Event("pass_review", {S.CHECK_RUNNING}, S.CHECK_RUNNING_COMPLETED, "the review passed"),
    Event("fail_review", {S.CHECK_INIT}, S.CHECK_FAILED, "the review could not start"),
    Event("fail_review", {S.CHECK_RUNNING}, S.CHECK_FAILED, "the review rejected the job"),
    Event(
        "create_image", {S.CHECK_RUNNING_COMPLETED}, S.IMAGE_CREATING, "reviewed; image built next"
    ),
    Event("submit", {S.CHECK_RUNNING_COMPLETED}, S.SUBMIT_TRYING, "reviewed; no image to build"),
    # run
    Event("start", {S.WAITING}, S.RUNNING, "resources granted; the job runs"),
    Event("complete", {S.RUNNING}, S.COMPLETED, "training finished successfully"),
    Event("fail", {S.RUNNING}, S.FAILED, "the training process exited with an error"),
    Event("fail", {S.SCALING}, S.FAILED, "the job failed while it was being resized"),
    Event("scale", {S.RUNNING}, S.SCALING, "the running job is being resized"),
    Event("resume", {S.SCALING}, S.RUNNING, "resizing finished; the job runs on"),
    Event(
        "mount_failed",
        {S.WAITING, S.RUNNING, S.SCALING},
        S.MOUNT_FAILED,
        "storage could not be mounted on a node the job starts or grows onto",
    ),
    Event(
        "lose",
        {S.WAITING, S.RUNNING, S.SCALING},
        S.LOST,
        "the platform lost the job's resources (node failure, eviction)",
    ),
    Event("model_failed", {S.RUNNING}, S.SUBMIT_MODEL_FAILED, "the trained model was not accepted"),
    Event("deploy_failed", {S.RUNNING}, S.DEPLOY_SERVICE_FAILED, "the model could not be deployed"),
    # stop
    Event("kill", _STOPPABLE + _REVIEW_ACTIVE, S.KILLING, "a stop was requested"),
    Event("killed", {S.KILLING}, S.KILLED, "the platform confirmed the kill"),
    Event("cancel", _NOT_YET_RUN + _REVIEW_ACTIVE, S.CANCELED, "canceled before it ran"),
    Event("cancel", {S.KILLING}, S.CANCELED, "the stop was recorded as a cancellation"),
    Event("delete_failed", {S.KILLING}, S.DELETE_FAILED, "the stop could not delete the job"),
    Event("complete", {S.KILLING}, S.COMPLETED, "the job finished before the stop landed"),
    Event("fail", {S.KILLING}, S.FAILED, "the job failed before the stop landed"),
    # unknown: the platform could not report a status, then reports a real one again
    Event("lose_contact", _ACTIVE_BUT_UNKNOWN, S.UNKNOWN, "the platform could not report a status"),
    *(
        Event(f"report_{s.name.lower()}", {S.UNKNOWN}, s, "the next real observation after UNKNOWN")
        for s in JobStatus
        if s is not S.UNKNOWN
    ),
)

#: The checked ModelArts v1 lifecycle every :class:`~jobfsm.Job` uses unless told otherwise.
MODELARTS_V1: Final = Lifecycle(
    MODELARTS_EVENTS,
    name="modelarts-v1",
    statuses=JobStatus,
    description="ModelArts v1 training jobs: 23 integer statuses (JOBSTAT_*)",
    source="jobfsm.lifecycles.modelarts_v1",
    main_path=("INIT", "IMAGE_CREATING", "SUBMIT_TRYING", "WAITING", "RUNNING", "COMPLETED"),
)
DEFAULT_LIFECYCLE: Final = MODELARTS_V1
LIFECYCLE: Final = MODELARTS_V1
