"""Shared fixtures: the real demo server in-process on a free port."""

from __future__ import annotations

from typing import AsyncIterator

import pytest

from explorer.demo import DemoServer


@pytest.fixture
async def demo() -> AsyncIterator[DemoServer]:
    """The demo server on 127.0.0.1, port 0, for one test."""
    server = DemoServer()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def demo_url(demo: DemoServer) -> str:
    return demo.url
