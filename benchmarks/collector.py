"""Collector throughput, client CPU per call and resume time against a scripted OpenAI server.

    python benchmarks/collector.py [--calls 2000] [--latency 0.2] [--rpm 6000] [--concurrency 32]
    python benchmarks/collector.py --batch 20000


The server (tests/servers, 200 ms per answer) runs in its own process so that only the
collector's CPU is measured. Floors: throughput >= 90% of the rate limit; client CPU < 1 ms per
call; resuming a finished run (load the study, plan, skip every stored call, check the gates)
< 2 s. With --batch LINES, batch mode against the scripted Batch API server (in its own process):
building, splitting and uploading LINES requests < 5 s client CPU; resuming the open batches
(load, plan, poll) < 2 s; ingesting the output < 3 s client CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collect.collector.design import plan_calls  # noqa: E402
from collect.collector.gates import cell_summary, check_gates  # noqa: E402
from collect.collector.providers.base import (  # noqa: E402
    ChatRequest,
    ChatResult,
    ProviderConfig,
)
from collect.collector.providers.registry import make_provider  # noqa: E402
from collect.collector.runner import ProviderFactory, Runner  # noqa: E402
from collect.collector.store import Store  # noqa: E402
from collect.collector.study import load_study  # noqa: E402

from tests.collector.studyfiles import (  # noqa: E402
    TEST_KEY,
    TEST_KEY_ENV,
    calls_per_model,
    write_study,
)

SERVER = """
import sys
sys.path.insert(0, {root!r})
from tests.servers.openai_chat import OpenAIChat
from tests.servers.scripted import ScriptedServer
server = ScriptedServer(OpenAIChat(), api_key={key!r}, latency_s={latency},
                        answer=lambda call: str(1 + call.index % 5))
server.start()
print(server.api_base, flush=True)
sys.stdin.read()
server.stop()
"""


BATCH_SERVER = """
import sys
sys.path.insert(0, {root!r})
from tests.servers.openai_batch import OpenAIBatchServer
with OpenAIBatchServer({key!r}, polls_in_progress=2) as server:
    print(server.api_base, flush=True)
    sys.stdin.read()
"""


def start_server(latency: float, template: str = SERVER) -> tuple[subprocess.Popen[str], str]:
    code = template.format(root=str(ROOT), key=TEST_KEY, latency=latency)
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


class SleepingProvider:
    """Answers "3" after the server's latency without any HTTP: isolates the collector's own CPU."""

    def __init__(self, config: ProviderConfig, latency_s: float) -> None:
        self.config = config
        self.latency_s = latency_s

    async def complete(self, request: ChatRequest) -> ChatResult:
        await asyncio.sleep(self.latency_s)
        return ChatResult("ok", "3", "sleeping", None, 10, 1, "stop", None, self.latency_s)

    async def aclose(self) -> None:
        pass


def collect(
    study_file: Path, db: Path, factory: ProviderFactory = make_provider
) -> tuple[int, float, float]:
    study = load_study(study_file)
    planned = plan_calls(study)
    with Store(db, secrets=[TEST_KEY]) as store:
        cpu, wall = time.process_time(), time.perf_counter()
        report = asyncio.run(Runner(study, store, factory).run(planned))
        return report.attempted, time.perf_counter() - wall, time.process_time() - cpu


def resume(study_file: Path, db: Path) -> tuple[int, float]:
    wall = time.perf_counter()
    study = load_study(study_file)
    planned = plan_calls(study)
    with Store(db) as store:
        report = asyncio.run(Runner(study, store, make_provider).run(planned))
        check_gates(cell_summary(planned, store.frame(study.name)), study.gates)
    return report.attempted, time.perf_counter() - wall


async def bare_client_cpu(base_url: str, calls: int, concurrency: int, client: str) -> float:
    """CPU per call of a bare HTTP client posting the same request: the floor under any provider."""
    body = {"model": "alpha-api", "max_tokens": 10,
            "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]}
    headers = {"authorization": f"Bearer {TEST_KEY}"}
    gate = asyncio.Semaphore(concurrency)
    url = base_url + "/chat/completions"
    if client == "httpx":
        import httpx

        session: Any = httpx.AsyncClient(headers=headers)

        async def post() -> None:
            (await session.post(url, json=body)).json()
    else:
        import aiohttp

        session = aiohttp.ClientSession(headers=headers)

        async def post() -> None:
            async with session.post(url, json=body) as response:
                await response.json()

    async def one() -> None:
        async with gate:
            await post()

    cpu = time.process_time()
    await asyncio.gather(*(one() for _ in range(calls)))
    spent = time.process_time() - cpu
    await (session.aclose() if client == "httpx" else session.close())
    return spent / calls


def batch_benchmark(lines: int) -> None:
    from collect.collector.batch import BatchCollector
    from collect.collector.runner import RunObserver

    def batch_run(study_file: Path, db: Path, detach: bool) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        study = load_study(study_file)
        with Store(db, secrets=[TEST_KEY]) as store:
            BatchCollector(study, store, RunObserver(), detach=detach).run(plan_calls(study))
        return time.process_time() - cpu, time.perf_counter() - wall

    process, base_url = start_server(0.0, BATCH_SERVER)
    try:
        with tempfile.TemporaryDirectory() as folder:
            study_file = write_study(
                Path(folder), base_url, models={"alpha": "scripted"},
                repetitions=-(-lines // calls_per_model(1)),
                provider_options={"mode": "batch", "batch_max_lines": 5000,
                                  "batch_poll_interval_s": 0.01, "batch_poll_max_s": 0.02},
            )
            db = Path(folder) / "batch.sqlite"
            submit_cpu, submit_wall = batch_run(study_file, db, detach=True)
            _, resume_wall = batch_run(study_file, db, detach=True)
            ingest_cpu, ingest_wall = batch_run(study_file, db, detach=False)
            with Store(db) as store:
                stored = len(store.frame("mini"))
                files = len(store.batches("mini"))
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)
    print(f"batch mode: {stored} lines stored from {files} batch files")
    print(f"build, split and upload: {submit_cpu:.2f} s client CPU ({submit_wall:.2f} s wall; "
          "floor < 5 s CPU)")
    print(f"resume the open batches (load, plan, poll): {resume_wall:.2f} s wall (floor < 2 s)")
    print(f"poll, download and ingest the output: {ingest_cpu:.2f} s client CPU "
          f"({ingest_wall:.2f} s wall; floor < 3 s CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--rpm", type=float, default=6000.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--no-reference", action="store_true",
                        help="Skip the bare HTTP client measurements.")
    parser.add_argument("--batch", type=int, metavar="LINES",
                        help="Measure batch mode with this many requests instead.")
    args = parser.parse_args()
    os.environ[TEST_KEY_ENV] = TEST_KEY
    if args.batch:
        batch_benchmark(args.batch)
        return
    load_before = os.getloadavg()[0]
    repetitions = -(-args.calls // calls_per_model(1))
    process, base_url = start_server(args.latency)
    try:
        with tempfile.TemporaryDirectory() as folder:
            study_file = write_study(
                Path(folder), base_url, models={"alpha": "scripted"}, repetitions=repetitions,
                provider_options={"requests_per_minute": args.rpm,
                                  "max_concurrency": args.concurrency, "max_attempts": 6},
            )
            db = Path(folder) / "bench.sqlite"
            made, wall, cpu = collect(study_file, db)
            skipped, resume_s = resume(study_file, db)
            cli_wall = time.perf_counter()
            cli = subprocess.run(
                [sys.executable, "-m", "collect", "collect", "run", "--study", str(study_file),
                 "--db", str(db)], capture_output=True, text=True,
                env={**os.environ, "MORALIGN_EXTERNAL_DIR": folder},
            )
            cli_s = time.perf_counter() - cli_wall
            own = None if args.no_reference else collect(
                study_file, Path(folder) / "own.sqlite",
                lambda config: SleepingProvider(config, args.latency),
            )
        reference = {} if args.no_reference else {
            client: asyncio.run(bare_client_cpu(base_url, 1000, args.concurrency, client))
            for client in ("httpx", "aiohttp")
        }
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)
    limit = args.rpm / 60.0
    throughput = made / wall
    # CPU per call rises when other processes share the cores (and their caches): say how busy.
    print(f"machine load (1-minute average, {os.cpu_count()} CPUs): {load_before:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after")
    print(f"calls made: {made} in {wall:.2f} s, {args.latency * 1000:.0f} ms server latency, "
          f"limit {limit:.0f}/s, concurrency {args.concurrency}")
    print(f"throughput: {throughput:.1f} calls/s = {throughput / limit:.1%} of the limit "
          f"(floor 90%)")
    print(f"client CPU: {cpu:.2f} s = {cpu / made * 1000:.3f} ms per call (floor < 1 ms)")
    print(f"resume of the finished run (in process): {resume_s:.3f} s, {skipped} calls made "
          f"(floor < 2 s)")
    print(f"resume of the finished run (`moralign collect run`, with interpreter start): "
          f"{cli_s:.3f} s, exit status {cli.returncode}")
    if own is not None:
        print(f"reference, the collector alone (provider replaced by a {args.latency:g} s sleep): "
              f"{own[2] / own[0] * 1000:.3f} ms CPU per call")
    for client, per_call in reference.items():
        print(f"reference, bare {client} client without the collector: "
              f"{per_call * 1000:.3f} ms CPU per call")


if __name__ == "__main__":
    main()
