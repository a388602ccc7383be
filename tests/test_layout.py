"""The layout fits 80x24 through 250x70: the URL field keeps room, Stop shows, nothing overlaps, the status line
drops figures whole; the demo panel hides; and the words on screen are right (plurals, separators, columns)."""

from __future__ import annotations

from itertools import combinations

import pytest
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input, OptionList

from explorer.cli import main
from explorer.core import Kind, Record, StreamRequest
from explorer.core.format import gaps_line, plural, summary_line
from explorer.core.record import GapSummary, Phases, Summary
from explorer.demo.catalog import CATALOG
from explorer.options import Options
from explorer.tui.app import ExplorerApp
from explorer.tui.widgets.status_bar import Figure, fit
from explorer.tui.widgets.timeline import Timeline

from .apps import app_for, screen_lines, until, until_ended

SIZES = [(80, 24), (120, 40), (200, 60), (250, 70)]
BAR = ["#url", "#mode", "#start", "#stop"]


def region(app: ExplorerApp, selector: str) -> Region:
    return app.screen.query_one(selector).region


def fits(app: ExplorerApp, selectors: list[str]) -> bool:
    """Whether `assert_fits` holds (to wait for a layout that a busy machine draws late)."""
    try:
        assert_fits(app, selectors)
    except AssertionError:
        return False
    return True


def assert_fits(app: ExplorerApp, selectors: list[str]) -> None:
    """Each widget is on screen whole, and no two of them share a cell."""
    screen = Region(0, 0, *app.size)
    regions = {selector: region(app, selector) for selector in selectors}
    for selector, where in regions.items():
        assert where.area and screen.contains_region(where), (selector, where, app.size)
    for (one, a), (other, b) in combinations(regions.items(), 2):
        assert not a.overlaps(b), (one, a, other, b)


def figures_text(app: ExplorerApp) -> str:
    return str(app.query_one("#figures").render())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("demo", [False, True])
async def test_the_bar_status_and_log_fit_without_overlap(size: tuple[int, int], demo: bool) -> None:
    app = ExplorerApp(Options(StreamRequest("", mode="chunked"), demo=demo, demo_path="/chunks?count=2" if demo
                              else None), start=demo)
    async with app.run_test(size=size) as pilot:
        if demo:
            await until_ended(pilot)
        shown = demo and size[0] >= 100  # a stream started at 80 columns takes the panel's columns
        panel = ["#demo"] if shown else []
        widgets = [*BAR, "#chunk-size", "StatusBar", "#tabs", "Footer", *panel]
        # a flush draws the figures; on a busy machine the layout settles a few frames late
        await until(pilot, lambda: fits(app, widgets) and "TTFB" in figures_text(app))
        assert app.query_one("#demo").display is shown  # hidden without a demo server, shown with one
        assert_fits(app, widgets)
        url = app.query_one("#url", Input)
        assert url.content_region.width >= 10  # room to read and type, whatever the width
        chunk = app.query_one("#chunk-size", Input)
        assert "1024" in chunk.render_line(0).text  # all four digits, never "024"
        figures = figures_text(app)
        assert figures.startswith(" DONE " if demo else " IDLE ") and "TTFB" in figures
        assert len(figures) <= app.query_one("#figures").size.width


async def test_the_footer_fits_80_columns_whatever_has_focus(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/chunks?count=2", mode="wire"))
    async with app.run_test(size=(80, 24)) as pilot:
        await until_ended(pilot)
        for focus in ("#log", "#url", "#mode"):
            app.query_one(focus).focus()
            await pilot.pause()
            keys = list(app.query("Footer FooterKey"))
            shown = [key for key in keys if key.display]
            assert len(shown) >= 7
            screen = Region(0, 0, 80, 24)
            for one, other in combinations(shown, 2):
                assert not one.region.overlaps(other.region), (focus, one, other)
            assert all(screen.contains_region(key.region) and key.region.width == key.outer_size.width > 0
                       for key in shown), focus


async def test_80x24_with_the_panel_open_still_shows_the_whole_bar() -> None:
    app = ExplorerApp(Options(StreamRequest("", mode="chunked"), demo=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.server.running)
        await until(pilot, lambda: app.query_one("RequestBar").has_class("-tight"))
        await pilot.pause()  # the layout the tight class makes
        assert_fits(app, ["#demo", *BAR, "#chunk-size", "StatusBar", "#tabs", "Footer"])
        await pilot.press("ctrl+b")
        assert not app.query_one("#demo").display and app.focused is app.query_one("#url")
        assert region(app, "#url").width > 30  # the panel's room goes to the URL
        await pilot.press("ctrl+b")
        assert app.query_one("#demo").display and app.focused is app.query_one("#catalog")


async def test_the_event_view_takes_room_only_in_modes_with_events(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/chunks?count=2", mode="wire"))
    async with app.run_test(size=(80, 24)) as pilot:
        await until_ended(pilot)
        log, events = app.query_one("#log"), app.query_one("#events")
        assert not events.display and log.region.height > 12  # wire mode: the log has the tab to itself
        app.query_one("#url", Input).value = demo_url + "/ndjson?count=2&interval=0"
        app.query_one("#mode").value = "json"
        await pilot.press("ctrl+r")
        await until_ended(pilot)
        await pilot.pause()
        assert events.display and events.region.height >= 3 and not log.region.overlaps(events.region)


async def test_catalog_titles_do_not_wrap_at_200_columns() -> None:
    app = ExplorerApp(Options(StreamRequest(""), demo=True))
    async with app.run_test(size=(200, 60)) as pilot:
        await until(pilot, lambda: app.server.running)
        await pilot.pause()
        catalog = app.query_one("#catalog", OptionList)
        assert catalog.virtual_size.height == len(CATALOG)  # one line each
        shown = [catalog.render_line(y).text for y in range(catalog.size.height)]
        assert all("…" not in line for line in shown)
        assert any("Sensor, each reading zlib-compressed" in line for line in shown)


async def test_starting_the_demo_server_shows_the_panel() -> None:
    app = ExplorerApp()
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.query_one("#demo").display
        await pilot.press("ctrl+n")
        await until(pilot, lambda: app.server.running and app.query_one("#demo").display)
        await pilot.press("ctrl+b")
        assert not app.query_one("#demo").display and app.server.running


async def test_the_url_field_shows_the_end_of_a_long_url_when_not_focused(demo_url: str) -> None:
    long_url = demo_url + "/chunks?count=2&" + "&".join(f"pad{i}=x" for i in range(20)) + "&last=END"
    app = app_for(StreamRequest(long_url, mode="wire"))
    async with app.run_test(size=(80, 24)) as pilot:
        await until_ended(pilot)
        url = app.query_one("#url", Input)
        app.query_one("#mode").focus()
        await pilot.pause()
        assert "last=END" in url.render_line(0).text
        url.focus()
        await pilot.press("home")
        assert url.render_line(0).text.strip().startswith("http://")  # typing in it: where the cursor is
        app.query_one("#mode").focus()
        await pilot.pause()
        assert "last=END" in url.render_line(0).text  # left again: the end


async def test_the_status_line_drops_figures_whole_on_resize(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/fault/stall?count=3&interval=0.01&stall=1.1", mode="lines"))
    async with app.run_test(size=(200, 40)) as pilot:
        await until_ended(pilot)
        await pilot.pause(0.1)
        wide = figures_text(app)
        assert "1 stall" in wide and "gap p50" in wide and "elapsed" in wide
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: figures_text(app) != wide)
        narrow = figures_text(app)
        assert len(narrow) <= app.query_one("#figures").size.width
        assert narrow.startswith(" DONE ") and "TTFB" in narrow and "stall" not in narrow
        assert wide.startswith(narrow.rstrip())  # the same figures, the last ones dropped whole
        await pilot.resize_terminal(200, 40)
        await until(pilot, lambda: figures_text(app) == wide)


def test_fit_keeps_the_order_and_never_cuts_a_figure() -> None:
    shown = [Figure(Text(" DONE "), badge=True), Figure(Text("TTFB 1.0 ms")), Figure(Text("1 record")),
             Figure(Text("2 B")), Figure(Text(" 1 stall "), badge=True)]
    assert str(fit(shown, 200)) == " DONE  TTFB 1.0 ms · 1 record · 2 B  1 stall "
    assert str(fit(shown, 30)) == " DONE  TTFB 1.0 ms · 1 record"
    assert str(fit(shown, 18)) == " DONE  TTFB 1.0 ms"
    assert str(fit(shown, 17)) == " DONE "
    assert str(fit(shown, 3)) == " DO"


async def test_the_timeline_draws_as_many_columns_as_it_says(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/async-chunks?count=20&interval=0.02", mode="lines"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(pilot)
        await pilot.press("ctrl+t", "ctrl+t")  # keys still reach the screen
        app.query_one("#tabs").active = "timeline-tab"
        timeline = app.query_one(Timeline)
        await until(pilot, lambda: " of " in str(timeline.query_one("#arrivals-label").render()))
        label = str(timeline.query_one("#arrivals-label").render())
        said = int(label.split(": ")[1].split(" column")[0].replace(",", ""))
        assert said > 1, label
        for name in ("#arrivals", "#throughput"):
            sparkline: Widget = timeline.query_one(name)
            assert sparkline.size.width == said, (label, sparkline.size)


# -- words -------------------------------------------------------------------------------------------------------


def final(records: int, events: int | None = None, stalls: int = 0, gaps: int = 0) -> Record:
    summary = Summary(records=records, bytes=1, duration=0.5, ttfb=0.1, phases=Phases(),
                      gaps=GapSummary(gap_count=gaps, stalls=stalls), events=events)
    return Record(Kind.END, 0, 0.5, 0.5, 0, None, summary)


def test_plurals_and_thousands_separators() -> None:
    assert plural(1, "record") == "1 record" and plural(0, "record") == "0 records"
    assert plural(3_141_120, "event") == "3,141,120 events"
    assert summary_line(final(1, events=1)).startswith("1 record (1 event), 1 B, in ")
    assert summary_line(final(2_000, events=3_141_120)).startswith("2,000 records (3,141,120 events), ")
    assert gaps_line(GapSummary(gap_count=1, stalls=1)).startswith("1 gap · ")
    assert gaps_line(GapSummary(gap_count=1, stalls=1)).endswith(" · 1 stall")
    assert gaps_line(GapSummary(gap_count=1_234, stalls=2)).startswith("1,234 gaps · ")


async def test_status_line_says_1_record(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/chunks?count=1", mode="wire"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until_ended(pilot)
        await pilot.pause(0.1)
        text = figures_text(app)
        assert "1 record " in text or text.endswith("1 record")
        assert "1 records" not in text and " rec " not in text


def test_help_lists_every_command_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    for command in ("get", "compare", "serve"):
        assert f"explorer {command} " in text.split("commands")[1].split("examples:")[0]  # listed
        assert f"\n  explorer {command} " in text.split("examples:")[1]  # and shown in use
    assert "\n  explorer --demo" in text and "--append" in text


async def test_a_stream_started_on_a_narrow_terminal_takes_the_panels_columns() -> None:
    """At 80 columns the panel would leave the preview no room: starting a stream hides it (ctrl+b shows it)."""
    app = ExplorerApp(Options(StreamRequest(url="", mode="lines"), demo=True, demo_path="/async-chunks?count=3"),
                      start=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until_ended(pilot)
        panel = app.query_one("#demo")
        assert not panel.display
        lines = [line for line in screen_lines(app.main.log_widget) if "Async Chunk 2" in line]
        assert lines  # the preview has room
        await pilot.press("ctrl+b")
        assert panel.display
