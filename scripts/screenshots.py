"""Regenerate screenshots/*.svg: the real app, headless, against the real demo server.

    python3 scripts/screenshots.py           # all of them
    python3 scripts/screenshots.py replay    # only screenshots/replay.svg
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from explorer.core import StreamRequest  # noqa: E402
from explorer.demo.catalog import CATALOG, find_pair  # noqa: E402
from explorer.options import Options  # noqa: E402
from explorer.tui.app import ExplorerApp  # noqa: E402

OUT = ROOT / "screenshots"
SIZE = (120, 40)

SHOTS = [
    ("json-ndjson", "/ndjson?count=12&interval=0.1", "json"),
    ("wire-chunks", "/async-chunks?count=12&interval=0.1", "wire"),
    ("llm-sse", "/llm?tokens=40&tps=40", "sse"),
    ("llm-transcript", "/llm/anthropic?tokens=60&thinking=1&tools=1&ttft=300&itl=25&stall=1200&seed=2", "auto"),
    ("error-truncated", "/fault/truncated?count=4&interval=0.1", "wire"),
]


async def until_ended(pilot) -> None:  # type: ignore[no-untyped-def]
    """Until the stream's worker finished and the last flush drew it."""
    for _ in range(100):
        await pilot.pause(0.05)
        if pilot.app.main.session.state != "idle":
            break
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.3)


async def shoot_stream(name: str, path: str, mode: str) -> None:
    """As `explorer --demo PATH --mode MODE` shows it once the stream has ended."""
    app = ExplorerApp(Options(StreamRequest(url="", mode=mode), demo=True, demo_path=path), start=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        app.save_screenshot(filename=f"{name}.svg", path=str(OUT))


async def shoot_small() -> None:
    """The app at 80x24 without the demo panel, after a stream that broke mid-chunk (error and phases rows whole)."""
    app = ExplorerApp(Options(StreamRequest(url="", mode="wire"), demo=True,
                              demo_path="/fault/truncated?count=4&interval=0.1"), start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_ended(pilot)
        app.main.show_panel(False)
        app.query_one("#log").focus()
        await pilot.pause(0.3)
        app.save_screenshot(filename="small-80x24.svg", path=str(OUT))


async def shoot_inspector() -> None:
    """The inspector on an NDJSON line: payload, pretty JSON, hex, timing."""
    app = ExplorerApp(Options(StreamRequest(url="", mode="lines"), demo=True,
                              demo_path="/ndjson?count=6&interval=0.05"), start=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        log = app.query_one("#log")
        log.focus()
        log.jump(lambda row: getattr(row, "kind", None) == "line" and row.seq == 2)
        await pilot.press("enter")
        await pilot.pause(0.3)
        app.save_screenshot(filename="inspector.svg", path=str(OUT))


async def shoot_timeline() -> None:
    """The timeline tab after a stream that paused in the middle."""
    app = ExplorerApp(Options(StreamRequest(url="", mode="lines"), demo=True,
                              demo_path="/fault/stall?count=20&interval=0.05&stall=1.2"), start=True)
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        app.query_one("#tabs").active = "timeline-tab"
        await pilot.pause(0.5)
        app.save_screenshot(filename="timeline.svg", path=str(OUT))


async def shoot_compare() -> None:
    """`explorer compare --pair chunked-vs-length` once both sides are done."""
    app = ExplorerApp(compare=find_pair("chunked-vs-length"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        app.save_screenshot(filename="compare.svg", path=str(OUT))


async def shoot_compare_llm() -> None:
    """`explorer compare --pair llm-fast-vs-slow`: two models on one clock, each with its figures and transcript."""
    app = ExplorerApp(compare=find_pair("llm-fast-vs-slow"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        await pilot.pause(0.3)
        app.save_screenshot(filename="compare-llm.svg", path=str(OUT))


async def shoot_llm_small() -> None:
    """An Anthropic stream at 80x24 while its answer grows (the transcript shows by itself)."""
    app = ExplorerApp(Options(StreamRequest(url="", mode="auto"), demo=True,
                              demo_path="/llm/anthropic?tokens=80&ttft=200&itl=25&stall=60000&stall_at=50&seed=2"),
                      start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(400):  # until the stall holds the answer half-way (50 tokens in)
            await pilot.pause(0.05)
            if app.main.transcript.text.tokens >= 50:
                break
        await pilot.pause(0.3)
        app.save_screenshot(filename="llm-80x24.svg", path=str(OUT))
        await pilot.press("ctrl+g")


async def shoot_catalog() -> None:
    app = ExplorerApp(Options(StreamRequest(url=""), demo=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        catalog = app.query_one("#catalog")
        catalog.highlighted = next(i for i, e in enumerate(CATALOG) if e.route == "/ndjson")
        await pilot.pause(0.2)
        app.save_screenshot(filename="demo-catalog.svg", path=str(OUT))


CHAT_CURL = """curl https://api.example.test/v1/chat/completions \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -d '{"model": "gpt-4o", "stream": true, "messages": [{"role": "user", "content": "Hi"}]}'
"""


async def shoot_editor() -> None:
    """The request editor (F3) after pasting a chat-completions curl command from a provider's docs."""
    app = ExplorerApp(Options(StreamRequest(url="", mode="sse")))
    async with app.run_test(size=SIZE) as pilot:
        from textual import events

        app.query_one("#url").post_message(events.Paste(CHAT_CURL))
        await pilot.pause(0.3)
        await pilot.press("f3")
        await pilot.pause(0.5)
        app.save_screenshot(filename="request-editor.svg", path=str(OUT))


async def shoot_websocket() -> None:
    """A conversation on the demo's /ws/echo: messages sent (↑) and their echoes (↓)."""
    app = ExplorerApp(Options(StreamRequest(url="", mode="ws"), demo=True, demo_path="/ws/echo"), start=True)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.query_one("#messages").display:
                break
        field = app.query_one("#message")
        for text in ("hello", '{"subscribe": "ticker"}', "bye"):
            field.value = text
            field.focus()
            await pilot.press("enter")
            await pilot.pause(0.2)
        await pilot.pause(0.3)
        app.save_screenshot(filename="websocket.svg", path=str(OUT))


async def shoot_replay() -> None:
    """`explorer replay` on a capture of an LLM stream, paused half-way through (a click on the timeline)."""
    import contextlib
    import io

    from explorer.cli import main as cli
    from explorer.tui.replay import load_replay
    from explorer.tui.replay_screen import ReplayApp

    capture = Path(tempfile.mkdtemp()) / "anthropic-tools.jsonl"
    path = "/llm/anthropic?tokens=60&thinking=1&tools=1&ttft=300&itl=25&stall=1200&seed=2"
    with contextlib.redirect_stdout(io.StringIO()):
        await asyncio.to_thread(cli, ["get", "--demo", path, "--format", "jsonl", "-o", str(capture)])
    app = ReplayApp(load_replay(capture))
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.main.session.state != "idle":
                break
        await pilot.press("space")
        screen = app.main
        screen.show_anew(screen.player.seek(screen.player.total * 0.6))
        await pilot.pause(0.3)
        app.save_screenshot(filename="replay.svg", path=str(OUT))


async def main() -> None:
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp()  # no history of yours in the pictures
    OUT.mkdir(exist_ok=True)
    if sys.argv[1:] == ["replay"]:  # only this one
        await shoot_replay()
        print("wrote screenshots/replay.svg")
        return
    await shoot_editor()
    print("wrote screenshots/request-editor.svg")
    await shoot_websocket()
    print("wrote screenshots/websocket.svg")
    for name, path, mode in SHOTS:
        await shoot_stream(name, path, mode)
        print(f"wrote screenshots/{name}.svg")
    await shoot_catalog()
    print("wrote screenshots/demo-catalog.svg")
    await shoot_timeline()
    print("wrote screenshots/timeline.svg")
    await shoot_small()
    print("wrote screenshots/small-80x24.svg")
    await shoot_inspector()
    print("wrote screenshots/inspector.svg")
    await shoot_compare()
    print("wrote screenshots/compare.svg")
    await shoot_compare_llm()
    print("wrote screenshots/compare-llm.svg")
    await shoot_llm_small()
    print("wrote screenshots/llm-80x24.svg")
    await shoot_replay()
    print("wrote screenshots/replay.svg")


if __name__ == "__main__":
    asyncio.run(main())
