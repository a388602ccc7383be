"""LLM streams in the app: the transcript pane, the serving figures on the status line, the inspector on a
token, and two models compared on one clock.

Expected answers are built independently from the demo's script (`explorer.demo.llm_shapes.script`), never
read back from the app's own engine.
"""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from explorer.core import Kind, Record, StreamRequest
from explorer.core.format import fmt_ms
from explorer.core.record import Flag, LlmSummary, Phases, SSEEvent, Summary, Token
from explorer.core.rows import event_rows
from explorer.demo.catalog import CATALOG, PAIRS
from explorer.demo.llm_shapes import script
from explorer.options import Options
from explorer.tui import transcript_text
from explorer.tui.app import ExplorerApp
from explorer.tui.compare import CompareScreen
from explorer.tui.inspector import InspectorScreen, inspect_row
from explorer.tui.llm_watch import LlmWatch
from explorer.tui.session import StreamSession
from explorer.tui.transcript_text import Paragraph, TranscriptText, line_starts, stall_mark
from explorer.tui.widgets.event_view import EventView
from explorer.tui.widgets.status_bar import figures, fit
from explorer.tui.widgets.transcript import Transcript

from .apps import SIZE, app_for, until, until_ended

TOOL = "tool:get_weather"


def token(seq: int, text: str, channel: str = "text", call: int | None = None, *, t: float | None = None,
          gap: float = 0.02, stall: bool = False) -> Record:
    """A token record as the engine makes one (the first names the stream's shape)."""
    return Record(Kind.TOKEN, seq, 0.5 + seq * 0.02 if t is None else t, gap, 0, None,
                  Token(text, channel, call, None if seq else "anthropic"), int(Flag.STALL) if stall else 0)


class TranscriptApp(App[None]):
    """A transcript on its own, fed by the test."""

    def compose(self) -> ComposeResult:
        yield Transcript(id="transcript")


def expected(tokens: int, seed: int, thinking: bool, tools: bool) -> dict[tuple[str, int | None], str]:
    """Each channel's text (each tool call's arguments) of the demo's script, joined."""
    steps = script(tokens, seed, thinking, tools, True).steps
    texts: dict[tuple[str, int | None], str] = {}
    for step in steps:
        texts[step.channel, step.call] = texts.get((step.channel, step.call), "") + step.text
    return texts


def block_lines(transcript: Transcript, label: str) -> list[str]:
    """The lines drawn under a block's heading, up to the next heading (or the end)."""
    lines = transcript.plain_lines()
    start = next(i for i, line in enumerate(lines) if line.startswith(label)) + 1
    end = next((i for i in range(start, len(lines)) if lines[i] == "" and i + 1 < len(lines)), len(lines))
    return lines[start:end]


def status_text(app: ExplorerApp) -> str:
    return str(app.main.query_one("#figures", Static).content)


# -- the transcript on records made here ---------------------------------------------------------------------


async def test_the_transcript_shows_each_channel_a_stall_where_it_happened_and_pretty_arguments() -> None:
    app = TranscriptApp()
    async with app.run_test(size=(60, 30)) as pilot:
        transcript = app.query_one(Transcript)
        assert not transcript.display  # no token yet: no room taken
        transcript.add([Record(Kind.SSE, 0, 0.1, 0.1, 0, None, SSEEvent("ping", "{}", "", None))])
        assert not transcript.display
        transcript.add([token(0, "Let me think.", "thinking"), token(1, "Hello"),
                        token(2, " world", gap=1.6, stall=True), token(3, ",\nsecond \x1b[31m[bold]line")])
        transcript.add([token(4, '{"city": "Pa', TOOL, 0)])
        await pilot.pause()
        assert transcript.display
        lines = transcript.plain_lines()
        assert lines[:2] == ["thinking", "Let me think."]
        mark_text = stall_mark(1.6)
        assert mark_text == "⏸\u00a01.600\u00a0s"  # no-break spaces: the mark never wraps apart
        assert block_lines(transcript, "answer") == [f"Hello {mark_text} world,", "second ␛[31m[bold]line"]
        assert block_lines(transcript, "tool get_weather · call 1 · arguments") == ['{"city": "Pa']  # raw, growing
        paragraph = transcript.text.blocks[1].paragraphs[0]
        (mark,) = paragraph.spans
        assert paragraph.text[mark.start:mark.end] == mark_text and paragraph.text[:mark.start] == "Hello "
        assert transcript.text.text() == "Hello world,\nsecond \x1b[31m[bold]line"  # as it came: the marks are not text
        row = lines.index(f"Hello {mark_text} world,") - round(transcript.scroll_y)
        drawn = [segment for segment in transcript.render_line(row) if segment.text == mark_text]
        assert drawn and drawn[0].style == transcript.get_component_rich_style("transcript--stall")
        thinking = next(s for s in transcript.render_line(1 - round(transcript.scroll_y)) if s.text.strip())
        assert thinking.text == "Let me think."
        assert thinking.style == transcript.get_component_rich_style("transcript--thinking")  # dimmed

        transcript.add([token(5, 'ris", "days": 3}', TOOL, 0), token(6, "done.", "text")])
        await pilot.pause()
        heading = "tool get_weather · call 1 · arguments (JSON)"
        assert block_lines(transcript, heading) == json.dumps({"city": "Paris", "days": 3}, indent=2).split("\n")
        assert block_lines(transcript, "answer")[-1].endswith("linedone.")
        assert transcript.border_subtitle == "7 deltas · live"

        transcript.clear()
        assert not transcript.display and transcript.lines == [] and transcript.text.text() == ""


def test_a_growing_paragraph_wraps_as_if_wrapped_whole() -> None:
    """Re-wrapping only from the last line start gives the lines a whole wrap gives, whatever the pieces."""
    rng = random.Random(7)
    pieces = ["a", "bb", "ccc ", "  ", "d" * 14, "é", "漢字漢字", "x y", stall_mark(2.5), " "]
    for _ in range(300):
        width = rng.randint(1, 14)
        paragraph = Paragraph()
        for _ in range(rng.randint(1, 25)):
            paragraph.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 3))))
            assert paragraph.starts(width) == line_starts(paragraph.text, width)
    assert line_starts(f"one {stall_mark(1.25)} two", 9) == [0, 4, 14]  # the mark moves whole


async def test_the_transcript_keeps_a_capped_text_per_channel_and_says_what_it_left_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transcript_text, "TEXT_CAP", 100)
    monkeypatch.setattr(transcript_text, "BLOCK_CAP", 3)
    app = TranscriptApp()
    async with app.run_test(size=(60, 30)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.add([token(n, "x" * 40) for n in range(3)] + [token(3, "y" * 30, "thinking")])
        transcript.add([token(4 + n, "{}", TOOL, n) for n in range(2)])  # the second call is one block too many
        await pilot.pause()
        assert transcript.text.text() == "x" * 100 and transcript.text.text("thinking") == "y" * 30
        lines = transcript.plain_lines()
        assert "… 20 characters not kept" in lines and "… 1 token of further tool calls not kept" in lines
        assert sum(line.count("x") for line in lines) == 100
        assert len(transcript.text.blocks) == 3


async def test_the_transcript_follows_the_newest_text_until_the_person_scrolls_up() -> None:
    app = TranscriptApp()
    async with app.run_test(size=(40, 12)) as pilot:
        transcript = app.query_one(Transcript)
        transcript.add([token(n, f"line {n}\n") for n in range(40)])
        await until(pilot, lambda: transcript.max_scroll_y > 0 and transcript.scroll_y == transcript.max_scroll_y)
        transcript.focus()
        await pilot.press("pageup")
        assert not transcript.following
        held = transcript.scroll_y
        transcript.add([token(40 + n, f"more {n}\n") for n in range(20)])
        await pilot.pause()
        assert transcript.scroll_y == held and "paused" in str(transcript.border_subtitle)
        await pilot.press("end")
        await until(pilot, lambda: transcript.scroll_y == transcript.max_scroll_y)
        assert transcript.following and transcript.plain_lines()[-2] == "more 19"


# -- figures: the session's meter, then the end record's ------------------------------------------------------


def test_the_watch_meters_every_token_of_a_batch_and_defers_to_the_end_record() -> None:
    watch = LlmWatch()
    chunk = Record(Kind.CHUNK, 0, 0.3, 0.3, 10, b"x")
    assert watch.summary(None) is None
    watch.take([chunk])
    assert not watch.active and watch.tokens == []
    event = SSEEvent("content_block_delta",
                     '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}}',
                     "", None)
    batch = [chunk, Record(Kind.SSE, 0, 0.4, 0.4, 0, None, event), token(0, "Hi", t=0.4, gap=0.4),
             token(1, " there", t=0.5, gap=0.1), token(2, "!", t=0.6, gap=0.1)]
    watch.take(batch)
    assert watch.active and watch.tokens == batch[2:]
    live = watch.summary(None)
    assert live is not None and live.shape == "anthropic" and live.ttft == 0.4 and live.e2e == 0.6
    assert live.tokens == 3 and live.tokens_source == "deltas" and live.tokens_per_s == pytest.approx(5.0)
    watch.take([chunk])
    assert watch.tokens == [] and watch.summary(None) is not None
    final = LlmSummary("anthropic", ttft=0.4, itl_p50=0.1, e2e=0.7, tokens=9, tokens_source="usage",
                       tokens_per_s=12.9)
    end = Record(Kind.END, 0, 0.7, 0.1, 0, None, Summary(1, 10, 0.7, 0.01, Phases(), llm=final))
    assert watch.summary(end) is final


def test_the_status_line_gives_llm_figures_first_and_drops_the_least_important_whole() -> None:
    session = StreamSession()  # its engine starts only with a run: none here
    session.state, session.started, session.finished = "done", 1.0, 2.0
    served = LlmSummary("openai-chat", ttft=0.3123, itl_p50=0.0451, itl_p99=0.2, tokens=120, tokens_source="usage",
                        tokens_per_s=41.25, stalls=1)
    end = Record(Kind.END, 0, 2.9, 0.1, 0, None, Summary(130, 9000, 2.9, 0.01, Phases(), llm=served))
    session.final = end
    wide = fit(figures(session), 200).plain
    assert wide.startswith(" DONE  openai-chat · TTFT 312.3 ms · ITL p50 45.1 ms · 120 tokens 41.2/s  1 token stall ")
    assert "ITL p99 200.0 ms" in wide and "TTFB" in wide
    narrow = fit(figures(session), 80).plain
    assert "120 tokens" in narrow and "ITL p99" not in narrow and "TTFB" not in narrow and len(narrow) <= 80
    deltas = LlmSummary("ollama", ttft=0.3, itl_p50=0.04, tokens=7, tokens_source="deltas", tokens_per_s=2.0)
    session.final = Record(Kind.END, 0, 2.9, 0.1, 0, None, Summary(1, 10, 2.9, 0.01, Phases(), llm=deltas))
    assert "7 deltas 2.0/s" in fit(figures(session), 120).plain


def test_the_inspector_on_a_token_row_shows_channel_text_arrival_gap_and_stall() -> None:
    record = token(12, " Trom\u202esø\n", TOOL, 1, t=2.5, gap=1.75, stall=True)
    (row,) = event_rows(record)
    inspection = inspect_row(row)
    facts = dict(inspection.facts)
    assert inspection.title == "token #12 · tool get_weather (call 2)"
    assert facts["channel"] == "tool get_weather (call 2)"
    assert facts["text"] == '" Trom\\u202esø\\n"'  # quoted so its spaces show; controls inert
    assert facts["arrived"] == "2.500 s after the request"
    assert facts["gap"].startswith("1.750 s") and "stall" in facts["stall"]
    assert inspection.sections == [("Text", " Trom\\u202esø↵")]
    assert inspection.copy == " Trom\\u202esø\n"


# -- the real app on the demo's LLM endpoints ----------------------------------------------------------------

SHAPES = [("openai-chat", "sse", True), ("openai-responses", "sse", True), ("anthropic", "sse", True),
          ("gemini", "sse", True), ("ollama", "json", True), ("ollama", "lines", True),
          ("ollama-generate", "json", False)]


@pytest.mark.parametrize(("shape", "mode", "tools"), SHAPES)
async def test_the_transcript_assembles_each_shape(demo_url: str, shape: str, mode: str, tools: bool) -> None:
    query = f"tokens=24&seed=5&ttft=20&itl=4&jitter=0&stall=0&thinking=1&tools={int(tools)}"
    app = app_for(StreamRequest(f"{demo_url}/llm/{shape}?{query}", mode=mode))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        assert app.main.session.state == "done"
        want = expected(24, 5, True, tools)
        transcript = app.main.transcript
        assert transcript.display
        assert transcript.text.text() == want["text", None]
        assert transcript.text.text("thinking") == want["thinking", None]
        answer = block_lines(transcript, "answer")
        assert " ".join(answer).split() == want["text", None].split()  # drawn whole, wrapped at spaces
        if tools:
            arguments = json.loads(want[TOOL, 0])
            assert json.loads(transcript.text.text(TOOL, 0)) == arguments
            drawn = block_lines(transcript, "tool get_weather · call 1 · arguments (JSON)")
            assert drawn == json.dumps(arguments, indent=2, ensure_ascii=False).split("\n")
        served = app.main.session.final.summary.llm
        assert served is not None and served.tokens_source == "usage"
        status = status_text(app)
        assert f"TTFT {fmt_ms(served.ttft)}" in status and served.shape in status
        assert f"{served.tokens} tokens" in status
        events = app.query_one("#events", EventView)
        assert events.display and any(row.record is not None and row.record.kind is Kind.TOKEN for row in events.rows)


async def test_picking_the_anthropic_entry_shows_its_transcript_growing(demo_url: str) -> None:
    app = ExplorerApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.server.running)
        catalog = app.query_one("#catalog")
        catalog.focus()
        catalog.highlighted = next(i for i, e in enumerate(CATALOG) if e.route == "/llm/anthropic")
        await pilot.press("enter")
        url = app.query_one("#url", Input)
        await until(pilot, lambda: url.value.startswith(app.server.url + "/llm/anthropic"))
        # a minute's stall after the tenth token holds the stream open while we look
        url.value = app.server.url + "/llm/anthropic?tokens=30&seed=1&ttft=20&itl=5&stall=60000&stall_at=10"
        await pilot.press("enter")  # nothing else: the transcript shows by itself
        transcript = app.main.transcript
        await until(pilot, lambda: transcript.text.tokens == 10)
        assert app.main.session.running and transcript.display and transcript.region.height >= 4
        steps = script(30, 1, False, False, True).steps
        assert transcript.text.text() == "".join(step.text for step in steps[:10])
        assert transcript.plain_lines()[0] == "answer"
        await until(pilot, lambda: "TTFT" in status_text(app) and "anthropic" in status_text(app))
        await pilot.press("ctrl+g")
        assert app.main.session.state == "stopped" and transcript.display  # what arrived stays
        await pilot.press("ctrl+l")
        assert not transcript.display


async def test_a_stall_mark_lands_before_the_token_that_came_after_it(demo_url: str) -> None:
    query = "tokens=12&seed=2&ttft=10&itl=5&jitter=0&stall=700&stall_at=6"
    app = app_for(StreamRequest(f"{demo_url}/llm/openai-chat?{query}", mode="sse", stall_seconds=0.2))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        steps = script(12, 2, False, False, True).steps
        events = app.query_one("#events", EventView)
        tokens = [row.record for row in events.rows if row.record is not None and row.record.kind is Kind.TOKEN]
        assert [t.token.text for t in tokens] == [step.text for step in steps]
        stalled = tokens[6]
        assert stalled.stall and stalled.gap >= 0.5  # the server slept 0.7 s: load cannot shorten that
        paragraph = app.main.transcript.text.blocks[0].paragraphs[0]
        before = "".join(step.text for step in steps[:6])
        mark = next(s for s in paragraph.spans if paragraph.text[s.start:s.end] == stall_mark(stalled.gap))
        assert paragraph.text[mark.end:].startswith(steps[6].text)
        shown_before = "".join(paragraph.text[span_end:span.start] for span_end, span in
                               zip([0] + [s.end for s in paragraph.spans], paragraph.spans) if span.start <= mark.start)
        assert "".join(shown_before.split()) == "".join(before.split())  # a load hiccup may add marks: not text
        # Enter on the stalled token's row in the event view: its channel, text, time, gap and stall
        events.focus()
        assert events.jump(lambda row: row.record is stalled, forward=False)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InspectorScreen))
        facts = str(app.screen.query_one("#inspector-facts", Static).content)
        assert "channel" in facts and "text" in facts and json.dumps(steps[6].text) in facts
        assert fmt_ms(stalled.t) in facts and "a token stall" in facts


async def test_a_stream_without_tokens_gets_no_transcript(demo_url: str) -> None:
    app = app_for(StreamRequest(f"{demo_url}/llm/anthropic?tokens=5&ttft=5&itl=2&stall=0", mode="sse"))
    async with app.run_test(size=SIZE) as pilot:
        await until_ended(pilot)
        assert app.main.transcript.display
        url = app.query_one("#url", Input)
        url.value = demo_url + "/sse?count=3&interval=0.01"
        url.focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.main.session.run_number == 2)
        await until_ended(pilot)
        assert app.main.session.state == "done" and not app.main.transcript.display
        assert "TTFT" not in status_text(app) and not app.main.session.llm.active


# -- two models on one clock ---------------------------------------------------------------------------------


async def test_compare_shows_two_models_transcripts_and_their_figures(demo_url: str) -> None:
    assert any(pair.name == "llm-fast-vs-slow" for pair in PAIRS)
    fast, slow = "tokens=16&ttft=10&itl=3&stall=0&seed=4", "tokens=16&ttft=1000&itl=12&stall=0&seed=4"
    app = ExplorerApp(compare=(Options(StreamRequest(f"{demo_url}/llm/anthropic?{fast}", mode="auto")),
                               Options(StreamRequest(f"{demo_url}/llm/anthropic?{slow}", mode="auto"))))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        panes = screen.panes()
        answer = expected(16, 4, False, False)["text", None]

        def complete(pane: Any) -> bool:  # ended, and its end drawn: the usage count shows
            return pane.session.final is not None and "16 tokens" in str(pane.query_one(".llm-figures", Static).content)

        await until(pilot, lambda: all(complete(pane) for pane in panes))
        for pane in panes:
            transcript = pane.query_one(Transcript)
            assert transcript.display and transcript.text.text() == answer
            line = str(pane.query_one(".llm-figures", Static).content)
            served = pane.session.final.summary.llm
            assert line.startswith(f"TTFT {fmt_ms(served.ttft)} · ITL p50 {fmt_ms(served.itl_p50)}")
        a, b = (pane.session.final.summary.llm for pane in panes)
        assert b.ttft >= 1.0 and a.ttft < b.ttft  # the slow model waits 1 s; the fast one would need that late


def test_a_token_the_engine_cut_for_the_ui_says_what_was_not_kept() -> None:
    text = TranscriptText()
    whole = Record(Kind.TOKEN, 0, 0.5, 0.5, 0, None, Token('{"path": "' + "x" * 100 + '"}', "tool:write_file", 0))
    text.add([whole.capped(16)])
    (block,) = text.blocks
    assert block.text == whole.token.text[:16] and block.note == "… 96 characters not kept" and not block.pretty
