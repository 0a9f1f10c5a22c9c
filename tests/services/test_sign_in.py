"""Signing in (server/services/accounts.py): failures are throttled per (user, address) pair, so
one address can lock nobody else out and nobody can lock an account from elsewhere (security
issue 6); a sign-in's token ends after ONEWINDOW_SESSION_HOURS (issue 3)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from server.domain.clock import FakeClock
from server.domain.errors import BadCredentials, RateLimited
from server.services import accounts
from server.services.audit import flush
from server.store import audit
from tests.conftest import HALL_MORNING
from tests.services.test_days import context_on

NAT = "10.0.0.1"


def test_one_address_locks_out_only_that_pair(sqlite_url: str) -> None:
    context = context_on(sqlite_url, FakeClock(HALL_MORNING))

    async def body() -> None:
        try:
            for _ in range(5):
                with pytest.raises(BadCredentials):
                    await accounts.sign_in(context, "clerk01", "guess", NAT)
            with pytest.raises(RateLimited):
                await accounts.sign_in(context, "clerk01", "demo1234", NAT)  # even the right one waits
            assert (await accounts.sign_in(context, "clerk02", "demo1234", NAT)).user["username"] == "clerk02"
            assert (await accounts.sign_in(context, "clerk01", "demo1234", "10.0.0.2")).user["username"] == "clerk01"
            with pytest.raises(BadCredentials):  # another address's wrong guesses start from nothing
                await accounts.sign_in(context, "clerk01", "guess", "10.9.9.9")
            await flush(context)
            entries = await context.engine.read(lambda conn: audit.search(conn, actor="clerk01", action="auth"))
            actions = [e["action"] for e in reversed(entries)]
            assert actions == ["auth.login.failed"] * 5 + ["auth.login.blocked", "auth.login", "auth.login.failed"]
        finally:
            await context.hub.close()
            await context.engine.close()
            context.db.dispose()

    asyncio.run(body())


def test_a_sign_in_ends_after_the_session_hours(sqlite_url: str) -> None:
    context = context_on(sqlite_url, FakeClock(HALL_MORNING))
    context.settings = replace(context.settings, session_hours=2.0)
    start = datetime(2030, 1, 1, tzinfo=UTC)
    context.wall = lambda: start

    async def body() -> None:
        try:
            signed = await accounts.sign_in(context, "manager", "demo1234", NAT)
            assert (await context.principal_for_token(signed.token)) is not None
            context.wall = lambda: start + timedelta(hours=1, minutes=59)
            context.forget_everything()
            assert (await context.principal_for_token(signed.token)) is not None
            context.wall = lambda: start + timedelta(hours=2, seconds=1)
            context.forget_everything()
            assert (await context.principal_for_token(signed.token)) is None
        finally:
            await context.hub.close()
            await context.engine.close()
            context.db.dispose()

    asyncio.run(body())
