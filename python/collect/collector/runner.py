"""Executing planned calls: per-provider queues, concurrency, rate limits, retries, clean stops.

Each provider has its own queue and workers, its own request and token limits and its own
"paused until" time (set by a server-requested wait or a throttle), so a slow or exhausted
provider never holds up the others. Transient errors are retried with exponential backoff and
full jitter, at least as long as the wait the server asked for (Retry-After, or a delay stated
in its message), up to the provider's attempt cap; a wait above the study's `max_retry_after_s`
stops the provider like an exhausted quota; the last failure is stored as a failed row, which the
next run retries. An allocation throttle (DashScope's per-minute quota) pauses the whole provider
and uses up none of the call's attempts; after `MAX_THROTTLE_ROUNDS` consecutive rounds of it the
provider stops. A moderation block is stored as a refusal and never retried. What else a
permanent error stops is its `ErrorClass.stops`: the provider (missing or rejected key, exhausted
quota, unserved location), the model (unknown model, a model's daily quota) or only the call.
A stop request (Ctrl-C) lets calls in flight finish for a grace period, then abandons them
unstored: they are simply still pending next time.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from collect.collector.design import PlannedCall
from collect.collector.providers.base import (
    ChatResult,
    ErrorClass,
    PermanentError,
    Provider,
    ProviderConfig,
    ProviderError,
    Stops,
    TransientError,
)
from collect.collector.ratelimit import make_limiter
from collect.collector.store import CallRecord, ChangedCall, Store, utc_now
from collect.collector.study import RetryPolicy, Study
from collect.core.outcome import Outcome, answer_outcome
from collect.core.parse import parse_answer
from collect.core.presentation import to_published_scale
from collect.errors import MoralignError

# After this many permanent errors in a row a model is stopped whatever their class, so a
# misconfigured model does not fail its thousands of calls one by one.
MAX_CONSECUTIVE_PERMANENT = 10
# After this many consecutive rounds of allocation throttling (each a wait that doubles, from
# backoff_base_s up to backoff_max_s: about 2.5 minutes with the defaults) the provider stops.
MAX_THROTTLE_ROUNDS = 10

ProviderFactory = Callable[[ProviderConfig], Provider]


class ChangedSettingsError(MoralignError):
    """Stored answers were asked with other settings than the study file now plans."""

    def __init__(self, changed: list[ChangedCall]) -> None:
        self.changed = changed
        groups = Counter(
            (item.call.key.model, item.call.key.instrument, item.call.key.language,
             item.call.key.persona, ", ".join(item.fields))
            for item in changed
        )
        lines = [
            f"  {model} {instrument} {language}/{persona}: {n} rows differ in {fields}"
            for (model, instrument, language, persona, fields), n in groups.items()
        ]
        super().__init__(
            f"{len(changed)} stored answers were asked with other settings (api_model, "
            "temperature, prompt, presentation or variant) than the study file now plans:\n"
            + "\n".join(lines)
            + "\nRun with --replace-changed to ask these calls again and replace the old rows, "
            "or use another --db."
        )


class RunObserver:
    """Receives progress events; the default ignores them."""

    def planned(self, model: str, total: int, already_done: int) -> None:
        pass

    def call_done(self, model: str, kind: str) -> None:
        """`kind`: "valid", "invalid", "refused" or "failed"."""

    def retrying(self, model: str) -> None:
        pass

    def message(self, text: str) -> None:
        pass


@dataclass
class RunReport:
    planned: int
    pending_at_start: int
    counts: Counter[str] = field(default_factory=Counter)  # valid, invalid, refused, failed
    by_model: dict[str, Counter[str]] = field(default_factory=dict)
    retries: int = 0
    stopped_providers: dict[str, str] = field(default_factory=dict)  # name -> reason
    stopped_models: dict[str, str] = field(default_factory=dict)
    not_attempted: int = 0
    interrupted: bool = False

    @property
    def attempted(self) -> int:
        return sum(self.counts.values())

    def count(self, model: str, kind: str) -> None:
        self.counts[kind] += 1
        self.by_model.setdefault(model, Counter())[kind] += 1

    def mostly_failed(self, max_failed_share: float) -> bool:
        """Whether the calls that were due mostly did not get an answer."""
        due = self.attempted + self.not_attempted
        if due == 0:
            return False
        return (self.counts["failed"] + self.not_attempted) / due > max_failed_share


def backoff_delay(attempt: int, policy: RetryPolicy, retry_after_s: float | None) -> float:
    """Seconds to wait before attempt `attempt + 1`: full jitter, never below Retry-After."""
    ceiling = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** (attempt - 1))
    delay = random.uniform(0, ceiling)
    if retry_after_s is not None:
        delay = max(delay, retry_after_s + random.uniform(0, 0.1 * ceiling))
    return delay


def throttle_delay(round_number: int, policy: RetryPolicy) -> float:
    """Seconds to pause a throttled provider: half the doubled ceiling plus jitter, so a round
    never ends at once, as a full-jitter wait might, before a per-minute allocation can clear."""
    ceiling = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** (round_number - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def too_long_to_wait(err: TransientError, policy: RetryPolicy) -> bool:
    """Whether the server's Retry-After exceeds what the study is willing to wait."""
    return err.retry_after_s is not None and err.retry_after_s > policy.max_retry_after_s


class _ProviderQueue:
    def __init__(self, config: ProviderConfig, retry: RetryPolicy) -> None:
        self.config = config
        self.retry = retry
        self.calls: deque[PlannedCall] = deque()
        self.requests = make_limiter(config.requests_per_minute)
        self.tokens = make_limiter(config.tokens_per_minute)
        self.paused_until = 0.0
        self.stopped: str | None = None
        self.stopped_models: dict[str, str] = {}
        self.consecutive_permanent: Counter[str] = Counter()
        self.throttle_rounds = 0  # consecutive rounds of allocation throttling
        self.throttled_at = -1.0  # when the current round began (time.monotonic)
        self.provider: Provider | None = None

    async def wait_turn(self, call: PlannedCall) -> None:
        pause = self.paused_until - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        if self.requests is not None:
            await self.requests.acquire()
        if self.tokens is not None:
            await self.tokens.acquire(call.estimated_input_tokens + call.request.max_tokens)


class Runner:
    def __init__(
        self,
        study: Study,
        store: Store,
        make_provider: ProviderFactory,
        observer: RunObserver | None = None,
        grace_s: float = 10.0,
    ) -> None:
        self.study = study
        self.store = store
        self.make_provider = make_provider
        self.observer = observer or RunObserver()
        self.grace_s = grace_s
        self.stop_requested = asyncio.Event()
        self.abandon_requested = asyncio.Event()
        self.run_id = 0

    def request_stop(self) -> None:
        """Make no new call; let calls in flight finish for the grace period."""
        self.stop_requested.set()

    def request_abandon(self) -> None:
        """Stop at once, abandoning calls in flight."""
        self.stop_requested.set()
        self.abandon_requested.set()

    async def run(self, planned: list[PlannedCall], replace_changed: bool = False) -> RunReport:
        """Make the planned calls without a finished row.

        Finished rows asked with other settings than planned now (api_model, temperature,
        prompt) stop the run with a `ChangedSettingsError`, unless `replace_changed`: then they
        are deleted and asked again, so old and new answers are never mixed.
        """
        changed = self.store.changed(planned)
        if changed and not replace_changed:
            raise ChangedSettingsError(changed)
        if changed:
            self.store.forget(item.call.key for item in changed)
            self.observer.message(
                f"{len(changed)} stored answers were asked with other settings: asking again"
            )
        pending = self.store.pending(planned)
        report = RunReport(planned=len(planned), pending_at_start=len(pending))
        self._announce(planned, pending)
        if not pending:
            return report
        self.run_id = self.store.start_run(self.study.name, len(planned), len(pending))
        queues = self._queues(pending)
        workers: list[asyncio.Task[None]] = []
        for name, queue in queues.items():
            if not await self._open(queue, report):
                continue
            for index in range(min(queue.config.max_concurrency, len(queue.calls))):
                workers.append(
                    asyncio.create_task(self._work(queue, report), name=f"{name}-{index}")
                )
        try:
            await self._wait(workers)
        finally:
            for queue in queues.values():
                report.not_attempted += len(queue.calls)
                if queue.provider is not None:
                    await queue.provider.aclose()
            report.interrupted = self.stop_requested.is_set()
            report.stopped_models = {
                model: reason for q in queues.values() for model, reason in q.stopped_models.items()
            }
            outcome = "interrupted" if report.interrupted else "completed"
            self.store.finish_run(self.run_id, outcome)
        return report

    def _announce(self, planned: list[PlannedCall], pending: list[PlannedCall]) -> None:
        total = Counter(call.key.model for call in planned)
        left = Counter(call.key.model for call in pending)
        for model, n in total.items():
            self.observer.planned(model, n, n - left[model])

    def _queues(self, pending: Iterable[PlannedCall]) -> dict[str, _ProviderQueue]:
        queues: dict[str, _ProviderQueue] = {}
        for call in pending:
            if call.provider not in queues:
                spec = self.study.providers[call.provider]
                queues[call.provider] = _ProviderQueue(spec.config, spec.retry)
            queues[call.provider].calls.append(call)
        return queues

    async def _open(self, queue: _ProviderQueue, report: RunReport) -> bool:
        try:
            queue.provider = self.make_provider(queue.config)
        except PermanentError as err:
            self._stop_provider(queue, str(err), report)
            return False
        return True

    def _stop_provider(self, queue: _ProviderQueue, reason: str, report: RunReport) -> None:
        if queue.stopped is None:
            queue.stopped = reason
            report.stopped_providers[queue.config.name] = reason
            self.observer.message(
                f"provider {queue.config.name!r} stopped: {reason}; its remaining "
                f"{len(queue.calls)} queued calls are left for the next run"
            )

    async def _wait(self, workers: list[asyncio.Task[None]]) -> None:
        if not workers:
            return
        everything = asyncio.gather(*workers)
        stop = asyncio.create_task(self.stop_requested.wait())
        abandon = asyncio.create_task(self.abandon_requested.wait())
        try:
            done, _ = await asyncio.wait({everything, stop}, return_when=asyncio.FIRST_COMPLETED)
            if everything not in done:
                self.observer.message(
                    f"stopping: no new calls; waiting up to {self.grace_s:g} s for calls in flight"
                )
                done, _ = await asyncio.wait(
                    {everything, abandon}, timeout=self.grace_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if everything not in done:
                    everything.cancel()
            (outcome,) = await asyncio.gather(everything, return_exceptions=True)
            # A cancelled gather reports CancelledError as its exception: that is the abandonment.
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, asyncio.CancelledError
            ):
                raise outcome
        finally:
            stop.cancel()
            abandon.cancel()

    async def _work(self, queue: _ProviderQueue, report: RunReport) -> None:
        while queue.calls and queue.stopped is None and not self.stop_requested.is_set():
            call = queue.calls.popleft()
            if call.key.model in queue.stopped_models:
                report.not_attempted += 1
                continue
            record = await self._attempt(queue, call, report)
            if record is None:  # abandoned because of a stop request: still pending
                report.not_attempted += 1
                continue
            self.store.record(call, record, self.run_id)
            kind = kind_of(record)
            report.count(call.key.model, kind)
            self.observer.call_done(call.key.model, kind)

    async def _attempt(
        self, queue: _ProviderQueue, call: PlannedCall, report: RunReport
    ) -> CallRecord | None:
        assert queue.provider is not None
        started_at = utc_now()
        attempt = 0
        throttled = 0  # attempts that met an allocation throttle: they use up no attempt
        while True:
            attempt += 1
            await queue.wait_turn(call)
            if self.stop_requested.is_set() or queue.stopped is not None:
                return None
            sent_at = time.monotonic()
            try:
                result = await queue.provider.complete(call.request)
            except TransientError as err:
                if too_long_to_wait(err, queue.retry):
                    stop = ProviderError(
                        ErrorClass.RETRY_AFTER_TOO_LONG,
                        f"{err}; the server asks to wait {err.retry_after_s:g} s, more than "
                        f"max_retry_after_s = {queue.retry.max_retry_after_s:g} s: "
                        "treated as an exhausted quota",
                    )
                    self._stop_provider(queue, str(stop), report)
                    return failed_record(stop, attempt, started_at)
                report.retries += 1
                self.observer.retrying(call.key.model)
                if err.error_class is ErrorClass.ALLOCATION_THROTTLED:
                    throttled += 1
                    stop = self._throttled(queue, err, sent_at)
                    if stop is not None:
                        self._stop_provider(queue, str(stop), report)
                        return failed_record(stop, attempt, started_at)
                    delay = queue.paused_until - time.monotonic()
                else:
                    if attempt - throttled >= queue.config.max_attempts:
                        return failed_record(err, attempt, started_at)
                    delay = backoff_delay(attempt - throttled, queue.retry, err.retry_after_s)
                    if err.retry_after_s is not None:
                        queue.paused_until = max(queue.paused_until, time.monotonic() + delay)
                if await self._interrupted_during(max(delay, 0.0)):
                    return None
                continue
            except PermanentError as err:
                self._after_permanent(queue, call, err, report)
                return failed_record(err, attempt, started_at)
            except Exception as err:  # a provider bug: keep the run going, record it
                return failed_record(
                    ProviderError(
                        ErrorClass.CLIENT_EXCEPTION, f"{type(err).__name__} in the provider"
                    ),
                    attempt,
                    started_at,
                )
            queue.consecutive_permanent[call.key.model] = 0
            queue.throttle_rounds = 0
            if result.logprobs is not None:  # stored first: a row never lacks its logprobs
                self.store.record_logprobs(call.key, result.logprobs)
            return answer_record(self.study, call, result, attempt, started_at)

    def _throttled(
        self, queue: _ProviderQueue, err: TransientError, sent_at: float
    ) -> ProviderError | None:
        """Pause the provider for a new round of throttling; the stop error after the last round.

        Calls sent before the current round began belong to it: their throttles add no round.
        """
        if sent_at < queue.throttled_at:
            return None
        queue.throttle_rounds += 1
        if queue.throttle_rounds > MAX_THROTTLE_ROUNDS:
            return ProviderError(
                ErrorClass.THROTTLED_TOO_LONG,
                f"{err}; still throttled after {MAX_THROTTLE_ROUNDS} consecutive waits "
                f"(up to backoff_max_s = {queue.retry.backoff_max_s:g} s each): the allocation "
                "does not clear, treated as an exhausted quota",
            )
        now = time.monotonic()
        delay = max(throttle_delay(queue.throttle_rounds, queue.retry), err.retry_after_s or 0.0)
        queue.throttled_at = now
        queue.paused_until = max(queue.paused_until, now + delay)
        return None

    async def _interrupted_during(self, delay: float) -> bool:
        try:
            await asyncio.wait_for(self.stop_requested.wait(), timeout=delay)
        except TimeoutError:
            return False
        return True

    def _after_permanent(
        self, queue: _ProviderQueue, call: PlannedCall, err: PermanentError, report: RunReport
    ) -> None:
        model = call.key.model
        queue.consecutive_permanent[model] += 1
        stops = err.error_class.stops
        if stops is Stops.PROVIDER:
            self._stop_provider(queue, str(err), report)
        elif (
            stops is Stops.MODEL
            or queue.consecutive_permanent[model] >= MAX_CONSECUTIVE_PERMANENT
        ) and model not in queue.stopped_models:
            queue.stopped_models[model] = str(err)
            self.observer.message(f"model {model!r} stopped: {err}")

def answer_record(
    study: Study, call: PlannedCall, result: ChatResult, attempts: int, started_at: str,
    finished_at: str | None = None,
) -> CallRecord:
    """What is stored for a call the provider answered (or blocked), online or in a batch
    (whose lines share the time their results were read: `finished_at`). The rating is stored
    on the published scale, whatever numbering the call showed."""
    instrument = study.instruments[call.key.instrument]
    blocked = result.outcome == "refused"
    parsed = parse_answer(result.text, instrument.scale_min, instrument.scale_max)
    if blocked:
        rating, reason = None, "blocked"
    else:
        rating = to_published_scale(parsed.rating, call.presentation, instrument.scale_min,
                                    instrument.scale_max)
        reason = parsed.reason
    return CallRecord(
        status=answer_outcome(rating, blocked or parsed.refusal),
        attempts=attempts,
        started_at=started_at,
        finished_at=finished_at or utc_now(),
        raw_text=result.text,
        rating=rating,
        valid=rating is not None,
        refusal=blocked or parsed.refusal,
        parse_reason=reason,
        vendor_code=result.vendor_code,
        returned_model=result.returned_model,
        request_id=result.request_id,
        input_tokens=result.input_tokens,
        output_tokens=result.output_tokens,
        finish_reason=result.finish_reason,
        latency_s=result.latency_s,
    )


def failed_record(err: ProviderError, attempts: int, started_at: str) -> CallRecord:
    return CallRecord(
        status=Outcome.FAILED,
        attempts=attempts,
        started_at=started_at,
        finished_at=utc_now(),
        error_class=err.error_class.value,
        error_message=str(err),
    )


def kind_of(record: CallRecord) -> str:
    if record.status == "failed":
        return "failed"
    if record.refusal:
        return "refused"
    return "valid" if record.valid else "invalid"
