"""Batch mode: the planned calls of a provider with `mode = "batch"` sent as batch files.

A run (1) finds again the batches it created before (a file recorded without its batch id is
looked up by its input file id, so a run killed between creating a batch and recording it does
not create a second one), (2) polls every open batch once and stores the lines of those that
ended, (3) uploads the pending calls that are in no open batch, split to the provider's limits,
recording every file and its lines before the batch is created and the batch id as soon as it is,
then (4) waits, polling with a doubling interval, and stores each batch's output when it ends;
calls whose line failed or never ran (an expired or cancelled batch) are pending again and are
sent in a new batch, at most `max_rounds` times each. The lines of one batch are stored in one
transaction together with the mark that they were, so a kill never stores a line twice and never
loses one. With `detach` the run submits and returns; a later run collects.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass

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

    def _refresh(self) -> None:
        """Poll each open batch once (creating those recorded without a batch), collect ended."""
        for row in self._open():
            try:
                if row.batch_id is None:
                    known = {r.batch_id for r in self.store.batches(self.study.name)
                             if r.batch_id is not None}
                    batch = self.client.recover(row, known, self.study.name)
                    if batch is None:  # never created: its lines are pending again
                        self.store.mark_collected(row.input_file_id)
                        self.changed = True
                        continue
                else:
                    batch = self.client.retrieve(row.batch_id)
                self.store.update_batch(row.input_file_id, batch)
                if batch.get("status") in TERMINAL:
                    self._collect(row.input_file_id, batch)
            except TransientError as err:  # the batch stays open: the next poll tries again
                self.report.retries += 1
                self.observer.message(f"batch of file {row.input_file_id}: {err}; polling again")

    def _submit(self) -> None:
        if not self.changed:
            return
        self.changed = False
        pending = self.store.pending(list(self.calls.values()))
        in_flight = self.store.batch_line_ids(self.study.name, open_only=True)
        rounds = self.store.batch_line_ids(self.study.name, open_only=False)
        lines = []
        for call in pending:
            cid = self.client.custom_id(call.key)
            if cid in in_flight or rounds[cid] >= self.settings.max_rounds:
                continue
            lines.append((cid, self.client.line(cid, call.request)))
        for chunk in split_lines(lines, self.settings):
            content = b"".join(line for _, line in chunk)
            input_id = self.client.prepare(content)
            self.store.add_batch_file(self.study.name, self.spec.config.name, input_id,
                                      [cid for cid, _ in chunk])
            batch = self.client.submit(input_id, content, self.study.name)
            self.store.update_batch(input_id, batch)
            self.observer.message(f"batch {batch.get('id')} submitted: {len(chunk)} requests")

    def _collect(self, input_file_id: str, batch: dict[str, object]) -> None:
        """Store every line of an ended batch, and mark it collected, in one transaction."""
        answers: list[tuple[PlannedCall, ChatResult | ProviderError]] = []
        for raw in self.client.results(batch):
            if not raw.strip():
                continue
            line = json.loads(raw)
            call = self.calls.get(str(line.get("custom_id")))
            if call is None:
                self.observer.message(f"batch {batch.get('id')}: line with unknown "
                                      f"custom_id {line.get('custom_id')!r} ignored")
                continue
            result = self.client.read_line(line)
            if result is not None:
                answers.append((call, result))
        if batch.get("status") == "failed":
            self.observer.message(f"batch {batch.get('id')} failed: {batch.get('errors')}")
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
            self.store.mark_collected(input_file_id)
        self.changed = True
