"""A device agent's token may issue tickets (CONTRACT), and is held to a kiosk's rate: the demo
kiosk's agent runs on a public PC, and its token must not drain a queue's numbers either."""

from __future__ import annotations

from starlette.testclient import TestClient

from server.cli import demo_token

from .conftest import KIOSK, SECRET

AGENT = {"Authorization": f"Bearer {demo_token(SECRET, 'agent', 'kiosk-1')}"}


def test_an_agent_issues_no_faster_than_a_kiosk(sqlite_client: TestClient) -> None:
    codes = [sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "D"}, headers=AGENT).status_code
             for _ in range(30)]
    assert codes == [201] * 30
    refused = sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "D"}, headers=AGENT)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "取号过于频繁" in refused.json()["error"]["message"]
    # the kiosk of the same name keeps its own allowance
    assert sqlite_client.post("/api/v1/halls/jinan/tickets", json={"queue": "D"}, headers=KIOSK).status_code == 201
