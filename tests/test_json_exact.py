"""json mode is exact: the events of `ijson.parse` on the whole body, in every face.

Numbers keep their exact value (ints of any size, Decimals as written), a
leading BOM is skipped, empty bodies end cleanly, and what ijson's yajl2_c
backend would get wrong or crash on (lone surrogate escapes, integers past
Python's digit limit) ends in a sentence. The reference throughout is
`ijson.parse` of the whole body, read independently of explorer.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

import ijson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.cli import main
from explorer.core.context import StreamContext
from explorer.core.errors import StreamError
from explorer.core.format import json_value
from explorer.core.jsonl import ESCAPED, dumps, jsonl_lines
from explorer.core.modes import json as json_mode
from explorer.core.modes.json import BOM, JsonGuard
from explorer.core.record import Kind, Record
from explorer.core.request import StreamRequest
from explorer.core.rows import event_rows
from explorer.core.stream import open_stream

from .helpers import of_kind, run_get
from .rawserver import RawServer, chunked_response

JSON = "Content-Type: application/json"
LIMIT = sys.get_int_max_str_digits()
quick = settings(max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Numbers `use_float=True` broke: past 2^63 ("integer overflow"), 1e999 ("floating point overflow"), long decimals
# (rounded). Cut into chunks in the middle of numbers, BOM-free.
NUMBERS = (b'{"big": 18446744073709551616, "neg": -9223372036854775809, "huge": ' + str(7**300).encode()
           + b', "inf": 1e999, "tiny": -1E-999, "long": 0.12345678901234567890123456789012345678901234567890,'
           + b' "zero": -0.0, "int": -0, "exp": 2.50e+10, "str": "1e999"}\n'
           + b'[1.0, 10, 3.141592653589793238462643383279]\n')


def typed(events: list[tuple[str, str, Any]]) -> list[tuple[str, str, str, str]]:
    """Events with each value's type and exact text: 2.5 (float) never equals Decimal('2.50')."""
    return [(prefix, event, type(value).__name__, str(value)) for prefix, event, value in events]


def reference(body: bytes) -> list[tuple[str, str, Any]]:
    """`ijson.parse` of the whole body (the text after a leading BOM), several values allowed."""
    return list(ijson.parse(body.removeprefix(BOM), multiple_values=True))


def pieces(body: bytes, *cuts: int) -> list[bytes]:
    points = [0, *cuts, len(body)]
    return [body[a:b] for a, b in zip(points, points[1:]) if b > a]


def served(*chunks: bytes, headers: str = JSON) -> list:
    """A chunked response with a short pause after each chunk, so the client reads them one by one."""
    head, *framed, end = chunked_response(*chunks, headers=headers)
    return [head, *(step for chunk in framed for step in (chunk, ("sleep", 0.02))), end]


async def collect(url: str, **options: Any) -> list[Record]:
    return [record async for record in open_stream(StreamRequest(url, **options))]


def engine_events(records: list[Record]) -> list[tuple[str, str, Any]]:
    return [event for record in records if record.kind is Kind.EVENT for event in record.events]


def jsonl_exact(line: str) -> dict[str, Any]:
    return json.loads(line, parse_float=Decimal)  # exact decimals; json's ints are exact already


# -- numbers ---------------------------------------------------------------------------------------------


async def test_numbers_are_exact_in_the_engine_and_in_jsonl() -> None:
    chunks = pieces(NUMBERS, 21, 60, 130, 210, 215, 300, 390)
    with RawServer(served(*chunks)) as server:
        records = await collect(server.url, mode="json")
    assert records[-1].kind is Kind.END, records[-1].summary.error
    expected = reference(NUMBERS)
    assert {type(v) for _, e, v in expected if e == "number"} == {int, Decimal}
    assert typed(engine_events(records)) == typed(expected)
    raw = [line for record in records for line in jsonl_lines(record)]
    assert any('"value":2.50E+10' in line for line in raw) and any('"value":1E+999' in line for line in raw)
    lines = [jsonl_exact(line) for line in raw]
    events = [(o["prefix"], o["event"], o["value"]) for o in lines if o["kind"] == "event"]
    assert events == expected  # ints equal as ints, Decimals equal as Decimals (1E+999 included)
    shown = {o["prefix"]: o["value"] for o in lines if o["kind"] == "event" and o["event"] == "number"}
    assert shown["huge"] == 7**300 and shown["inf"] == Decimal("1E+999") and shown["zero"].is_signed()
    assert records[-1].summary.events == len(expected)


def test_numbers_are_exact_in_the_text_output(capsys: pytest.CaptureFixture[str]) -> None:
    with RawServer(served(*pieces(NUMBERS, 50, 200))) as server:
        status = main(["get", server.url, "--mode", "json"])
    out = capsys.readouterr().out
    assert status == 0
    for text in ("18446744073709551616", "-9223372036854775809", "1E+999", "-1E-999", "-0.0", "2.50E+10",
                 "0.12345678901234567890123456789012345678901234567890", '"1e999"', "3.141592653589793238462643383279"):
        assert f" {text}" in out, text
    assert str(7**300)[:150] in out  # cut to the preview length like any value


def test_json_value_writes_numbers_as_json_numbers() -> None:
    assert [json_value(v) for v in (2**64, Decimal("1E+999"), Decimal("-0.0"), True, None, "1")] == [
        "18446744073709551616", "1E+999", "-0.0", "true", "", '"1"']
    assert json_value("é\x1b\u202e" + "x" * 500).startswith('"é\\u001b\\u202e') and len(json_value("x" * 500)) == 201


@pytest.mark.skipif(LIMIT == 0, reason="this interpreter converts integers of any length")
async def test_digit_runs_longer_than_pythons_limit() -> None:
    """A fraction or exponent of any length is a Decimal; an integer past the limit would crash yajl2_c."""
    fraction = b'{"f": 0.' + b"3" * (LIMIT + 700) + b', "s": "' + b"9" * (LIMIT + 1) + b'"}'
    with RawServer(served(*pieces(fraction, 10, 400, LIMIT))) as server:
        records = await collect(server.url, mode="json")
    assert records[-1].kind is Kind.END and typed(engine_events(records)) == typed(reference(fraction))
    integer = b'[1, -' + b"8" * (LIMIT + 1) + b"]"
    with RawServer(served(*pieces(integer, 7, 3000))) as server:
        records = await collect(server.url, mode="json")
    error = records[-1].summary
    assert records[-1].kind is Kind.ERROR and error.type == "invalid_json"
    assert f"the integer at byte 5 has more than {LIMIT:,} digits" in error.error, error.error
    assert engine_events(records) == [("", "start_array", None), ("item", "number", 1)]


# -- BOM and empty bodies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cuts", [(), (1,), (2, 3), (1, 2, 3, 4)], ids=["whole", "ef|bbbf", "efbb|bf|", "bytewise"])
async def test_a_leading_bom_is_skipped(cuts: tuple[int, ...]) -> None:
    body = BOM + b'{"a": [1, "\xc3\xa9"]}\n{"b": 2}\n'
    with RawServer(served(*pieces(body, *cuts))) as server:
        records = await collect(server.url, mode="json")
    assert records[-1].kind is Kind.END, records[-1].summary.error
    assert engine_events(records) == reference(body) and reference(body)[0] == ("", "start_map", None)
    assert records[-1].summary.bytes == len(body)


async def test_offsets_count_the_bom() -> None:
    body = BOM + b'["ok", "\\ud800"]'
    with RawServer(served(*pieces(body, 2, 9))) as server:
        records = await collect(server.url, mode="json")
    error, where = records[-1].summary.error, body.index(b"\\ud800")
    assert f"at byte {where} " in error and engine_events(records)[:2] == reference(b'["ok"]')[:2]


EMPTY = {
    "head": (["-X", "HEAD"], b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 57\r\n\r\n"),
    "204": ([], b"HTTP/1.1 204 No Content\r\nContent-Type: application/json\r\n\r\n"),
    "304": ([], b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Type: application/json\r\n\r\n"),
    "length-0": ([], b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n"),
    "chunked-empty": ([], b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"0\r\n\r\n"),
    "blank": ([], b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n \r\n"),
    "bom-only": ([], b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n" + BOM),
}


@pytest.mark.parametrize("case", EMPTY)
def test_bodies_without_a_json_value_end_cleanly(case: str, capsys: pytest.CaptureFixture[str]) -> None:
    args, response = EMPTY[case]
    with RawServer([response]) as server:
        status, records, err = run_get(capsys, server.url, "--mode", "json", *args)
    assert status == 0, records[-1]
    assert records[-1]["kind"] == "end" and records[-1]["events"] == 0 and not of_kind(records, "event")
    assert records[-1]["bytes"] == sum(r["size"] for r in of_kind(records, "chunk")) and err == ""


# -- lone surrogates and error sentences --------------------------------------------------------------------


@pytest.mark.parametrize("body, escape", [
    (b'["\\ud800"]', "\\ud800"),  # yajl2_c: "?"
    (b'["x\\uDBFF\\u0041"]', "\\uDBFF"),  # yajl2_c: fused with the next escape into a wrong character
    (b'{"k\\udc00": 1}', "\\udc00"),  # yajl2_c: a UnicodeDecodeError
    (b'["\\ud800\\ud800\\udc00"]', "\\ud800"),
    (b'"\\ud83d', "\\ud83d"),  # cut off after a high surrogate
])
async def test_lone_surrogate_escapes_get_a_sentence(body: bytes, escape: str) -> None:
    with RawServer(served(*pieces(body, 3, len(body) - 3))) as server:
        records = await collect(server.url, mode="json")
    summary = records[-1].summary
    assert records[-1].kind is Kind.ERROR and summary.type == "invalid_json"
    where = body.index(escape.encode())
    assert f"a lone surrogate escape {escape} at byte {where} cannot be decoded as text." in summary.error, summary
    assert summary.error.startswith("Invalid JSON ") and "codec" not in summary.error


class Reads:
    """What json mode touches of a response: `content.readany()`, here returning the given reads one by one."""

    def __init__(self, reads: list[bytes]) -> None:
        self.content = self
        self._reads = list(reads)

    async def readany(self) -> bytes:
        return self._reads.pop(0) if self._reads else b""


async def json_mode_over(reads: list[bytes]) -> tuple[list[tuple[str, str, Any]], str | None]:
    """(events, error sentence) of the real json mode reading exactly these reads."""
    records: list[Record] = []
    try:
        async for record in json_mode.read(Reads(reads), StreamContext(), StreamRequest("http://x/")):  # type: ignore[arg-type]
            records.append(record)
    except StreamError as exc:
        return engine_events(records), exc.message
    return engine_events(records), None


async def test_surrogate_pairs_split_anywhere_are_text() -> None:
    body = b'["\\ud83d\\ude00", "\\\\ud800", "a\\uD834\\uDD1Eb"]'
    for cut in range(len(body) + 1):
        assert await json_mode_over(pieces(body, cut)) == (reference(body), None), cut
    assert await json_mode_over([bytes([b]) for b in body]) == (reference(body), None)
    assert [v for _, e, v in reference(body) if e == "string"] == ["😀", "\\ud800", "a𝄞b"]


@pytest.mark.parametrize("body, words", [
    (b'["a\xff"]', "lexical error: invalid bytes in UTF8 string."),  # yajl reports this one as bytes
    (b'{"a" 1}', "object key and value must be separated by a colon"),
    (b"[1e" + b"9" * 20 + b"]", "a number's exponent is beyond what Python's Decimal holds."),
    (b"[1, 2", "The JSON ended early after 5 bytes: parse error: premature EOF."),
    (b"\xef\xbb", "it holds only 2 bytes of a byte order mark."),
])
def test_error_sentences_are_plain(body: bytes, words: str, capsys: pytest.CaptureFixture[str]) -> None:
    with RawServer(chunked_response(body, headers=JSON)) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "json")
    error = records[-1]
    assert status == 1 and error["type"] == "invalid_json" and words in error["error"], error["error"]
    sentence = error["error"]
    assert sentence.endswith(".") and not sentence.endswith(":.") and "b'" not in sentence and '[<' not in sentence


# -- JSONL -----------------------------------------------------------------------------------------------------


async def test_jsonl_events_carry_the_reads_gap_on_the_first_event_only() -> None:
    """The same rule as the text output: the read's gap on its first event, 0 on the rest."""
    lines = [b'{"n": %d, "tags": ["a", "b"]}\n' % n for n in range(4)]
    with RawServer(served(*lines)) as server:
        records = await collect(server.url, mode="json")
    batches = [record for record in records if record.kind is Kind.EVENT]
    assert sum(len(b.events) for b in batches) == 36 and all(len(b.events) > 1 for b in batches)
    for batch in batches:
        objects = [json.loads(line) for line in jsonl_lines(batch)]
        rows = list(event_rows(batch))
        assert [o["gap"] for o in objects] == [round(row.gap, 6) for row in rows]
        assert objects[0]["gap"] == round(batch.gap, 6) and {o["gap"] for o in objects[1:]} == {0}
        assert [o["seq"] for o in objects] == [row.seq for row in rows] == list(range(batch.seq, batch.seq + len(rows)))
        assert len({o["t"] for o in objects}) == 1


def test_get_jsonl_event_gaps_follow_the_reads(capsys: pytest.CaptureFixture[str]) -> None:
    """`explorer get --format jsonl`: a read's events share its time; the first has the gap since the last
    read's events, the rest 0."""
    lines = [b'[%d, %d]\n' % (n, n) for n in range(3)]
    with RawServer(served(*lines)) as server:
        status, records, _ = run_get(capsys, server.url, "--mode", "json")
    events = of_kind(records, "event")
    assert status == 0 and len(events) == 12 and [e["seq"] for e in events] == list(range(12))
    reads: dict[float, list[dict[str, Any]]] = {}
    for event in events:
        reads.setdefault(event["t"], []).append(event)
    assert set(reads) <= {chunk["t"] for chunk in of_kind(records, "chunk")}
    previous = 0.0
    for t, group in reads.items():
        assert group[0]["gap"] == pytest.approx(t - previous, abs=2e-6) and group[0]["gap"] > 0
        assert [e["gap"] for e in group[1:]] == [0] * (len(group) - 1)
        previous = t


def test_dumps_escapes_controls_bidi_and_invisibles() -> None:
    text = "".join(map(chr, sorted(ESCAPED))) + "\x00\x1b\n\"\\é😀 plain"
    out = dumps({"data": text})
    assert out.isascii() is False and json.loads(out) == {"data": text}
    for code in (*ESCAPED, 0x00, 0x1B):
        assert chr(code) not in out and f"\\u{code:04x}" in out, hex(code)
    assert "é😀 plain" in out  # everything else stays as UTF-8


def test_escaped_set_is_what_sanitize_neutralises() -> None:
    from explorer.core.sanitize import sanitize

    neutralised = {c for c in range(0x20, 0x10000) if not 0xD800 <= c <= 0xDFFF and sanitize(chr(c)) != chr(c)}
    assert neutralised == set(ESCAPED)


def test_dumps_keeps_what_orjson_refuses_exact() -> None:
    out = dumps({"big": 2**64, "neg": -(2**63) - 1, "list": [7**90, Decimal("1E+999")], "nan": Decimal("NaN"),
                 "inf": Decimal("-Infinity"), "lone": "a\ud800b", "k\udc00": 1})
    assert f'"big":18446744073709551616,"neg":-9223372036854775809,"list":[{7**90},1E+999]' in out, out
    assert '"nan":"NaN"' in out and '"inf":"-Infinity"' in out and '"lone":"a\\ud800b"' in out
    assert json.loads(out)["k\ufffd"] == 1 and json.loads(out)["list"][0] == 7**90


# -- the guard, split anywhere ---------------------------------------------------------------------------------


def walk(text: bytes, limit: int) -> tuple[int | None, int | None]:
    """Where the first lone surrogate escape in a string, or integer of more than `limit` digits, starts:
    a plain walk over the whole text, byte by byte (the reference for JsonGuard). Or, second, where a
    backslash outside a string makes the text invalid JSON: ijson stops there, so nothing after it counts."""

    def unit(i: int) -> int | None:
        digits = text[i + 2:i + 6]
        ok = text[i + 1:i + 2] == b"u" and len(digits) == 4 and all(c in b"0123456789abcdefABCDEF" for c in digits)
        return int(digits, 16) if ok else None

    i, n, in_string = 0, len(text), False
    while i < n:
        c = text[i]
        if in_string:
            if c == ord('"'):
                in_string = False
            elif c == ord("\\"):
                code = unit(i)
                if code is None:
                    i += 2
                    continue
                if 0xD800 <= code <= 0xDBFF:
                    low = unit(i + 6) if text[i + 6:i + 7] == b"\\" else None
                    if low is None or not 0xDC00 <= low <= 0xDFFF:
                        return i, None
                    i += 12
                    continue
                if 0xDC00 <= code <= 0xDFFF:
                    return i, None
                i += 6
                continue
            i += 1
        elif c == ord('"'):
            in_string = True
            i += 1
        elif c == ord("\\"):
            return None, i
        elif 0x30 <= c <= 0x39:
            j = i
            while j < n and 0x30 <= text[j] <= 0x39:
                j += 1
            before = text[max(0, i - 2):i]
            sign_or_nothing = before[-1:] in (b"", b"-") and before[:-1] not in (b"e", b"E")
            integer = sign_or_nothing or before[-1:] not in (b".", b"e", b"E", b"+", b"-")
            if 0 < limit < j - i and integer and text[j:j + 1] not in (b".", b"e", b"E"):
                return i, None
            i = j
        else:
            i += 1
    return None, None


def guarded(text: bytes, cuts: list[int], limit: int) -> int | None:
    guard = JsonGuard(limit)
    for piece in pieces(text, *sorted({c % (len(text) + 1) for c in cuts})):
        problem = guard.feed(piece)
        if problem is not None:
            return problem.at
    problem = guard.finish()
    return None if problem is None else problem.at


TOKENS = [b'"', b"\\", b"u", b"d", b"8", b"c", b"0", b"1", b".", b"e", b"-", b"+", b",", b"[", b" ", b"a",
          b"\\u", b"\\ud83d", b"\\ude00", b"\\udc00", b"\\uD800", b"12345", b"\\\\"]


@settings(quick, max_examples=200)
@given(st.lists(st.sampled_from(TOKENS), max_size=40), st.lists(st.integers(0, 400), max_size=8),
       st.sampled_from([0, 1, 3, LIMIT]))
def test_guard_split_anywhere_agrees_with_a_plain_walk(tokens: list[bytes], cuts: list[int], limit: int) -> None:
    text = b"".join(tokens)
    expected, invalid = walk(text, limit)
    for found in guarded(text, cuts, limit), guarded(text, list(range(len(text))), limit):
        assert found == expected if invalid is None else found is None or found >= invalid


json_numbers = st.one_of(
    st.integers(), st.integers(min_value=2**63 - 5, max_value=2**200),
    st.decimals(allow_nan=False, allow_infinity=False).map(lambda d: json.loads(str(d), parse_float=Decimal)),
    st.sampled_from([Decimal("1E+999"), Decimal("-1E-400"), Decimal("0.1000000000000000000000000000001")]),
)
json_documents = st.recursive(st.none() | st.booleans() | json_numbers | st.text(max_size=6),
                              lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                                          max_size=4),
                              max_leaves=10)


@quick
@given(st.lists(json_documents, min_size=1, max_size=3), st.lists(st.integers(0, 2000), max_size=10))
def test_guard_passes_valid_json_with_any_numbers(documents: list[Any], cuts: list[int]) -> None:
    text = "\n".join(dumps(d) for d in documents).encode()
    assert guarded(text, cuts, LIMIT) is None
    assert reference(text)  # ijson reads what dumps wrote


@quick
@given(st.lists(json_documents, min_size=1, max_size=3), st.lists(st.integers(0, 2000), max_size=10),
       st.booleans())
async def test_json_mode_split_anywhere_equals_a_whole_body_parse(documents: list[Any], cuts: list[int],
                                                                   bom: bool) -> None:
    body = (BOM if bom else b"") + "\n".join(dumps(d) for d in documents).encode()
    assert await json_mode_over(pieces(body, *sorted({c % (len(body) + 1) for c in cuts}))) == (reference(body), None)


escaped_documents = st.recursive(
    st.integers(-(2**70), 2**70) | st.text(st.sampled_from('a"\\/\n\x1bé€😀𝄞\u2028'), max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10)


@quick
@given(st.lists(escaped_documents, min_size=1, max_size=3), st.lists(st.integers(0, 600), max_size=10))
async def test_json_mode_split_anywhere_with_escapes_and_surrogate_pairs(documents: list[Any], cuts: list[int]) -> None:
    body = "\n".join(json.dumps(d) for d in documents).encode()  # ensure_ascii: astral characters as pairs
    assert await json_mode_over(pieces(body, *sorted({c % (len(body) + 1) for c in cuts}))) == (reference(body), None)
