"""A few SVG snapshots of the real app streaming from the real demo server."""

from __future__ import annotations

import asyncio
import socket
import threading
from pathlib import Path
from typing import Any, AsyncGenerator, Iterator

import ijson
import pytest
from rich.text import Text
from textual.widgets import Static

from explorer.core import Kind, Record, StreamRequest
from explorer.core.jsonl import jsonl_batch
from explorer.core.record import Flag, GapSummary, LlmSummary, Response, SSEEvent, Summary, Token
from explorer.core.timing import TimingStage
from explorer.demo import DemoServer
from explorer.demo.catalog import CATALOG
from explorer.demo.llm_shapes import script as llm_script
from explorer.demo.llm_shapes import timed_frames
from explorer.options import Options
from explorer.tui import compare
from explorer.tui.app import ExplorerApp
from explorer.tui.inspector import InspectorScreen
from explorer.tui.replay import load_replay
from explorer.tui.replay_screen import ReplayApp
from explorer.tui.session import Source
from explorer.tui.widgets.chunk_log import ChunkLog

from .apps import until, until_ended
from .deterministic import FIXED_URL, PHASES, DeterministicApp, DeterministicSession, recorded_ndjson

SIZE = (120, 40)


@pytest.fixture(scope="module")
def demo_thread() -> Iterator[str]:
    """The demo server in its own thread and loop (snap_compare tests are synchronous)."""
    loop = asyncio.new_event_loop()
    server = DemoServer()
    started = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    started.wait(5)
    yield server.url
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


async def until_done(pilot) -> None:  # type: ignore[no-untyped-def]
    await until_ended(pilot)
    await pilot.pause(0.1)  # one more flush draws the status line


NDJSON = [f'{{"id": {i}, "name": "Item {i}"}}\n'.encode() for i in range(6)]


def test_json_mode_on_ndjson(snap_compare) -> None:
    """A recorded stream: one read per line, which a live stream cannot promise (reads may merge)."""
    path = "/ndjson?count=6&interval=0.01"
    app = DeterministicApp(StreamRequest(FIXED_URL + path, mode="json"), FIXED_URL + path, recorded_ndjson(NDJSON))
    assert snap_compare(app, terminal_size=SIZE, run_before=until_done)


def test_wire_mode_chunk_framing(snap_compare, demo_thread: str) -> None:
    path = "/chunks?count=8"
    app = DeterministicApp(StreamRequest(demo_thread + path, mode="wire"), FIXED_URL + path)
    assert snap_compare(app, terminal_size=SIZE, run_before=until_done)


def test_refused_connection_error(snap_compare) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = DeterministicApp(StreamRequest(f"http://127.0.0.1:{port}/"), f"{FIXED_URL}/")
    assert snap_compare(app, terminal_size=SIZE, run_before=until_done)


# -- the sizes people use: 80x24 and 200x60 ---------------------------------------

SIZES = {"80x24": (80, 24), "200x60": (200, 60)}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
def test_catalog_at(snap_compare, size: tuple[int, int]) -> None:
    app = DeterministicApp(StreamRequest(""), "", start=False, panel=True)

    async def highlight(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        catalog = app.query_one("#catalog")
        catalog.highlighted = next(i for i, e in enumerate(CATALOG) if e.route == "/ndjson")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=highlight)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
def test_error_row_at(snap_compare, size: tuple[int, int]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app = DeterministicApp(StreamRequest(f"http://127.0.0.1:{port}/"), f"{FIXED_URL}/")
    assert snap_compare(app, terminal_size=size, run_before=until_done)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
def test_phases_row_at(snap_compare, demo_thread: str, size: tuple[int, int]) -> None:
    path = "/chunks?count=3"
    app = DeterministicApp(StreamRequest(demo_thread + path, mode="wire"), FIXED_URL + path)
    assert snap_compare(app, terminal_size=size, run_before=until_done)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
def test_inspector_on_a_json_line_at(snap_compare, size: tuple[int, int]) -> None:
    path = "/ndjson?count=6&interval=0.01"
    app = DeterministicApp(StreamRequest(FIXED_URL + path, mode="json"), FIXED_URL + path, recorded_ndjson(NDJSON))

    async def inspect(pilot) -> None:  # type: ignore[no-untyped-def]
        await until_done(pilot)
        log = app.query_one("#log", ChunkLog)
        log.focus()
        assert log.jump(lambda row: isinstance(row, Record) and row.kind is Kind.CHUNK and row.seq == 2)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen)

    assert snap_compare(app, terminal_size=size, run_before=inspect)


async def compare_done(app: ExplorerApp, pilot: Any) -> list[compare.StreamPane]:
    """Wait for the compare screen and both its streams' ends; its panes."""
    await until(pilot, lambda: isinstance(app.screen, compare.CompareScreen))
    panes = list(app.screen.query(compare.StreamPane))
    await until(pilot, lambda: all(p.session.final is not None for p in panes))
    await app.workers.wait_for_complete()
    return panes


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
def test_compare_at(snap_compare, demo_thread: str, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compare, "StreamSession", DeterministicSession)  # fixed times, as on the main screen
    sides = (Options(StreamRequest(demo_thread + "/chunks?count=4", mode="lines")),  # modes whose records do not
             Options(StreamRequest(demo_thread + "/chunks?count=4", mode="wire")))  # depend on how reads merge
    app = ExplorerApp(compare=sides)

    async def until_both_done(pilot) -> None:  # type: ignore[no-untyped-def]
        # the URL line holds the server's port, which changes from run to run
        for pane in await compare_done(app, pilot):
            url = pane.query_one(".url", Static)
            url.update(Text(FIXED_URL + "/chunks?count=4", style="bold"))
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=size, run_before=until_both_done)


# -- LLM streams: the transcript pane and the serving figures -----------------------------------------------

LLM_STALL_AT = 18  # the step after the stall (an answer token)


def recorded_llm(ttft: float = 0.305, tokens_per_s: float = 21.4) -> Source:
    """A recorded Anthropic stream of the demo's script (thinking, an answer, a tool call): a chunk and an SSE
    event per frame, a token record per step it carries, one token stall, and an end record with its figures."""
    answer = llm_script(24, 1, True, True, True)
    frames = timed_frames("anthropic", answer)

    async def replay(request: StreamRequest, timing: TimingStage) -> AsyncGenerator[Record, None]:
        response = Response(200, "OK", "1.1", {"Content-Type": "text/event-stream", "Transfer-Encoding": "chunked"},
                            request.url, "sse", 0.0)
        yield Record(Kind.RESPONSE, 0, 0.0, 0.0, 0, None, response)
        tokens = 0
        for seq, frame in enumerate(frames):
            yield Record(Kind.CHUNK, seq, 0.0, 0.0, len(frame.data), frame.data)
            fields = dict(line.split(": ", 1) for line in frame.data.decode().strip().split("\n"))
            yield Record(Kind.SSE, seq, 0.0, 0.0, 0, None, SSEEvent(fields.get("event", ""), fields["data"], "", None))
            for index in frame.steps:
                step = answer.steps[index]
                flags = int(Flag.STALL) if index == LLM_STALL_AT else 0
                yield Record(Kind.TOKEN, tokens, 0.0, 0.0, 0, None, Token(step.text, step.channel, step.call), flags)
                tokens += 1
        served = LlmSummary("anthropic", ttft=ttft, itl_p50=0.1, itl_p90=0.1, itl_p99=1.6, itl_max=1.6, tpot=0.12,
                            e2e=1.0, tokens=tokens, tokens_source="usage", tokens_per_s=tokens_per_s, deltas=tokens,
                            stalls=1, text="", text_length=0, model="explorer-demo", stop_reason="tool_use")
        summary = Summary(records=len(frames), bytes=sum(len(f.data) for f in frames), duration=1.0, ttfb=0.005,
                          phases=PHASES, gaps=timing.summary(len(frames)), events=len(frames), llm=served)
        yield Record(Kind.END, 0, 1.0, 1.0, 0, None, summary)
    return replay


class LlmSession(DeterministicSession):
    """Fixed times, and the stalled token's gap as recorded (a fixed cadence would make it 100 ms)."""

    def take(self) -> list[Record]:
        batch = super().take()
        for record in batch:
            if record.kind is Kind.TOKEN and record.stall:
                record.gap = 1.6
        return batch


class LlmApp(DeterministicApp):
    def get_default_screen(self):  # type: ignore[no-untyped-def]
        screen = super().get_default_screen()
        screen.session = LlmSession(self.source)
        return screen


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
def test_llm_transcript_at(snap_compare, size: tuple[int, int]) -> None:
    path = "/llm/anthropic?tokens=24&seed=1&thinking=1&tools=1"
    app = LlmApp(StreamRequest(FIXED_URL + path, mode="sse"), FIXED_URL + path, recorded_llm())
    assert snap_compare(app, terminal_size=size, run_before=until_done)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES)
def test_llm_compare_at(snap_compare, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch) -> None:
    sources = iter([recorded_llm(0.205, 38.5), recorded_llm(0.905, 9.8)])
    monkeypatch.setattr(compare, "StreamSession", lambda: LlmSession(next(sources)))
    path = "/llm/anthropic?tokens=24&seed=1&thinking=1&tools=1"
    sides = (Options(StreamRequest(FIXED_URL + path, mode="sse")), Options(StreamRequest(FIXED_URL + path, mode="sse")))
    app = ExplorerApp(compare=sides)

    async def until_both_done(pilot) -> None:  # type: ignore[no-untyped-def]
        await compare_done(app, pilot)
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=size, run_before=until_both_done)


# -- a capture played again (explorer replay) ---------------------------------------------------------------


def write_replay_capture(path: Path) -> None:
    """A capture of an NDJSON stream read in json mode, on a fixed 100 ms cadence, as `get -o` writes one."""
    response = Response(200, "OK", "1.1", {"Content-Type": "application/x-ndjson", "Transfer-Encoding": "chunked"},
                        FIXED_URL + "/ndjson?count=6&interval=0.1", "json", 0.0)
    run = [Record(Kind.RESPONSE, 0, 0.002, 0.002, 0, None, response)]
    events = 0
    for seq, line in enumerate(NDJSON):
        t = round(0.005 + 0.1 * seq, 4)
        run.append(Record(Kind.CHUNK, seq, t, 0.1 if seq else 0.005, len(line), line))
        parsed = tuple(ijson.parse(line))
        run.append(Record(Kind.EVENT, events, t, 0.0, 0, None, parsed))
        events += len(parsed)
    gaps = GapSummary(5, 0.1, 0.1, 0.1, 0.1, 0)
    summary = Summary(records=len(NDJSON), bytes=sum(map(len, NDJSON)), duration=1.0, ttfb=0.005, phases=PHASES,
                      gaps=gaps, events=events)
    run.append(Record(Kind.END, 0, 1.0, 0.495, 0, None, summary))
    path.write_bytes(jsonl_batch(run))


def test_replay_paused_at_80x24(snap_compare, tmp_path: Path) -> None:
    """`explorer replay demo.jsonl`, paused, then a click on the timeline at about 300 ms (back on the Stream tab)."""
    path = tmp_path / "demo.jsonl"
    write_replay_capture(path)
    app = ReplayApp(load_replay(path))

    async def paused_half_way(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = app.main
        await until(pilot, lambda: screen.session.state != "idle")
        await pilot.press("space")
        await pilot.click("#--content-tab-timeline-tab")
        await until(pilot, lambda: screen.query_one("#arrivals").region.width > 0)
        columns = screen.query_one("#arrivals").region.width
        await pilot.click("#arrivals", offset=(int(0.3 * columns), 1))
        await until(pilot, lambda: screen.player.position > 0.25)
        await pilot.click("#--content-tab-stream-tab")
        await pilot.pause(0.1)

    assert snap_compare(app, terminal_size=SIZES["80x24"], run_before=paused_half_way)
