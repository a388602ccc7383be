"""The inspector: Enter on a log row shows it whole (payload, JSON, hex, timing, framing); c copies; Esc closes."""

from __future__ import annotations

import json

from textual.widgets import Static

from explorer.core import Kind, Record, StreamRequest
from explorer.core.record import Flag, Phases, SSEEvent, Summary, Token
from explorer.core.rows import EventRow, event_rows
from explorer.engine.outbox import PAYLOAD_CAP
from explorer.tui.app import ExplorerApp
from explorer.tui.inspector import HexDump, InspectorScreen, hex_dump, inspect_row, pretty_json
from explorer.tui.main_screen import MainScreen
from explorer.tui.widgets.chunk_log import ChunkLog, Note
from explorer.tui.widgets.event_view import EventView

from .apps import SIZE, app_for, records, until_ended
from .rawserver import RawServer, chunked_response

ITEMS = json.dumps([{"n": i, "text": "word " * 12} for i in range(130)])
BIG_LINE = '{"id": 7, "price": 1.10, "items": ' + ITEMS + "}"  # 1.10: a float would print 1.1
BIG = json.loads(BIG_LINE)


def shown(screen: InspectorScreen, section: str) -> str:
    if section == "hex":
        return str(screen.query_one("#inspector-hex", HexDump).render())
    return str(screen.query_one(f"#inspector-{section}", Static).content)


async def test_a_10_kb_json_line_opens_whole_and_is_copied() -> None:
    assert len(BIG_LINE) > 10_000
    record = Record(Kind.LINE, 3, 0.25, 0.05, len(BIG_LINE) + 1, BIG_LINE.encode())
    app = ExplorerApp()
    async with app.run_test(size=SIZE) as pilot:
        log = app.query_one("#log", ChunkLog)
        log.add_rows([record])
        log.focus()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InspectorScreen) and screen.row is record
        assert shown(screen, "payload") == BIG_LINE
        assert json.loads(shown(screen, "json")) == BIG and shown(screen, "json").count("\n") > 130 * 4
        assert "1.10" in shown(screen, "json")  # numbers as sent, not as a float prints them
        facts = str(screen.query_one("#inspector-facts", Static).content)
        assert "250.0 ms after the request" in facts and "10," in facts and "bytes" in facts
        assert "… (first 4,096" in shown(screen, "hex")
        await pilot.press("c")
        assert app.clipboard == BIG_LINE
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, MainScreen) and log.has_focus


async def test_a_10_kb_line_from_a_server_opens_whole_and_a_longer_one_says_how_much_was_kept() -> None:
    ndjson = "Content-Type: application/x-ndjson"
    huge = '{"pad": "' + "z" * (PAYLOAD_CAP + 4000) + '"}'
    script = chunked_response(b'{"short": 1}\n', BIG_LINE.encode() + b"\n", huge.encode() + b"\n", headers=ndjson)
    with RawServer(script) as server:
        app = app_for(StreamRequest(server.url, mode="lines"))
        async with app.run_test(size=SIZE) as pilot:
            await until_ended(pilot)
            log = app.query_one("#log", ChunkLog)
            lines = [r for r in records(log) if r.kind is Kind.LINE]
            big, cut = lines[1], lines[2]
            assert big.data == BIG_LINE.encode() and not big.cut  # 10 KB: whole, through the engine process
            log.focus()
            for row, payload in ((big, BIG_LINE), (cut, huge[:PAYLOAD_CAP])):
                assert log.jump(lambda candidate, row=row: candidate is row, forward=False)
                await pilot.press("enter")
                await pilot.pause()
                screen = app.screen
                assert isinstance(screen, InspectorScreen)
                facts = str(screen.query_one("#inspector-facts", Static).content)
                if row is cut:
                    assert f"the first {PAYLOAD_CAP:,} bytes of" in facts and f"{cut.data_size:,} bytes" in facts
                else:
                    assert "the first" not in facts
                assert shown(screen, "payload") == payload
                await pilot.press("c")
                assert app.clipboard == payload
                await pilot.press("escape")
                await pilot.pause()


async def test_a_wire_chunk_shows_its_framing_and_hostile_bytes_stay_inert() -> None:
    hostile = b"\x1b]0;owned\x07[bold]x[/bold] [@click=app.quit]q[/]\xe2\x80\xae"
    script = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
              b"%x;name=value\r\n%s\r\n" % (len(hostile), hostile), b"0\r\n\r\n"]
    with RawServer(script) as server:
        app = app_for(StreamRequest(server.url, mode="wire"))
        async with app.run_test(size=SIZE) as pilot:
            await until_ended(pilot)
            log = app.query_one("#log", ChunkLog)
            chunk = next(r for r in records(log) if r.kind is Kind.CHUNK)
            log.focus()
            assert log.jump(lambda row: row is chunk)
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, InspectorScreen)
            facts = str(screen.query_one("#inspector-facts", Static).content)
            assert "one HTTP chunk, exactly as framed" in facts and ";name=value" in facts
            payload = shown(screen, "payload")
            assert payload == "␛]0;owned␇[bold]x[/bold] [@click=app.quit]q[/]\\u202e"
            assert "1b 5d 30 3b" in shown(screen, "hex")
            await pilot.press("c")
            assert "\x1b" not in app.clipboard and "[@click=app.quit]" in app.clipboard
            await pilot.press("escape")
            await pilot.pause()
            assert app.is_running and app.title == "explorer"


async def test_event_rows_open_in_the_inspector(demo_url: str) -> None:
    app = app_for(StreamRequest(demo_url + "/ndjson?count=3&interval=0.01", mode="json"))
    async with app.run_test(size=(120, 50)) as pilot:
        await until_ended(pilot)
        events = app.query_one("#events", EventView)
        events.focus()
        assert events.find('"Item 1"') == (1, 1)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, InspectorScreen) and isinstance(screen.row, EventRow)
        assert shown(screen, "value") == '"Item 1"'
        await pilot.press("c")
        assert app.clipboard == '"Item 1"'
        await pilot.press("escape")


async def test_a_5000_character_sse_event_opens_whole_and_pretty_from_the_event_view() -> None:
    data = json.dumps({"id": 7, "price": 1.10, "rows": [{"n": i, "text": "word " * 8} for i in range(90)]})
    assert 5000 <= len(data) < PAYLOAD_CAP
    body = b"event: delta\nid: 41\ndata: " + data.encode() + b"\n\n"
    script = chunked_response(body[:3000], body[3000:], headers="Content-Type: text/event-stream")
    with RawServer(script) as server:
        app = app_for(StreamRequest(server.url, mode="sse"))
        async with app.run_test(size=SIZE) as pilot:
            await until_ended(pilot)
            events = app.query_one("#events", EventView)
            row = events.rows[-1]
            assert row.value.endswith("…") and len(row.value) <= 201 < len(data)  # the row shows its start only
            events.focus()
            assert events.cursor_row is row  # following: the cursor is on the newest row
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, InspectorScreen) and screen.row is row
            assert shown(screen, "data") == data
            pretty = shown(screen, "json")
            assert json.loads(pretty) == json.loads(data) and pretty.count("\n") > 90 * 3
            facts = str(screen.query_one("#inspector-facts", Static).content)
            assert "delta" in facts and "41" in facts and "the first" not in facts
            await pilot.press("c")
            assert app.clipboard == data


def test_event_rows_carry_their_record_and_the_inspector_reads_it_whole() -> None:
    text = "é" * 3000
    message = Record(Kind.MESSAGE, 4, 0.2, 0.1, len(text.encode()), text.encode())
    (row,) = event_rows(message)
    assert row.record is message and row.value.endswith("…")
    assert dict(inspect_row(row).sections)["Payload"] == text

    values = (("item", "start_map", None), ("item.text", "string", "x" * 900), ("item.n", "number", 3))
    read = Record(Kind.EVENT, 10, 0.3, 0.1, 950, value=values)
    rows = list(event_rows(read))
    assert [r.record for r in rows] == [read] * 3
    inspection = inspect_row(rows[1])
    assert dict(inspection.sections)["Value"] == json.dumps("x" * 900) and inspection.copy == json.dumps("x" * 900)
    assert dict(inspect_row(rows[2]).sections)["Value"] == "3"
    assert dict(inspect_row(rows[1]._replace(record=None)).sections)["Value"] == rows[1].value  # rows made by hand

    delta = Record(Kind.SSE, 2, 0.1, 0.1, 0, value=SSEEvent("message", '{"choices": [{"delta": {"content": "Hi"}}]}',
                                                           "", None))
    (row,) = event_rows(delta)  # the event itself; its token is a record of its own
    assert row.name == "message" and ("event", "message") in inspect_row(row).facts
    token = Record(Kind.TOKEN, 0, 0.1, 0.1, 0, value=Token("Hi", shape="openai-chat"))
    (row,) = event_rows(token)
    facts = dict(inspect_row(row).facts)
    assert row.record is token and row.name == "token" and facts["text"] == '"Hi"' and facts["channel"] == "text"


def test_what_the_inspector_says_of_each_kind() -> None:
    sse = Record(Kind.SSE, 2, 0.5, 0.1, 0, value=SSEEvent("delta", '{"a": [1, 2.50]}', "7", None))
    inspection = inspect_row(sse)
    sections = dict(inspection.sections)
    assert sections["Data"] == '{"a": [1, 2.50]}' and sections["JSON"] == '{\n  "a": [\n    1,\n    2.50\n  ]\n}'
    assert ("event", "delta") in inspection.facts and inspection.copy == '{"a": [1, 2.50]}'

    zlib = Record(Kind.CHUNK, 0, 0.1, 0.1, 30, b"Temperature: 21.5\n", flags=Flag.DECODED)
    facts = dict(inspect_row(zlib).facts)
    assert facts["on the wire"] == "30 bytes" and facts["decoded"] == "18 bytes"
    assert dict(inspect_row(zlib).sections)["Payload"] == "Temperature: 21.5↵"

    summary = Summary(records=2, bytes=10, duration=1.0, ttfb=0.01, phases=Phases(total=1.0), error="It broke.",
                      type="x")
    sections = dict(inspect_row(Record(Kind.ERROR, 0, 1.0, 0, 0, value=summary)).sections)
    assert sections["Summary"].startswith("error: It broke. [x]") and "total 1.000 s" in sections["Phases"]

    assert dict(inspect_row(Note("phases: DNS -")).sections) == {"Text": "phases: DNS -"}
    ndjson = '{"a": 1}\n{"b": "\u202e"}\n'
    assert pretty_json(ndjson) == '{\n  "a": 1\n}\n{\n  "b": "\\u202e"\n}'  # each line; bidi override inert
    assert pretty_json("not json") is None and pretty_json("[" * 100_000) is None
    assert hex_dump(b"AB\x00") == "00000000  41 42 00" + " " * 40 + "  AB."
    narrow = hex_dump(bytes(range(48, 58)), per_line=8).split("\n")
    assert narrow == ["00000000  30 31 32 33 34 35 36 37  01234567", "00000008  38 39" + " " * 18 + "  89"]
    full = hex_dump(bytes(range(48, 64)))
    assert full == "00000000  30 31 32 33 34 35 36 37  38 39 3a 3b 3c 3d 3e 3f  0123456789:;<=>?"
