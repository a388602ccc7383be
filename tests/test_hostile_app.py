"""Issue 11 in the app: a hostile stream ends with its sentence, and the app stays up and answers keys."""

from __future__ import annotations

from typing import Iterator

import pytest

from explorer.core import Kind, StreamRequest
from explorer.engine.outbox import PAYLOAD_CAP
from explorer.tui.widgets.chunk_log import ChunkLog

from .apps import app_for, records, screen_lines, until, until_ended
from .servers.hostile import HostileServer

WIDE = (200, 40)  # room for a whole error sentence on its row
VALUE_CAP = 65536


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    with HostileServer() as hostile:
        yield hostile


async def test_deep_json_ends_with_the_depth_error_and_keeps_what_came_before(server: HostileServer) -> None:
    request = StreamRequest(server.url("/deep-json"), mode="json", max_depth=64, max_value=VALUE_CAP, max_time=10)
    app = app_for(request)
    async with app.run_test(size=WIDE) as pilot:
        await until_ended(pilot)
        assert app.is_running and app.main.session.state == "error"
        log = app.query_one("#log", ChunkLog)
        kept = records(log)
        assert kept[0].kind is Kind.RESPONSE and any(r.kind is Kind.CHUNK for r in kept)
        errors = [r for r in kept if r.kind is Kind.ERROR]
        assert [e.summary.type for e in errors] == ["json_too_deep"]
        assert "--max-depth" in (errors[0].summary.error or "")
        text = "\n".join(screen_lines(log))
        assert "✖ error" in text and "--max-depth" in text
        await pilot.press("ctrl+l")  # and it still answers keys
        await until(pilot, lambda: not records(log))


async def test_endless_chunk_streams_in_pieces_while_keys_still_work(server: HostileServer) -> None:
    request = StreamRequest(server.url("/endless-chunk"), mode="wire", max_value=VALUE_CAP, max_time=4)
    app = app_for(request)
    async with app.run_test(size=WIDE) as pilot:
        log = app.query_one("#log", ChunkLog)
        await until(pilot, lambda: sum(r.kind is Kind.CHUNK for r in records(log)) >= 3)
        assert app.main.session.state == "streaming" and log.following
        await pilot.press("ctrl+y")
        assert not log.following and "paused" in str(log.border_subtitle)
        await pilot.press("ctrl+y")
        assert log.following
        await until_ended(pilot)
        assert app.is_running and app.main.session.state == "done"
        kept = records(log)
        chunks = [r for r in kept if r.kind is Kind.CHUNK]
        assert kept[-1].kind is Kind.END and "max time" in (kept[-1].summary.stopped or "")
        assert len(chunks) >= 3 and all(r.size <= VALUE_CAP for r in chunks)
        assert all(r.data is not None and len(r.data) <= PAYLOAD_CAP for r in chunks)
        assert "✔ end" in "\n".join(screen_lines(log))
