"""Batch mode: the planned calls of a provider with `mode = "batch"` sent as batch files.

A run (1) brings every open batch of the store one step on: a batch recorded but not known to
exist is looked for (its file by name, the batch by the key in its metadata or lines) and made
only when it is not found; a known batch is polled once and, when it has ended, its lines are
stored, (2) records the pending calls that are in no open batch as new batches (one model per
batch, split to the provider's limits), each under a run-unique key before anything is sent,
then (3) waits, polling with a doubling interval, until no batch is open. A line that failed on
its own is sent again at most `max_rounds` times; the lines of an expired, failed or cancelled
batch are sent again without using up their rounds, until the provider's
`batch_time_budget_hours` since a line was first sent are spent. The lines of one batch are
stored in one transaction together with the mark that they were, so a kill never stores a line
twice and never loses one. With `detach` the run submits and returns; a later run collects.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from collect.collector.anthropic_batch import AnthropicBatchClient
from collect.collector.design import PlannedCall
from collect.collector.openai_batch import TERMINAL, OpenAIBatchClient
from collect.collector.providers.base import (
    ChatResult,
    PermanentError,
    ProviderError,
    TransientError,
)
from collect.collector.runner import RunObserver, RunReport, answer_record, failed_record, kind_of
from collect.collector.store import BatchRow, Store, utc_now
from collect.collector.study import BatchSettings, ProviderSpec, Study

BATCH_CLIENTS: dict[str, type[OpenAIBatchClient]] = {
    "openai": OpenAIBatchClient,
    "anthropic": AnthropicBatchClient,
}


def split_lines(lines: list[tuple[str, bytes]], settings: BatchSettings) -> Iterator[
        list[tuple[str, bytes]]]:
    """Consecutive chunks of at most `max_lines` lines and `max_bytes` bytes."""
    chunk: list[tuple[str, bytes]] = []
    size = 0
    for line in lines:
        if len(line[1]) > settings.max_bytes:
            raise ValueError(f"request {line[0]} alone is larger than batch_max_bytes")
        if chunk and (len(chunk) >= settings.max_lines or size + len(line[1]) > settings.max_bytes):
            yield chunk
            chunk, size = [], 0
        chunk.append(line)
        size += len(line[1])
    if chunk:
        yield chunk


@dataclass
class BatchCollector:
    study: Study
    store: Store
    observer: RunObserver
    detach: bool = False
    run_id: int = 0

    def run(self, planned: list[PlannedCall]) -> RunReport:
        report = RunReport(planned=len(planned), pending_at_start=len(self.store.pending(planned)))
        self.run_id = self.store.start_run(self.study.name, len(planned),
                                           report.pending_at_start)
        by_provider: dict[str, list[PlannedCall]] = {}
        for call in planned:
            by_provider.setdefault(call.provider, []).append(call)
        for name, calls in by_provider.items():
            spec = self.study.providers[name]
            assert spec.batch is not None
            try:
                client = BATCH_CLIENTS[spec.config.kind](spec.config, spec.retry)
            except PermanentError as err:
                report.stopped_providers[name] = str(err)
                report.not_attempted += len(self.store.pending(calls))
                continue
            try:
                _ProviderBatches(self, spec, client, calls, report).run()
            except ProviderError as err:
                report.stopped_providers[name] = str(err)
            finally:
                client.close()
        self.store.finish_run(self.run_id, "detached" if self.detach else "completed")
        return report


def new_batch_key() -> str:
    """A run-unique key (20 hex digits: fits Anthropic's 64-character custom ids)."""
    return uuid.uuid4().hex[:20]


class _ProviderBatches:
    def __init__(self, owner: BatchCollector, spec: ProviderSpec, client: OpenAIBatchClient,
                 calls: list[PlannedCall], report: RunReport) -> None:
        assert spec.batch is not None
        self.study = owner.study
        self.store = owner.store
        self.observer = owner.observer
        self.detach = owner.detach
        self.run_id = owner.run_id
        self.spec = spec
        self.settings: BatchSettings = spec.batch
        self.client = client
        self.calls = {client.custom_id(call.key): call for call in calls}
        self.report = report
        self.changed = True  # calls may be pending that are in no batch: worth a look
        self.fresh: set[str] = set()  # batch keys recorded by this run and not tried yet
        self.over_budget = 0

    def _open(self) -> list[BatchRow]:
        return [row for row in self.store.batches(self.study.name, open_only=True)
                if row.provider == self.spec.config.name]

    def run(self) -> None:
        interval = self.settings.poll_interval_s
        while True:
            self._refresh()
            self._submit()
            still_open = self._open()
            if self.detach or not still_open:
                break
            time.sleep(interval)
            interval = min(interval * 2, self.settings.poll_max_s)
        left = self.store.pending(list(self.calls.values()))
        in_flight = self.store.batch_line_ids(self.study.name, open_only=True)
        self.report.not_attempted += sum(
            1 for c in left if self.client.custom_id(c.key) not in in_flight)
        if self.over_budget:
            self.observer.message(
                f"{self.spec.config.name}: {self.over_budget} requests not sent again: their "
                f"batches expired or failed for longer than batch_time_budget_hours = "
                f"{self.spec.batch_time_budget_hours:g}; raise it and run again to retry them")

    def _refresh(self, rows: list[BatchRow] | None = None) -> None:
        """Bring each open batch (or each of `rows`) one step on."""
        for row in self._open() if rows is None else rows:
            label = f"batch {row.batch_id or '(key ' + row.batch_key + ')'}"
            try:
                self._advance(row)
            except TransientError as err:  # the batch stays open: the next poll tries again
                self.report.retries += 1
                self.observer.message(f"{label}: {err}; trying again on the next poll")
            except PermanentError as err:
                raise PermanentError(
                    err.error_class,
                    f"{label} of {self.spec.config.name}: {err}. The batch stays recorded in the "
                    "store; remove the cause and run again to resume it",
                    http_status=err.http_status) from err
            except (KeyError, TypeError, ValueError) as err:  # a reply of an unexpected shape
                self.report.retries += 1
                self.observer.message(f"{label}: unexpected reply ({type(err).__name__}: "
                                      f"{err}); trying again on the next poll")

    def _advance(self, row: BatchRow) -> None:
        """Make sure the batch of `row` exists (found or created), or poll it; collect it when
        it has ended."""
        if row.batch_id is None:
            look_first = row.batch_key not in self.fresh
            self.fresh.discard(row.batch_key)
            content = self._content(row)
            if content is None:
                return
            input_file_id = row.input_file_id
            if self.client.uses_files and input_file_id is None:
                input_file_id = self.client.ensure_file(row.batch_key, content, look_first)
                self.store.set_input_file(row.batch_key, input_file_id)
            known = {r.batch_id for r in self.store.batches(self.study.name)
                     if r.batch_id is not None}
            batch = self.client.ensure_batch(row.batch_key, input_file_id, content,
                                             self.study.name, row.created_at, known, look_first)
            if batch is None:
                self.observer.message(f"batch of key {row.batch_key}: whether it was created is "
                                      "not known until the provider's running batches end")
                return
            self.observer.message(f"batch {batch.get('id')}: {row.lines} requests")
        else:
            batch = self.client.retrieve(row.batch_id)
        self.store.update_batch(row.batch_key, batch)
        if batch.get("status") in TERMINAL:
            self._collect(row.batch_key, batch)

    def _content(self, row: BatchRow) -> bytes | None:
        """The request file of a recorded batch, rebuilt from its lines."""
        ids = self.store.batch_custom_ids(row.batch_key)
        missing = [cid for cid in ids if cid not in self.calls]
        if missing:
            self.observer.message(f"batch of key {row.batch_key} holds {len(missing)} requests "
                                  "this run does not plan (another --models?); run the models "
                                  "it holds to send it")
            return None
        return b"".join(self.client.line(cid, self.calls[cid].request, row.batch_key)
                        for cid in ids)

    def _submit(self) -> None:
        if not self.changed:
            return
        self.changed = False
        pending = self.store.pending(list(self.calls.values()))
        in_flight = self.store.batch_line_ids(self.study.name, open_only=True)
        history = self.store.batch_line_history(self.study.name)
        oldest = datetime.now(UTC) - timedelta(hours=self.spec.batch_time_budget_hours)
        by_model: dict[str, list[tuple[str, bytes]]] = {}
        self.over_budget = 0
        sizing_key = new_batch_key()  # every key has this length: lines sized with it
        for call in pending:
            cid = self.client.custom_id(call.key)
            failed, first_sent = history.get(cid, (0, None))
            if cid in in_flight or failed >= self.settings.max_rounds:
                continue
            if first_sent is not None and datetime.fromisoformat(first_sent) < oldest:
                self.over_budget += 1
                continue
            by_model.setdefault(call.key.model, []).append(
                (cid, self.client.line(cid, call.request, sizing_key)))
        for lines in by_model.values():  # the Batch APIs take one model per file
            for chunk in split_lines(lines, self.settings):
                key = new_batch_key()
                self.store.add_batch(self.study.name, self.spec.config.name, key,
                                     [cid for cid, _ in chunk])
                self.fresh.add(key)
        self._refresh([row for row in self._open() if row.batch_key in self.fresh])

    def _collect(self, batch_key: str, batch: dict[str, object]) -> None:
        """Store every line of an ended batch, and mark it collected, in one transaction."""
        ours = set(self.store.batch_custom_ids(batch_key))
        answers: list[tuple[PlannedCall, ChatResult | ProviderError]] = []
        outcomes: dict[str, str] = {}
        for line in self.client.results(batch):
            cid = self.client.line_id(str(line.get("custom_id")))
            if cid not in ours or cid not in self.calls:
                self.observer.message(f"batch {batch.get('id')}: line with unknown "
                                      f"custom_id {line.get('custom_id')!r} ignored")
                continue
            result = self.client.read_line(line)
            if result is not None:
                answers.append((self.calls[cid], result))
                outcomes[cid] = "answered" if isinstance(result, ChatResult) else "failed"
        if batch.get("status") in ("failed", "expired", "cancelled"):
            self.observer.message(f"batch {batch.get('id')} {batch.get('status')}: its "
                                  f"unanswered lines are sent again ({batch.get('errors')})")
        started_at = utc_now()
        records = []
        for call, result in answers:
            if isinstance(result, ChatResult):
                record = answer_record(self.study, call, result, 1, started_at, started_at)
            else:
                record = failed_record(result, 1, started_at)
            records.append((call, record))
            kind = kind_of(record)
            self.report.count(call.key.model, kind)
            self.observer.call_done(call.key.model, kind)
        with self.store.transaction():
            self.store.record_many(records, self.run_id)
            self.store.mark_collected(batch_key, outcomes)
        self.changed = True
