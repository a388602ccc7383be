"""Find, filter and the stall/error jumps on the main screen, over a real stream's kept rows."""

from __future__ import annotations

from textual.widgets import Input, Label

from explorer.core import Kind, Record, StreamRequest
from explorer.demo import BackgroundDemoServer
from explorer.tui.find_bar import FindBar, parse_filter
from explorer.tui.widgets.chunk_log import ChunkLog, Note

from .apps import SIZE, app_for, records, until, until_ended


def count_label(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#find-count", Label).content)


async def test_find_as_you_type_then_n_and_shift_n_and_esc() -> None:
    async with BackgroundDemoServer() as server:
        app = app_for(StreamRequest(server.url + "/async-chunks?count=30&interval=0.001", mode="lines"))
        async with app.run_test(size=SIZE) as pilot:
            await until_ended(pilot)
            log = app.query_one("#log", ChunkLog)
            log.focus()
            await pilot.press("slash")
            bar = app.screen.query_one(FindBar)
            assert bar.has_class("-open") and isinstance(app.focused, Input)
            await pilot.press(*"chunk 17")
            row = log.cursor_row
            assert isinstance(row, Record) and row.data is not None and b"Chunk 17" in row.data
            assert count_label(app) == "1 of 1 match"
            await pilot.press("escape")
            assert not bar.has_class("-open") and app.focused is log
            await pilot.press("slash")  # the last text comes back, selected: typing replaces it
            assert app.screen.query_one("#find-input", Input).value == "chunk 17"
            await pilot.press(*"async chunk", "enter")  # replaces it: all 30 lines
            assert count_label(app).endswith("of 30 matches")
            assert app.focused is log  # Enter hands the keys to the log: n and N move, they don't type
            before = count_label(app)
            await pilot.press("n")
            assert count_label(app) != before and app.screen.query_one("#find-input", Input).value == "async chunk"
            await pilot.press("escape")  # from the log, Esc closes the bar too
            first = log.cursor_row
            await pilot.press("n")
            second = log.cursor_row
            assert isinstance(first, Record) and isinstance(second, Record) and second.seq == (first.seq + 1) % 30
            await pilot.press("N")
            assert log.cursor_row is first
            await pilot.press("slash", *"no such text")
            assert count_label(app) == "no match"


async def test_the_filter_narrows_by_kind_and_words_and_stays_visible_until_cleared() -> None:
    async with BackgroundDemoServer() as server:
        app = app_for(StreamRequest(server.url + "/async-chunks?count=20&interval=0.001", mode="lines"))
        async with app.run_test(size=SIZE) as pilot:
            await until_ended(pilot)
            log = app.query_one("#log", ChunkLog)
            log.focus()
            everything = log.shown_count
            await pilot.press("f", *"kind:end,response", "enter")
            bar = app.screen.query_one(FindBar)
            assert bar.has_class("-open") and app.focused is log  # visible while active, keys back to the log
            assert log.filtered and log.shown_count == 2
            assert "2 of" in count_label(app) and "match" in str(log.border_subtitle)
            await pilot.press("f", *"chunk -1", "enter")  # replaces the selected filter: "chunk" but no "1"
            shown = [r for r in records(log) if log.filtered]
            assert log.shown_count == 20 - 11  # Chunk 1 and 10-19 hold a "1"
            await pilot.press("f", "escape")
            assert not log.filtered and log.shown_count == everything and not bar.has_class("-open")
            assert shown is not None


async def test_jumps_to_the_next_error_and_stall() -> None:
    async with BackgroundDemoServer() as server:
        app = app_for(StreamRequest(server.url + "/fault/truncated", mode="wire"))
        async with app.run_test(size=SIZE) as pilot:
            await until_ended(pilot)
            log = app.query_one("#log", ChunkLog)
            log.focus()
            await pilot.press("home", "e")
            row = log.cursor_row
            assert isinstance(row, Record) and (row.kind is Kind.ERROR or row.partial)
            await pilot.press("s")  # no stall in this stream: the cursor stays, a sentence says why
            assert log.cursor_row is row
            await until(pilot, lambda: any("No other stall" in str(n.message) for n in app._notifications))


def test_a_filter_is_words_minus_words_and_kinds() -> None:
    def text(row: object) -> str:
        return row.text if isinstance(row, Note) else (row.data or b"").decode()  # type: ignore[union-attr]

    line = Record(Kind.LINE, 0, 0.0, 0.0, 5, b"Hello world")
    end = Record(Kind.END, 0, 1.0, 0.0, 0, None, None)
    note = Note("phases: connect 1 ms")
    assert parse_filter("  ", text) is None
    keep = parse_filter("kind:line HELLO", text)
    assert keep is not None and keep(line) and not keep(end) and not keep(note)
    keep = parse_filter("-world", text)
    assert keep is not None and not keep(line) and keep(note)
    keep = parse_filter("kind:note,end", text)
    assert keep is not None and keep(note) and keep(end) and not keep(line)
