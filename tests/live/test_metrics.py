"""/metrics as Prometheus reads it, from real `onewindow serve` processes: the token, the figures a
hall's IT office watches (tickets issued and called, waiting per queue, screens connected, request
times), and one answer for all the workers of `--workers 2`, whichever of them is asked."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tests.api.conftest import KIOSK
from tests.servers import RedisProcess, ServerProcess, seeded

TOKEN = "metrics-token-of-the-district"
SCRAPE = {"Authorization": f"Bearer {TOKEN}"}


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample by name and labels, as Prometheus parses the exposition."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float | None:
    return found.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def server(sqlite_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(seeded(sqlite_url), tmp_path, extra_env={"ONEWINDOW_METRICS_TOKEN": TOKEN}).start()
    yield process
    process.stop()


def test_the_hall_as_prometheus_sees_it(server: ServerProcess) -> None:
    base = server.base
    assert httpx.get(f"{base}/metrics").status_code == 401
    wrong = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer guess-guess-guess-guess"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "bad_credentials"

    async def scenario() -> tuple[str, str]:
        async with websockets.connect(f"{server.ws}/ws/halls/jinan/display") as display:
            await display.recv()  # the snapshot: the screen is counted
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                for queue in ("A", "A", "A", "B"):
                    assert (await http.post("/api/v1/halls/jinan/tickets", json={"queue": queue},
                                            headers=KIOSK)).status_code == 201
                login = await http.post("/api/v1/auth/login", json={"username": "clerk01", "password": "demo1234"})
                clerk = {"Authorization": f"Bearer {login.json()['token']}"}
                assert (await http.post("/api/v1/halls/jinan/counters/1/open", headers=clerk)).status_code == 200
                assert (await http.post("/api/v1/halls/jinan/counters/1/call-next", headers=clerk)).status_code == 200
                assert (await http.get("/api/v1/halls/nowhere")).status_code == 404
                during = (await http.get("/metrics", headers=SCRAPE)).text
        await asyncio.sleep(0.3)  # the server notices the closed socket
        after = httpx.get(f"{base}/metrics", headers=SCRAPE)
        assert after.headers["content-type"].startswith("text/plain; version=0.0.4")
        return during, after.text

    during, after = asyncio.run(scenario())
    seen = samples(during)
    assert value(seen, "onewindow_tickets_issued_total", hall="jinan", queue="A") == 3
    assert value(seen, "onewindow_tickets_issued_total", hall="jinan", queue="B") == 1
    assert value(seen, "onewindow_tickets_called_total", hall="jinan", queue="A") == 1
    assert value(seen, "onewindow_waiting", hall="jinan", queue="A") == 2
    assert value(seen, "onewindow_waiting", hall="jinan", queue="C") == 0
    assert value(seen, "onewindow_websocket_clients", feed="display") == 1
    issued = value(seen, "onewindow_http_request_duration_seconds_count", family="api.halls", method="POST",
                   status="2xx")
    assert issued is not None and issued >= 4
    assert value(seen, "onewindow_http_request_duration_seconds_count", family="api.halls", method="GET",
                 status="4xx") == 1
    batches = value(seen, "onewindow_write_batch_size_count")
    assert batches is not None and batches >= 6  # four issues, an opening and a call, maybe grouped less
    assert value(samples(after), "onewindow_websocket_clients", feed="display") == 0
    assert "hall=\"nowhere\"" not in during  # labels are bounded: no path or unknown code becomes one


def test_metrics_are_off_until_a_token_is_set(sqlite_url: str, tmp_path: Path) -> None:
    process = ServerProcess(seeded(sqlite_url), tmp_path).start()
    try:
        answer = httpx.get(f"{process.base}/metrics", headers=SCRAPE)
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "metrics_off"
        assert "ONEWINDOW_METRICS_TOKEN" in answer.json()["error"]["message"]
    finally:
        process.stop()


def test_two_workers_answer_for_both(postgres_url: str, tmp_path: Path) -> None:
    """uvicorn hands each request to either worker; every scrape adds both workers' counts up."""
    redis = RedisProcess(tmp_path).start()
    process = ServerProcess(seeded(postgres_url), tmp_path, redis_url=redis.url, workers=2,
                            extra_env={"ONEWINDOW_METRICS_TOKEN": TOKEN}).start()
    try:
        async def issue() -> None:
            async with httpx.AsyncClient(base_url=process.base, timeout=10) as http:
                async def one() -> None:
                    for _ in range(5):
                        answer = await http.post("/api/v1/halls/jinan/tickets", json={"queue": "C"}, headers=KIOSK)
                        assert answer.status_code == 201

                await asyncio.gather(*(one() for _ in range(4)))

        asyncio.run(issue())
        for _ in range(6):  # new connections: the kernel spreads them over the workers
            with httpx.Client(timeout=10) as fresh:
                seen = samples(fresh.get(f"{process.base}/metrics", headers=SCRAPE).text)
            assert value(seen, "onewindow_tickets_issued_total", hall="jinan", queue="C") == 20
            assert value(seen, "onewindow_waiting", hall="jinan", queue="C") == 20
    finally:
        process.stop()
        redis.stop()
