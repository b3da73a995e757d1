"""ModelArtsSource: the v2 training jobs of a project, polled through Huawei Cloud's own SDK.

The SDK (the ``modelarts`` extra: ``huaweicloudsdkcore`` and ``huaweicloudsdkmodelarts``) signs
every request with the access key and speaks the API; this module pages through
``ListTrainingJobs`` (``POST /v2/{project_id}/training-job-searches``, at most 50 jobs a page,
``offset`` numbering pages from 0) or asks ``ShowTrainingJobDetails``
(``GET /v2/{project_id}/training-jobs/{id}``) for given jobs, retries what fails for a while (see
:mod:`jobfsm.modelarts.retry`), and reads every record into an
:class:`~jobfsm.modelarts.records.Observation`.

Records are read from the answer's body as it came, not from the SDK's models: the models turn a
malformed field into a default or an exception for the whole page, and the body read as a status
log reads it makes one bad record of it instead.
"""

from __future__ import annotations

import math
import os
import random
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, NamedTuple

from jobfsm.errors import InvalidArgument, MissingExtra, SourceError, SourceNotConfigured, _shown
from jobfsm.lifecycle import Lifecycle
from jobfsm.lifecycles import get_lifecycle
from jobfsm.modelarts.records import BadRecord, Observation, read_json, read_page, read_record
from jobfsm.modelarts.retry import DEFAULT_RETRY, RetryPolicy, retry_after

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_AK",
    "ENV_ENDPOINT",
    "ENV_PROJECT_ID",
    "ENV_SDK_ENDPOINT",
    "ENV_SK",
    "PAGE_SIZE",
    "ModelArtsSource",
    "Poll",
    "PollCancelled",
]

#: The SDK's own variables for an access key, its secret and the project (its
#: ``EnvCredentialProvider`` reads the same).
ENV_AK: Final = "HUAWEICLOUD_SDK_AK"
ENV_SK: Final = "HUAWEICLOUD_SDK_SK"
ENV_PROJECT_ID: Final = "HUAWEICLOUD_SDK_PROJECT_ID"
#: Where to send requests instead of a region's public endpoint, read in this order.
ENV_ENDPOINT: Final = "JOBFSM_MODELARTS_ENDPOINT"
ENV_SDK_ENDPOINT: Final = "HUAWEICLOUD_SDK_ENDPOINT"

#: The most jobs ``ListTrainingJobs`` gives a page.
PAGE_SIZE: Final = 50
#: Seconds to wait for an answer before a request counts as timed out (and is retried).
DEFAULT_TIMEOUT: Final = 30.0
#: Seconds to wait for a connection; a timeout below it lowers it too.
_CONNECT_TIMEOUT: Final = 10.0
#: Pages read in a row that could not be read, before a listing that never said how many jobs
#: match is given up on (one bad record says so).
_UNREADABLE_PAGES: Final = 3
#: A listing stops after this many pages whatever it says (five million jobs).
_MAX_PAGES: Final = 100_000

_FEATURE: Final = "the ModelArts source (jobfsm.modelarts)"


class PollCancelled(Exception):
    """Raised by :meth:`ModelArtsSource.poll` when its ``cancelled`` callback said to stop."""


@dataclass
class Poll:
    """What one poll gave: its observations and bad records, and what it cost.

    ``http_seconds`` is the time spent in the SDK (signing, sending, waiting, its own parsing),
    ``read_seconds`` the time spent reading records, ``slept_seconds`` the backoff waits;
    ``requests`` counts every request sent, retries included, and ``retries`` the retries.
    """

    observations: list[Observation] = field(default_factory=list)
    bad_records: list[BadRecord] = field(default_factory=list)
    requests: int = 0
    retries: int = 0
    http_seconds: float = 0.0
    read_seconds: float = 0.0
    slept_seconds: float = 0.0


class _Sdk(NamedTuple):
    """The parts of the SDK this module uses, imported once."""

    BasicCredentials: Any
    HttpConfig: Any
    HttpHandler: Any
    ModelArtsClient: Any
    ModelArtsRegion: Any
    ListTrainingJobsRequest: Any
    JobSearches: Any
    ShowTrainingJobDetailsRequest: Any
    ServiceResponseException: Any
    RequestTimeoutException: Any
    ConnectionException: Any
    HostUnreachableException: Any
    SslHandShakeException: Any
    SdkException: Any
    SdkWarning: Any
    RequestException: Any
    HTTPAdapter: Any


def _sdk() -> _Sdk:
    """The SDK's classes; MissingExtra when the modelarts extra is not installed."""
    try:
        import requests
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.exceptions import exceptions
        from huaweicloudsdkcore.http.http_config import HttpConfig
        from huaweicloudsdkcore.http.http_handler import HttpHandler
        from huaweicloudsdkcore.warning import warning
        from huaweicloudsdkmodelarts.v1 import (
            JobSearches,
            ListTrainingJobsRequest,
            ModelArtsClient,
            ShowTrainingJobDetailsRequest,
        )
        from huaweicloudsdkmodelarts.v1.region.modelarts_region import ModelArtsRegion
        from requests.adapters import HTTPAdapter
    except ImportError as exc:
        missing = (exc.name or "huaweicloudsdkmodelarts").split(".")[0]
        raise MissingExtra(_FEATURE, "modelarts", missing) from exc
    return _Sdk(
        BasicCredentials,
        HttpConfig,
        HttpHandler,
        ModelArtsClient,
        ModelArtsRegion,
        ListTrainingJobsRequest,
        JobSearches,
        ShowTrainingJobDetailsRequest,
        exceptions.ServiceResponseException,
        exceptions.RequestTimeoutException,
        exceptions.ConnectionException,
        exceptions.HostUnreachableException,
        exceptions.SslHandShakeException,
        exceptions.SdkException,
        warning.SdkWarning,
        requests.RequestException,
        HTTPAdapter,
    )


class _Failure(NamedTuple):
    """One send that failed: its status (None: no answer), error code, reason, whether a retry
    may help, and how long the service asked to wait."""

    status: int | None
    error_code: str | None
    reason: str
    retryable: bool
    wait: float | None = None


class ModelArtsSource:
    """The v2 training jobs of one ModelArts project, polled as :class:`Observation` s.

    Credentials follow the SDK's conventions: the access key in ``HUAWEICLOUD_SDK_AK``, its
    secret in ``HUAWEICLOUD_SDK_SK``, the project in ``HUAWEICLOUD_SDK_PROJECT_ID`` (each
    overridden by its argument). Requests go to ``endpoint``, else ``JOBFSM_MODELARTS_ENDPOINT``,
    else ``HUAWEICLOUD_SDK_ENDPOINT``, else the public endpoint of ``region`` (which the SDK lets
    ``HUAWEICLOUD_SDK_REGION_MODELARTS_<REGION>`` override). An endpoint without a scheme is
    https; ``http://host:port`` is sent as plain HTTP, as the SDK does for any endpoint that names
    the scheme (for a local endpoint, a proxy or a test double).

    Args:
        retry: how often and how patiently a request is sent again on HTTP 429, a 5xx, a
            timeout, a lost connection or a body that cannot be read.
        timeout: seconds to wait for an answer (also the connect timeout when under 10 s).
        page_size: jobs asked for per page, 1 to 50.
        environ: where the variables are read (``os.environ`` by default).
        sleep, clock, rng: the backoff's wait, the clock that times requests, and the random
            numbers of the jitter (for tests).

    Raises:
        MissingExtra: the SDK is not installed (``pip install 'jobfsm[modelarts]'``).
        SourceNotConfigured: no access key, secret or project id, or no endpoint and no known
            region; the message names the variables and options that give them.
        InvalidArgument: ``timeout`` or ``page_size`` out of range.

    >>> source = ModelArtsSource(endpoint="http://127.0.0.1:9", ak="AK", sk="SK", project_id="p")
    >>> source.endpoint, source.lifecycle.name
    ('http://127.0.0.1:9', 'modelarts-v2')
    >>> ModelArtsSource(endpoint="http://127.0.0.1:9", environ={"HUAWEICLOUD_SDK_AK": "AK"})
    Traceback (most recent call last):
    ...
    jobfsm.errors.SourceNotConfigured: the ModelArts source needs credentials: ... are not set; ...
    """

    #: The lifecycle every observation is read in.
    lifecycle: Lifecycle
    #: Where requests go (the first endpoint, with its scheme).
    endpoint: str

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        region: str | None = None,
        ak: str | None = None,
        sk: str | None = None,
        project_id: str | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: float = DEFAULT_TIMEOUT,
        page_size: int = PAGE_SIZE,
        environ: Mapping[str, str] | None = None,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.perf_counter,
        rng: random.Random | None = None,
    ) -> None:
        if not isinstance(retry, RetryPolicy):
            raise InvalidArgument("retry", retry, "a RetryPolicy")
        if type(timeout) not in (int, float) or not 0 < timeout < math.inf:
            raise InvalidArgument("timeout", timeout, "a finite number of seconds above 0")
        if type(page_size) is not int or not 1 <= page_size <= PAGE_SIZE:
            raise InvalidArgument("page_size", page_size, f"a whole number from 1 to {PAGE_SIZE}")
        env = os.environ if environ is None else environ
        ak, sk, project_id = _credentials(env, ak, sk, project_id)
        sdk = _sdk()
        self._sdk = sdk
        self.lifecycle = get_lifecycle("modelarts-v2")
        self.retry = retry
        self.timeout = float(timeout)
        self.page_size = page_size
        self.project_id = project_id
        self._sleep = sleep
        self._clock = clock
        self._rng = rng if rng is not None else random.Random()
        # The last answer the SDK received, kept by its response handler: the body as it came,
        # and the headers of a refusal (Retry-After), which its exceptions do not carry.
        self._answers = threading.local()
        config = sdk.HttpConfig.get_default_config()
        config.timeout = (min(_CONNECT_TIMEOUT, self.timeout), self.timeout)
        config.retry_times = 0  # every retry is this class's, with its backoff
        handler = sdk.HttpHandler().add_response_handler(self._keep_answer)
        builder = (
            sdk.ModelArtsClient.new_builder()
            .with_credentials(sdk.BasicCredentials(ak, sk, project_id))
            .with_http_config(config)
            .with_http_handler(handler)
        )
        chosen = (endpoint or env.get(ENV_ENDPOINT) or env.get(ENV_SDK_ENDPOINT) or "").strip()
        if chosen:
            # As the SDK's builder reads an endpoint: without a scheme, https.
            self.endpoint = chosen if chosen.startswith("http") else f"https://{chosen}"
            builder = builder.with_endpoint(chosen)
        elif region:
            try:
                found = sdk.ModelArtsRegion.value_of(region.strip())
                self.endpoint = str(found.endpoints[0])
                builder = builder.with_region(found)
            except KeyError as exc:
                raise SourceNotConfigured(
                    "an endpoint",
                    str(exc.args[0]) if exc.args else f"unknown region {region!r}",
                    ("--region", "--endpoint", ENV_ENDPOINT, ENV_SDK_ENDPOINT),
                    "give a region the SDK knows, or an endpoint URL",
                ) from None
        else:
            raise SourceNotConfigured(
                "an endpoint",
                "no endpoint or region was given",
                ("--endpoint", "--region", ENV_ENDPOINT, ENV_SDK_ENDPOINT),
                f"give an endpoint URL or a region (--endpoint or --region on the command line), "
                f"or set {ENV_ENDPOINT} or {ENV_SDK_ENDPOINT}",
            )
        self._client = builder.build()
        self._no_transport_retries(config)

    def __repr__(self) -> str:
        return f"<ModelArtsSource {self.endpoint} project {self.project_id}>"

    def close(self) -> None:
        """Close the SDK's connections."""
        self._client.close()

    def __enter__(self) -> ModelArtsSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _no_transport_retries(self, config: Any) -> None:
        # The SDK mounts an adapter that answers a GET's 429 itself (urllib3 retry, raising
        # "too many 429 error responses" without the Retry-After). An adapter of the same pool
        # sizes without retries lets every answer reach the handler above.
        session = getattr(self._client.get_http_client(), "_session", None)
        if session is None or not hasattr(session, "mount"):
            return
        adapter = self._sdk.HTTPAdapter(
            pool_connections=config.pool_connections,
            pool_maxsize=config.pool_maxsize,
            max_retries=0,
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)

    def _keep_answer(self, **kwargs: Any) -> None:
        self._answers.response = kwargs.get("response")

    # -- polling --------------------------------------------------------------------------------

    def poll(
        self,
        job_ids: Iterable[str] | None = None,
        *,
        cancelled: Callable[[], bool] | None = None,
    ) -> Poll:
        """Every training job of the project (``job_ids`` None), or the jobs named.

        Pages through the list (oldest job first, so that jobs created meanwhile do not shift
        the pages) or asks for each named job. A record that cannot be read, a named job the
        service does not know, and an answer whose body stays unreadable after the retries are
        :class:`BadRecord` s; the poll goes on.

        ``cancelled`` is asked before every request and after every backoff wait; when it says
        True the poll stops with :class:`PollCancelled`.

        Raises:
            SourceError: a request failed for good (after its retries, when retrying could
                help); nothing of the poll is returned.
            PollCancelled: ``cancelled`` said to stop.
        """
        poll = Poll()
        check = cancelled or _never
        if job_ids is None:
            self._list(poll, check)
        else:
            for job_id in job_ids:
                self._show(poll, str(job_id), check)
        return poll

    def _list(self, poll: Poll, cancelled: Callable[[], bool]) -> None:
        sdk = self._sdk
        known: int | None = None
        unreadable = 0
        for page in range(_MAX_PAGES):
            if known is not None and page * self.page_size >= known:
                return
            body = sdk.JobSearches(
                offset=page, limit=self.page_size, sort_by="create_time", order="asc"
            )
            request = sdk.ListTrainingJobsRequest(body=body)
            where = f"page {page + 1}"
            answer = self._send(
                f"list training jobs ({where})",
                partial(self._client.list_training_jobs, request),
                read_page,
                poll,
                cancelled,
                missing_ok=False,
            )
            if isinstance(answer, ValueError):
                poll.bad_records.append(BadRecord(where, str(answer)))
                unreadable += 1
                if known is None and unreadable >= _UNREADABLE_PAGES:
                    poll.bad_records.append(
                        BadRecord(
                            "listing",
                            f"given up after {unreadable} unreadable pages in a row; the jobs "
                            "on later pages were not polled",
                        )
                    )
                    return
                continue
            unreadable = 0
            items, count = answer
            if count is not None:
                known = count
            started = self._clock()
            self._read_items(poll, items, where)
            poll.read_seconds += self._clock() - started
            # The count says when to stop; without one, a short page does. An empty page always
            # does, whatever the count said (jobs deleted meanwhile).
            if not items or (known is None and len(items) < self.page_size):
                return

    def _read_items(self, poll: Poll, items: list[Any], where: str) -> None:
        lifecycle = self.lifecycle
        add = poll.observations.append
        for index, item in enumerate(items, 1):
            try:
                add(read_record(item, lifecycle))
            except ValueError as exc:
                poll.bad_records.append(BadRecord(f"{where}, item {index}", str(exc), _id_of(item)))

    def _show(self, poll: Poll, job_id: str, cancelled: Callable[[], bool]) -> None:
        request = self._sdk.ShowTrainingJobDetailsRequest(training_job_id=job_id)
        where = f"job {_shown(job_id)}"
        answer = self._send(
            f"show training job {_shown(job_id)}",
            lambda: self._client.show_training_job_details(request),
            read_json,
            poll,
            cancelled,
            missing_ok=True,
        )
        if isinstance(answer, _Gone):
            poll.bad_records.append(
                BadRecord(where, f"no such training job in project {self.project_id}", job_id)
            )
            return
        if isinstance(answer, ValueError):
            poll.bad_records.append(BadRecord(where, str(answer), job_id))
            return
        started = self._clock()
        try:
            found = read_record(answer, self.lifecycle)
        except ValueError as exc:
            poll.bad_records.append(BadRecord(where, str(exc), job_id))
        else:
            if found.job_id != job_id:
                poll.bad_records.append(
                    BadRecord(where, f"the answer is for job {_shown(found.job_id)}", job_id)
                )
            else:
                poll.observations.append(found)
        poll.read_seconds += self._clock() - started

    def _send(
        self,
        request: str,
        send: Callable[[], object],
        read: Callable[[bytes], Any],
        poll: Poll,
        cancelled: Callable[[], bool],
        *,
        missing_ok: bool,
    ) -> Any:
        """``read`` of the body of the answer to ``send()``, retried by the policy.

        Returns the ValueError of ``read`` when the body stays unreadable after every attempt,
        and with ``missing_ok`` a :class:`_Gone` for HTTP 404 (a job the service does not know).
        Raises SourceError for any other failure for good.
        """
        policy = self.retry
        failure: _Failure | None = None
        unreadable: ValueError | None = None
        for attempt in range(1, policy.attempts + 1):
            if attempt > 1:
                wait = policy.delay(
                    attempt - 1, self._rng, retry_after=failure.wait if failure else None
                )
                self._sleep(wait)
                poll.slept_seconds += wait
                poll.retries += 1
            if cancelled():
                raise PollCancelled(request)
            poll.requests += 1
            started = self._clock()
            failure = self._attempt(send)
            poll.http_seconds += self._clock() - started
            if failure is None:
                response = self._answers.response
                started = self._clock()
                try:
                    return read(response.content if response is not None else b"")
                except ValueError as exc:
                    unreadable = exc
                    failure = _Failure(response.status_code, None, str(exc), True)
                finally:
                    poll.read_seconds += self._clock() - started
                continue
            unreadable = None
            if failure.status == 404 and missing_ok:
                return _Gone()
            if not failure.retryable:
                break
        assert failure is not None
        if unreadable is not None:
            return unreadable
        raise SourceError(
            request,
            self.endpoint,
            attempt,
            failure.status,
            failure.error_code,
            failure.reason,
            failure.retryable,
        )

    def _attempt(self, send: Callable[[], object]) -> _Failure | None:
        """Send once; None when a 2xx answer came (its body is in ``self._answers``)."""
        sdk = self._sdk
        self._answers.response = None
        try:
            # The SDK warns when a field is not of its model's type; the body is read here.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sdk.SdkWarning)
                send()
        except sdk.ServiceResponseException as exc:
            status = int(exc.status_code)
            response = self._answers.response
            wait = None
            if response is not None:
                wait = retry_after(response.headers.get("Retry-After"))
            reason = _one_line(exc.error_msg) or f"HTTP {status}"
            return _Failure(status, exc.error_code or None, reason, _retryable(status), wait)
        except (sdk.HostUnreachableException, sdk.SslHandShakeException) as exc:
            return _Failure(None, None, _one_line(exc.error_msg), False)
        except sdk.RequestTimeoutException as exc:
            return _Failure(None, None, f"timed out: {_one_line(exc.error_msg)}", True)
        except sdk.ConnectionException as exc:
            return _Failure(None, None, _one_line(exc.error_msg), True)
        except sdk.RequestException as exc:
            # A read timeout, or an answer cut off mid-body: requests' own errors, which the
            # SDK lets through.
            what = "timed out" if "timeout" in type(exc).__name__.lower() else "connection lost"
            return _Failure(None, None, f"{what}: {_innermost(exc)}", True)
        except sdk.SdkException as exc:
            return _Failure(None, None, _one_line(exc.error_msg), False)
        except (ValueError, TypeError):
            # The SDK's models refused a field of a 2xx answer: its body is read here anyway.
            response = self._answers.response
            if response is None or not 200 <= response.status_code < 300:
                raise
        return None


class _Gone:
    """The service answered 404."""


def _never() -> bool:
    return False


def _retryable(status: int) -> bool:
    return status == 429 or status >= 500


def _one_line(text: object) -> str:
    shown = " ".join(str(text if text is not None else "").split())
    return shown if len(shown) <= 200 else f"{shown[:197]}..."


def _innermost(exc: BaseException) -> str:
    """The message of the error at the bottom of requests' and urllib3's wrappers, whose own
    text is the tuple of their arguments."""
    found: object = exc
    while isinstance(found, BaseException) and found.args:
        found = found.args[0]
    return _one_line(found if isinstance(found, str) else exc)


def _id_of(item: object) -> str | None:
    """The job id of a record that could not be read, when it has a usable one."""
    metadata = item.get("metadata") if type(item) is dict else None
    found = metadata.get("id") if type(metadata) is dict else None
    return found if type(found) is str and found.strip() and found.isprintable() else None


def _credentials(
    env: Mapping[str, str], ak: str | None, sk: str | None, project_id: str | None
) -> tuple[str, str, str]:
    given = {
        ENV_AK: ak if ak is not None else env.get(ENV_AK, ""),
        ENV_SK: sk if sk is not None else env.get(ENV_SK, ""),
        ENV_PROJECT_ID: project_id if project_id is not None else env.get(ENV_PROJECT_ID, ""),
    }
    missing = [name for name, value in given.items() if not value.strip()]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        listed = missing[0] if len(missing) == 1 else _and(missing)
        raise SourceNotConfigured(
            "credentials",
            f"{listed} {verb} not set",
            tuple(given),
            f"set {_and(list(given))} (an access key, its secret and the project id, as the "
            "Huawei Cloud SDK reads them)",
        )
    return given[ENV_AK].strip(), given[ENV_SK].strip(), given[ENV_PROJECT_ID].strip()


def _and(names: list[str]) -> str:
    return f"{', '.join(names[:-1])} and {names[-1]}" if len(names) > 1 else "".join(names)
