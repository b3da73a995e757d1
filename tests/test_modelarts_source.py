"""ModelArtsSource against the fake ModelArts, through the real SDK: paging, showing jobs, retries
with backoff on 429, 5xx and timeouts, bad records, credentials and endpoints."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import unavailable
from fake_modelarts import AK, PROJECT, SK, FakeModelArts, FaultPlan, running

from jobfsm.errors import MissingExtra, SourceError, SourceNotConfigured
from jobfsm.modelarts import BadRecord, ModelArtsSource, PollCancelled, RetryPolicy
from jobfsm.modelarts.records import read_page, read_record
from jobfsm.modelarts.retry import retry_after


@pytest.fixture(autouse=True)
def _sdk() -> None:
    try:
        import huaweicloudsdkmodelarts  # noqa: F401
    except ImportError:
        unavailable("the Huawei Cloud SDK is not installed; run: pip install 'jobfsm[modelarts]'")


@pytest.fixture
def fake() -> Iterator[FakeModelArts]:
    """120 jobs, all created at the start: three pages of 50."""
    with running(120, arrivals=0.0) as server:
        yield server


class Waits(list[float]):
    """An injected sleep that records the backoff instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def source_for(fake: FakeModelArts, **options: Any) -> ModelArtsSource:
    options.setdefault("sleep", Waits())
    options.setdefault("rng", random.Random(0))
    return ModelArtsSource(endpoint=fake.url, ak=AK, sk=SK, project_id=PROJECT, **options)


# -- listing and showing --------------------------------------------------------------------------


def test_a_poll_pages_through_every_job_oldest_first(fake: FakeModelArts) -> None:
    """Three pages of at most 50, each one signed request; every job once, in the fleet's order."""
    poll = source_for(fake).poll()
    assert [o.job_id for o in poll.observations] == [j.job_id for j in fake.fleet.jobs]
    assert (poll.requests, poll.retries, poll.bad_records) == (3, 0, [])
    assert fake.requests == [("POST", f"/v2/{PROJECT}/training-job-searches")] * 3
    assert fake.stats["refused signatures"] == 0


@pytest.mark.parametrize(("jobs", "page_size", "requests"), [(0, 50, 1), (50, 50, 1), (20, 7, 3)])
def test_the_count_says_when_the_listing_ends(jobs: int, page_size: int, requests: int) -> None:
    """No request past the last page the count gives, even when that page is full."""
    with running(jobs, arrivals=0.0) as server:
        poll = source_for(server, page_size=page_size).poll()
    assert (len(poll.observations), poll.requests) == (jobs, requests)


def test_an_observation_is_the_record_read_as_a_log_reads_it(fake: FakeModelArts) -> None:
    """Phase, secondary phase, and create_time + duration as the time (in seconds)."""
    fake.fleet.tick(2000)
    poll = source_for(fake).poll()
    for observation in poll.observations:
        record = fake.fleet.record(fake.fleet.by_id[observation.job_id])
        assert observation.phase.name == record["status"]["phase"]
        assert observation.secondary_phase == record["status"]["secondary_phase"]
        duration = record["status"].get("duration", 0)
        assert observation.observed_at == (record["metadata"]["create_time"] + duration) / 1000


def test_given_jobs_are_shown_one_by_one_and_an_unknown_one_is_a_bad_record(
    fake: FakeModelArts,
) -> None:
    first, second = fake.fleet.jobs[0].job_id, fake.fleet.jobs[1].job_id
    poll = source_for(fake).poll([second, "no-such-job", first])
    assert [o.job_id for o in poll.observations] == [second, first]
    assert poll.bad_records == [
        BadRecord("job 'no-such-job'", f"no such training job in project {PROJECT}", "no-such-job")
    ]
    assert [m for m, _ in fake.requests] == ["GET"] * 3


# -- retries --------------------------------------------------------------------------------------


def test_429_is_retried_after_the_wait_the_service_asks(fake: FakeModelArts) -> None:
    waits = Waits()
    fake.inject("throttle", 2, retry_after="7")
    poll = source_for(fake, sleep=waits).poll()
    assert waits == [7.0, 7.0]  # more than any backoff of the first two retries (0.5 s, 1 s)
    assert (len(poll.observations), poll.requests, poll.retries) == (120, 5, 2)
    assert poll.slept_seconds == 14.0


def test_a_long_retry_after_is_honoured_only_up_to_the_cap(fake: FakeModelArts) -> None:
    waits = Waits()
    fake.inject("throttle", retry_after="120")
    source_for(fake, sleep=waits, retry=RetryPolicy(cap=10.0)).poll()
    assert waits == [10.0]


def test_429_on_a_shown_job_is_retried_with_its_retry_after_too(fake: FakeModelArts) -> None:
    """The SDK's own adapter would answer a GET's 429 itself, dropping Retry-After."""
    waits = Waits()
    fake.inject("throttle", retry_after="3")
    poll = source_for(fake, sleep=waits).poll([fake.fleet.jobs[0].job_id])
    assert (waits, len(poll.observations)) == ([3.0], 1)


def test_5xx_is_retried_with_exponential_backoff_and_full_jitter(fake: FakeModelArts) -> None:
    """Each wait is uniform in [0, min(cap, base * 2 ** (retry - 1))], drawn from the rng."""
    policy = RetryPolicy(attempts=5, base=0.5, cap=1.5)
    waits = Waits()
    fake.inject("error", 2)
    fake.inject("unavailable", 2)
    poll = source_for(fake, sleep=waits, retry=policy, rng=random.Random(42)).poll()
    expected = random.Random(42)
    assert waits == [expected.uniform(0, ceiling) for ceiling in (0.5, 1.0, 1.5, 1.5)]
    assert (len(poll.observations), poll.retries) == (120, 4)


def test_a_timeout_is_retried(fake: FakeModelArts) -> None:
    """An answer slower than the client's timeout is given up on and asked again."""
    fake.faults.slow_seconds = 1.0
    fake.inject("slow")
    waits = Waits()
    poll = source_for(fake, sleep=waits, timeout=0.3).poll()
    assert (len(waits), len(poll.observations)) == (1, 120)


def test_a_connection_dropped_mid_body_is_retried(fake: FakeModelArts) -> None:
    fake.inject("dropped")
    waits = Waits()
    poll = source_for(fake, sleep=waits).poll()
    assert (len(waits), len(poll.observations)) == (1, 120)


def test_a_request_that_keeps_failing_is_a_source_error(fake: FakeModelArts) -> None:
    """After every attempt, SourceError with the facts; the poll gives nothing."""
    waits = Waits()
    fake.inject("error", 3)
    with pytest.raises(SourceError) as caught:
        source_for(fake, sleep=waits, retry=RetryPolicy(attempts=3)).poll()
    error = caught.value
    assert (error.status, error.attempts, error.retryable, error.error_code) == (
        500,
        3,
        True,
        "ModelArts.0001",
    )
    assert error.request == "list training jobs (page 1)"
    assert str(error) == (
        f"ModelArts at {fake.url}: list training jobs (page 1) failed after 3 attempts (HTTP 500 "
        "ModelArts.0001: Internal error); the service is busy or out of reach; a later poll may "
        "succeed"
    )
    assert len(waits) == 2


def test_a_wrong_secret_is_refused_at_once_and_says_what_to_check(fake: FakeModelArts) -> None:
    """The fake checks the SDK's signature: a wrong secret is a 401, never retried."""
    waits = Waits()
    wrong = ModelArtsSource(endpoint=fake.url, ak=AK, sk="not-the-secret", project_id=PROJECT,
                            sleep=waits)  # fmt: skip
    with pytest.raises(SourceError) as caught:
        wrong.poll()
    assert (caught.value.status, caught.value.attempts, caught.value.retryable) == (401, 1, False)
    assert "check HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK" in str(caught.value)
    assert waits == []
    assert fake.stats["refused signatures"] == 1


def test_a_project_the_service_does_not_have_is_a_source_error(fake: FakeModelArts) -> None:
    other = ModelArtsSource(endpoint=fake.url, ak=AK, sk=SK, project_id="other-project")
    with pytest.raises(SourceError) as caught:
        other.poll()
    assert caught.value.status == 404
    assert "HUAWEICLOUD_SDK_PROJECT_ID" in str(caught.value)


def test_nothing_listening_is_a_source_error_after_the_retries() -> None:
    """A refused connection is retried (a restarting service), then reported."""
    with running(1) as server:
        url = server.url  # a port nothing listens on once the fake has stopped
    waits = Waits()
    source = ModelArtsSource(endpoint=url, ak=AK, sk=SK, project_id=PROJECT, sleep=waits,
                             retry=RetryPolicy(attempts=2))  # fmt: skip
    with pytest.raises(SourceError) as caught:
        source.poll()
    assert (caught.value.status, caught.value.attempts, len(waits)) == (None, 2, 1)
    assert "no answer" in str(caught.value)


# -- bad records ----------------------------------------------------------------------------------


def test_garbage_or_a_body_cut_short_is_retried(fake: FakeModelArts) -> None:
    """An answer whose body is not JSON is asked for again, like a 5xx."""
    fake.inject("garbage")
    fake.inject("truncated")
    waits = Waits()
    poll = source_for(fake, sleep=waits).poll()
    assert (len(waits), len(poll.observations), poll.bad_records) == (2, 120, [])


def test_a_page_that_stays_unreadable_is_one_bad_record_and_the_others_are_read(
    fake: FakeModelArts,
) -> None:
    fake.inject("garbage", 2)
    poll = source_for(fake, retry=RetryPolicy(attempts=2)).poll()
    assert len(poll.observations) == 70
    (bad,) = poll.bad_records
    assert bad.where == "page 1"
    assert bad.reason.startswith("the body is not JSON (")
    assert "b'<html><body>502 Bad Gateway" in bad.reason
    assert len(fake.requests) == 4  # page 1 twice, then pages 2 and 3 (the count came with 2)


def test_without_any_readable_page_the_listing_is_given_up_after_three(
    fake: FakeModelArts,
) -> None:
    fake.inject("truncated", 3)
    poll = source_for(fake, retry=RetryPolicy(attempts=1)).poll()
    assert poll.observations == []
    assert [b.where for b in poll.bad_records] == ["page 1", "page 2", "page 3", "listing"]


def test_a_record_that_cannot_be_read_is_a_bad_record_and_the_rest_is_read() -> None:
    """Malformed records (one the SDK's own models refuse among them) never stop the poll."""
    with running(120, arrivals=0.0, faults=FaultPlan(record={"bad": 0.4}), seed=3) as server:
        poll = source_for(server).poll()
        served = server.stats["bad records read"]
    assert len(poll.bad_records) == served > 20
    assert len(poll.observations) + served == 120
    reasons = " | ".join(b.reason for b in poll.bad_records)
    problems = [
        "'Exploded' is not a status",
        "create_time 'yesterday'",
        "missing field metadata.id",
        "status is None",
        "duration -5 is negative",
    ]
    for problem in problems:
        assert problem in reasons
    assert all(b.where.startswith("page ") and ", item " in b.where for b in poll.bad_records)


def test_read_record_refuses_what_a_log_reader_refuses() -> None:
    from jobfsm.lifecycles import get_lifecycle

    v2 = get_lifecycle("modelarts-v2")
    good = {"metadata": {"id": "a", "create_time": 0}, "status": {"phase": "Running"}}
    assert read_record(good, v2).observed_at == 0.0
    for record, problem in [
        ([], "a JSON array; expected a v2 training job"),
        ({**good, "metadata": {"id": " ", "create_time": 0}}, "is not a job id (it is blank)"),
        ({**good, "metadata": {"id": None, "create_time": 0}}, "metadata.id None is not a job id"),
        ({**good, "status": {"phase": 2}}, "status.phase 2 is not a phase"),
    ]:
        with pytest.raises(ValueError, match=re.escape(problem)):
            read_record(record, v2)
    with pytest.raises(ValueError, match="an object with a list of items"):
        read_page(b"[1, 2]")


# -- stopping, credentials, endpoints, the extra --------------------------------------------------


def test_a_cancelled_poll_stops_before_its_next_request(fake: FakeModelArts) -> None:
    asked: list[int] = []

    def cancelled() -> bool:
        asked.append(1)
        return len(asked) > 1

    with pytest.raises(PollCancelled):
        source_for(fake).poll(cancelled=cancelled)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, "HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID are not set"),
        ({"HUAWEICLOUD_SDK_AK": "ak", "HUAWEICLOUD_SDK_SK": " "},
         "HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID are not set"),
        ({"HUAWEICLOUD_SDK_AK": "ak", "HUAWEICLOUD_SDK_SK": "sk"},
         "HUAWEICLOUD_SDK_PROJECT_ID is not set"),
    ],
)  # fmt: skip
def test_missing_credentials_name_the_variables(environ: dict[str, str], missing: str) -> None:
    with pytest.raises(SourceNotConfigured) as caught:
        ModelArtsSource(endpoint="http://127.0.0.1:9", environ=environ)
    assert str(caught.value) == (
        f"the ModelArts source needs credentials: {missing}; set HUAWEICLOUD_SDK_AK, "
        "HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID (an access key, its secret and the "
        "project id, as the Huawei Cloud SDK reads them)"
    )
    assert caught.value.settings == (
        "HUAWEICLOUD_SDK_AK",
        "HUAWEICLOUD_SDK_SK",
        "HUAWEICLOUD_SDK_PROJECT_ID",
    )


CREDENTIALS = {"HUAWEICLOUD_SDK_AK": AK, "HUAWEICLOUD_SDK_SK": SK,
               "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT}  # fmt: skip


def test_no_endpoint_and_no_region_says_how_to_give_one() -> None:
    with pytest.raises(SourceNotConfigured) as caught:
        ModelArtsSource(environ=CREDENTIALS)
    message = str(caught.value)
    for setting in (
        "--endpoint",
        "--region",
        "JOBFSM_MODELARTS_ENDPOINT",
        "HUAWEICLOUD_SDK_ENDPOINT",
    ):
        assert setting in message


def test_the_endpoint_comes_from_the_environment_in_order(fake: FakeModelArts) -> None:
    environ = {**CREDENTIALS, "JOBFSM_MODELARTS_ENDPOINT": fake.url,
               "HUAWEICLOUD_SDK_ENDPOINT": "http://127.0.0.1:9"}  # fmt: skip
    assert len(ModelArtsSource(environ=environ).poll().observations) == 120
    environ = {**CREDENTIALS, "HUAWEICLOUD_SDK_ENDPOINT": fake.url}
    assert ModelArtsSource(environ=environ, region="cn-north-4").endpoint == fake.url


def test_a_region_gives_its_public_endpoint_and_an_unknown_one_is_refused() -> None:
    source = ModelArtsSource(environ=CREDENTIALS, region="cn-north-4")
    assert source.endpoint == "https://modelarts.cn-north-4.myhuaweicloud.com"
    assert ModelArtsSource(environ=CREDENTIALS, endpoint="modelarts.example").endpoint == (
        "https://modelarts.example"
    )
    with pytest.raises(SourceNotConfigured, match="xx-nowhere-1"):
        ModelArtsSource(environ=CREDENTIALS, region="xx-nowhere-1")


def test_retry_policy_refuses_what_could_not_work() -> None:
    from jobfsm.errors import InvalidArgument

    for bad in ({"attempts": 0}, {"base": 0.0}, {"cap": float("nan")}, {"base": 2.0, "cap": 1.0}):
        with pytest.raises(InvalidArgument):
            RetryPolicy(**bad)
    assert RetryPolicy(base=1.0, cap=8.0).ceiling(2000) == 8.0
    assert retry_after("-3") is None


HIDE_SDK = """
import sys

class HideSdk:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("huaweicloudsdkcore", "huaweicloudsdkmodelarts"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, HideSdk())
"""


def test_without_the_extra_the_package_imports_and_the_source_names_it() -> None:
    code = """
    import jobfsm, jobfsm.modelarts
    from jobfsm.errors import MissingExtra
    assert not any(m.startswith("huaweicloudsdk") for m in sys.modules)
    try:
        jobfsm.modelarts.ModelArtsSource(endpoint="http://127.0.0.1:9", ak="a", sk="s",
                                         project_id="p")
    except MissingExtra as exc:
        print(exc)
    """
    done = subprocess.run(
        [sys.executable, "-c", HIDE_SDK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == (
        "the ModelArts source (jobfsm.modelarts) needs huaweicloudsdkcore, which is not "
        "installed; run: pip install 'jobfsm[modelarts]'\n"
    )
    assert issubclass(MissingExtra, ImportError)


def test_watch_without_the_extra_is_one_line_naming_it(tmp_path: Any) -> None:
    code = f"""
    from jobfsm.cli import main
    sys.exit(main(["watch", "--store", {str(tmp_path / "jobs.db")!r}, "--once",
                   "--endpoint", "http://127.0.0.1:9"]))
    """
    env = {
        "HUAWEICLOUD_SDK_AK": AK,
        "HUAWEICLOUD_SDK_SK": SK,
        "HUAWEICLOUD_SDK_PROJECT_ID": PROJECT,
    }
    done = subprocess.run(
        [sys.executable, "-c", HIDE_SDK + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env},
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "jobfsm: error: the ModelArts source (jobfsm.modelarts) needs huaweicloudsdkcore, which "
        "is not installed; run: pip install 'jobfsm[modelarts]'\n"
    )
