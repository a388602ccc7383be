"""Shared fixtures: the real demo server in-process on a free port."""

from __future__ import annotations

from pathlib import Path
from typing import AsyncIterator, Iterator

import pytest

from explorer.demo import DemoServer

from .servers import ChildServer


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


@pytest.fixture(autouse=True)
def state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps its request history in a directory of its own, never the developer's."""
    path = tmp_path_factory.mktemp("state")
    monkeypatch.setenv("XDG_STATE_HOME", str(path))
    return path


@pytest.fixture(scope="module")
def chat_server() -> Iterator[ChildServer]:
    """uvicorn serving Starlette, shaped like a chat-completions API (tests/servers/apps.py `chat`)."""
    with ChildServer("uvicorn") as server:
        yield server
