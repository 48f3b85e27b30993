"""Fixtures: a fresh MockGMS per test and an httpx client bound to it through ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from cxkit.mockgms import MockGMS

from .support import Customer, client_for, make_gms


@pytest.fixture
def gms() -> MockGMS:
    return make_gms()


@pytest.fixture
async def client(gms: MockGMS) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(gms) as c:
        yield c


@pytest.fixture
async def customer(client: httpx.AsyncClient) -> Customer:
    cust = Customer(client)
    r = await cust.request_chat()
    assert r.status_code == 200, r.text
    return cust
