"""The log widgets: following that tells the truth, the row cursor, find, filter, jump, wrapped rows, theme colours."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.style import Style
from textual import events
from textual.app import App, ComposeResult
from textual.scrollbar import ScrollTo
from textual.widgets import TabbedContent

from explorer.core import Kind, Record, StreamRequest
from explorer.core.record import Flag, Phases, Summary
from explorer.core.rows import final_line
from explorer.tui.ring import LineMap
from explorer.tui.widgets.cells import cell
from explorer.tui.widgets.chunk_log import ChunkLog, Note
from explorer.tui.widgets.ring_log import RingLog

from .apps import app_for, records, screen_lines, until_ended


def line(seq: int, text: str = "", flags: int = 0) -> Record:
    data = (text or f'{{"id": {seq}, "name": "Item {seq}"}}').encode()
    return Record(Kind.LINE, seq, 0.01 * seq, 0.01, len(data), data, flags=flags)


def final(kind: Kind, error: str | None = None) -> Record:
    summary = Summary(records=3, bytes=120, duration=1.5, ttfb=0.004, phases=Phases(), error=error,
                      type="connection_reset" if error else None)
    return Record(kind, 0, 1.5, 0.0, 0, value=summary)


class LogApp(App[None]):
    """One chunk log filling the screen, as the screens hold it."""

    def __init__(self, capacity: int = 10_000, rows: list[Record | Note] | None = None) -> None:
        super().__init__()
        self.capacity = capacity
        self.first_rows = rows or []
        self.chosen: list[Any] = []

    def compose(self) -> ComposeResult:
        yield ChunkLog(capacity=self.capacity, id="log")

    def on_mount(self) -> None:
        log = self.query_one(ChunkLog)
        log.add_rows(self.first_rows)  # before the first layout: the log has no size yet
        log.focus()

    def on_ring_log_row_chosen(self, message: RingLog.RowChosen) -> None:
        self.chosen.append(message.row)


def at_end(log: RingLog[Any]) -> bool:
    return log.following and log.scroll_y == log.max_scroll_y


def wheel_up(log: RingLog[Any]) -> None:
    log.post_message(events.MouseScrollUp(log, 5, 2, 0, -1, 0, False, False, False))


# -- following ---------------------------------------------------------------


async def test_a_burst_is_followed_to_its_last_row(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/chunks?count=100", mode="wire"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(pilot)
        log = app.query_one("#log", ChunkLog)
        assert len(records(log)) == 102  # response, 100 chunks, end
        assert at_end(log) and log.max_scroll_y > 0
        assert "live" in str(log.border_subtitle)
        shown = "\n".join(screen_lines(log))
        assert "⟦Chunk 99↵⟧" in shown and "✔ end: 100 records" in shown and "total" in shown.split("phases:")[1]
        assert log.cursor_row is log.rows[-1]


async def test_rows_added_before_the_first_layout_are_followed() -> None:
    app = LogApp(rows=[line(i) for i in range(100)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(ChunkLog)
        assert at_end(log)
        assert screen_lines(log)[-1].split()[0] == "99"
        log.add_rows([line(i) for i in range(100, 400)])  # one batch of 300
        await pilot.pause()
        assert at_end(log) and screen_lines(log)[-1].split()[0] == "399"


async def test_resizing_maximizing_and_tabs_do_not_pause(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/chunks?count=100", mode="wire"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(pilot)
        log = app.query_one("#log", ChunkLog)
        for size in ((200, 60), (80, 24), (160, 50), (100, 30)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            assert at_end(log), size
            assert "total" in "".join(screen_lines(log)[-3:])  # the phases row, drawn whole, is the last one
        app.screen.maximize(log)
        await pilot.pause()
        assert at_end(log)
        app.screen.minimize()
        await pilot.pause()
        assert at_end(log)
        tabs = app.query_one("#tabs", TabbedContent)
        tabs.active = "headers-tab"
        await pilot.pause()
        log.add_rows([Note(f"note {i}") for i in range(50)])  # a burst while the log is hidden
        tabs.active = "stream-tab"
        await pilot.pause()
        await pilot.pause()
        assert at_end(log) and "note 49" in screen_lines(log)[-1]


async def test_only_the_person_pauses_and_end_resumes() -> None:
    app = LogApp(rows=[line(i) for i in range(200)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(ChunkLog)
        wheel_up(log)
        await pilot.pause()
        assert not log.following and log.scroll_y < log.max_scroll_y
        held = log.scroll_y
        log.add_rows([line(i) for i in range(200, 230)])
        await pilot.pause()
        assert log.scroll_y == held and log.unseen == 30 and "30 new rows" in str(log.border_subtitle)
        await pilot.press("end")
        assert at_end(log) and log.unseen == 0
        await pilot.press("up")
        assert not log.following and log.cursor == log.shown_count - 2
        await pilot.press("down")  # back onto the newest row: live again
        assert log.following
        await pilot.press("pageup", "pageup", "home")
        assert not log.following and log.cursor == 0 and log.scroll_y == 0
        await pilot.press("end")
        assert at_end(log)
        await pilot.click(ChunkLog, offset=(20, 3))  # a row above the end
        assert not log.following and log.cursor_row is not log.rows[-1]
        await pilot.press("enter")
        await pilot.pause()
        assert app.chosen == [log.cursor_row]
        await pilot.double_click(ChunkLog, offset=(20, 5))
        await pilot.pause()
        assert len(app.chosen) == 2 and app.chosen[1] is log.cursor_row
        await pilot.press("end")
        log.post_message(ScrollTo(y=0))  # the person drags the scrollbar to the top
        await pilot.pause()
        assert not log.following
        log.post_message(ScrollTo(y=log.max_scroll_y))  # and back to the bottom
        await pilot.pause()
        assert log.following


async def test_the_border_says_the_keys_while_the_log_has_focus_and_the_footer_keeps_still() -> None:
    assert not [binding for binding in RingLog.BINDINGS if getattr(binding, "show", True)]  # no footer reorder
    app = LogApp(rows=[line(i) for i in range(10_000)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(ChunkLog)
        room = log.outer_size.width - 6  # what the border shows of a subtitle before cutting it with …
        assert log.border_subtitle == "10,000 rows · live · ↑↓ move · Enter inspect"
        wheel_up(log)
        await pilot.pause()
        log.add_rows([line(i) for i in range(30)])
        await pilot.pause()
        subtitle = str(log.border_subtitle)
        assert subtitle == "10,000 rows · paused · 30 new rows · End: live · ↑↓ move · Enter inspect"
        assert cell_len(subtitle) <= room
        log.add_rows([line(i) for i in range(3000)])
        await pilot.pause()
        assert log.border_subtitle == "10,000 rows · paused · 3,030 new rows · End: live"  # the keys give way
        app.set_focus(None)
        await pilot.pause()
        assert log.border_subtitle == "10,000 rows · paused · 3,030 new rows · ctrl+y: live"
        log.focus()
        await pilot.press("end")
        assert log.border_subtitle == "10,000 rows · live · ↑↓ move · Enter inspect"


async def test_a_stall_gap_keeps_a_space_after_the_time() -> None:
    stalled = Record(Kind.LINE, 5, 30.431, 30.002, 10, b"after long", flags=Flag.STALL)
    very = Record(Kind.LINE, 6, 250.5, 220.069, 10, b"after longer", flags=Flag.STALL)
    plain = Record(Kind.LINE, 7, 1250.5, 1000.25, 10, b"no stall")
    app = LogApp(rows=[stalled, very, plain])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        log = app.query_one(ChunkLog)
        shown = screen_lines(log)[:3]
        assert "30.431 s ⏸ +30.002 s" in shown[0] and "250.500 s ⏸+220.069 s" in shown[1], shown
        assert "1250.500 s +1000.250 s" in shown[2], shown
        assert len({row.index(" B ") for row in shown}) == 1  # the size column stays put


async def test_cursor_colours_and_every_cell_come_from_the_theme() -> None:
    app = LogApp(rows=[line(1, flags=Flag.STALL), final(Kind.END), Note("phases: DNS -")])
    async with app.run_test(size=(80, 24)) as pilot:
        app.theme = "textual-light"
        await pilot.pause()
        log = app.query_one(ChunkLog)
        surface = app.get_css_variables()["surface"]
        number = log.get_component_rich_style("chunk-log--number")
        data, end = log.render_line(0), log.render_line(1)
        assert data.text.startswith("       1")
        first = list(data)[0]
        assert first.style == number and first.style.bgcolor.name.lower() == surface.lower()
        assert all(segment.style is not None and segment.style.bgcolor is not None for segment in data)
        assert list(end)[0].style == log.get_component_rich_style("chunk-log--end")
        assert list(data)[2].style == log.get_component_rich_style("chunk-log--stall")
        cursor = log.get_component_rich_style("ring-log--cursor", partial=True)
        last = log.render_line(2)  # the newest row, under the cursor while the log has focus
        assert all(segment.style.bgcolor == cursor.bgcolor for segment in last)
        app.theme = "textual-dark"
        await pilot.pause()
        assert log.get_component_rich_style("chunk-log--number") != number


def test_cells_are_measured_in_terminal_cells() -> None:
    style = Style()
    for text in ("日本語", "👨‍👩‍👧", "e\u0301cole", "abc"):
        for width in (3, 4, 8):
            assert cell_len(cell(text, width, style).text) == width
            assert cell_len(cell(text, width, style, right=True).text) == width
    assert cell("日本語", 8, style, right=True).text == "  日本語"
    assert cell("e\u0301cole", 6, style).text == "e\u0301cole "


# -- wrapped rows ------------------------------------------------------------


async def test_error_and_phases_rows_show_their_whole_sentence_at_80_columns(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/fault/truncated?interval=0.01", mode="wire"))
    async with app.run_test(size=(80, 24)) as pilot:
        await until_ended(pilot)
        log = app.query_one("#log", ChunkLog)
        error = next(r for r in records(log) if r.kind is Kind.ERROR)
        phases = log.rows[-1]
        assert isinstance(phases, Note)
        sentence = final_line(error)
        assert len(sentence) > log.size.width  # it must wrap to be read
        for row, text in ((error, sentence), (phases, phases.text)):
            assert log.jump(lambda candidate, row=row: candidate is row, forward=False)  # type: ignore[misc]
            shown = " ".join(screen_lines(log))
            assert " ".join(text.split()) in " ".join(shown.split()), text


async def test_tall_rows_keep_the_line_map_right() -> None:
    rows: list[Record | Note] = []
    for i in range(3000):
        rows.append(line(i))
        if i % 500 == 0:
            rows.append(final(Kind.ERROR, "The connection was reset by the peer while the body was still "
                                          "arriving, after some data had come: " + "word " * 30))
    app = LogApp(rows=rows)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        log = app.query_one(ChunkLog)
        assert log.virtual_size.height > log.shown_count + 6  # six error rows, each over several lines
        log.move_cursor(1)  # the first error row, drawn whole at the top
        await pilot.pause()
        shown = screen_lines(log)
        assert shown[0].startswith(" ✖ error: The connection was reset") and shown[1].startswith("   ")
        assert not log.following
        await pilot.press("end")
        assert at_end(log) and screen_lines(log)[-1].split()[0] == "2,999"
        await pilot.resize_terminal(120, 20)
        await pilot.pause()
        assert at_end(log) and screen_lines(log)[-1].split()[0] == "2,999"


def test_the_line_map_finds_rows_among_tall_ones() -> None:
    lines = LineMap()
    lines.build([(2, 3), (5, 2), (9, 4)])  # rows 2, 5 and 9 take 3, 2 and 4 lines
    assert lines.extra == 6
    expected = [(0, 0), (1, 0), (2, 0), (2, 1), (2, 2), (3, 0), (4, 0), (5, 0), (5, 1), (6, 0), (7, 0), (8, 0),
                (9, 0), (9, 1), (9, 2), (9, 3), (10, 0)]
    assert [lines.locate(y) for y in range(17)] == expected
    assert [lines.first_line(row) for row in range(11)] == [0, 1, 2, 5, 6, 7, 9, 10, 11, 12, 16]
    assert [lines.height(row) for row in (1, 2, 5, 9, 10)] == [1, 3, 2, 4, 1]


# -- find, filter, jump ------------------------------------------------------


async def test_find_filter_and_jump_among_100_000_rows() -> None:
    rows: list[Record | Note] = [line(i, flags=Flag.STALL if i in (40_000, 70_000) else 0) for i in range(100_000)]
    rows[61_234] = line(61_234, "the one needle row")
    rows[90_000] = final(Kind.ERROR, "Connection reset")
    app = LogApp(capacity=100_000, rows=rows)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        log = app.query_one(ChunkLog)
        assert log.shown_count == 100_000 and at_end(log)

        assert log.find("NEEDLE") == (1, 1)
        assert log.cursor == 61_234 and log.cursor_row is rows[61_234] and not log.following
        assert any("the one needle row" in text for text in screen_lines(log))
        assert log.find("needle", forward=False) == (1, 1)
        assert log.find("no such text") is None and log.cursor == 61_234
        assert log.find('"Item 99998"') == (1, 1) and log.cursor == 99_998
        assert log.find('"item 1') == (1, 11_111)  # wraps past the end to the first match
        assert log.cursor == 1
        assert log.find('"item 1', forward=False) == (11_111, 11_111)

        def stall(row: Record | Note) -> bool:
            return isinstance(row, Record) and row.stall

        def error(row: Record | Note) -> bool:
            return isinstance(row, Record) and row.kind is Kind.ERROR

        await pilot.press("home")
        assert log.jump(stall) and log.cursor == 40_000
        assert log.jump(stall) and log.cursor == 70_000
        assert log.jump(stall) and log.cursor == 40_000  # wraps
        assert log.jump(stall, forward=False) and log.cursor == 70_000
        assert log.jump(error) and log.cursor == 90_000 and log.cursor_row is rows[90_000]
        assert not log.jump(lambda row: False)

        log.set_filter(lambda row: stall(row) or error(row))
        await pilot.pause()
        assert log.shown_count == 3 and log.filtered and "3 of 100,000 rows match" in str(log.border_subtitle)
        assert log.cursor_row is rows[90_000]
        assert [text.split()[0] for text in screen_lines(log)[:2]] == ["40,000", "70,000"]
        await pilot.press("end")
        log.add_rows([line(100_000), line(100_001, flags=Flag.STALL)])  # arrivals are filtered too
        await pilot.pause()
        assert log.shown_count == 4 and at_end(log) and log.cursor_row is log.rows[-1]
        assert "100,001" in screen_lines(log)[3]
        assert log.find("needle") is None
        log.set_filter(None)
        await pilot.pause()
        assert log.shown_count == 100_000 and at_end(log)
        assert log.find("needle") == (1, 1)
