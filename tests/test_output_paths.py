"""The fast paths of the output (issue 15) write exactly what the general paths write.

JSONL of a plain line or chunk comes from a template, text rows of plain records skip the row model, and
`sanitize` takes printable ASCII without its table; each is compared here with the general path it
short-cuts, over arbitrary payloads, stamps and sizes. Then the batching: one write per engine read.
"""

from __future__ import annotations

import asyncio
import io
import json

from hypothesis import given
from hypothesis import strategies as st

from explorer.core.batches import ReadBatches
from explorer.core.jsonl import dump_bytes, jsonl_batch, jsonl_bytes, to_json_objects
from explorer.core.record import Kind, Record
from explorer.core.rows import data_row
from explorer.core.sanitize import sanitize
from explorer.text_output import TextPrinter

payloads = st.one_of(st.binary(max_size=300), st.binary(min_size=4097, max_size=4200),  # quoted together, apart
                     st.text(max_size=300).map(lambda t: t.encode("utf-8")),
                     st.sampled_from([b"", b"\x7f", b"\xc2\x85", b"\xe2\x80\xae", b'"\\', b"\xff\xfe", b"\0",
                                      b"a\\u0000b", b'","', b"\\"]))
stamps = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
plain = st.builds(Record, st.sampled_from([Kind.LINE, Kind.CHUNK, Kind.MESSAGE]), st.integers(0, 2**40), stamps,
                  st.one_of(st.just(0.0), stamps), st.integers(0, 2**20), payloads)


def general_jsonl(record: Record) -> bytes:
    return b"".join(dump_bytes(obj) + b"\n" for obj in to_json_objects(record))


@given(plain)
def test_jsonl_template_writes_what_the_general_path_writes(record: Record) -> None:
    assert jsonl_bytes(record) == general_jsonl(record)
    for text in jsonl_bytes(record).splitlines():
        assert json.loads(text)["seq"] == record.seq


@given(st.lists(plain, max_size=12))
def test_a_read_in_one_batch_writes_what_its_records_write_one_by_one(records: list[Record]) -> None:
    assert jsonl_batch(records) == b"".join(general_jsonl(record) for record in records)


@given(plain)
def test_plain_text_rows_equal_the_row_model(record: Record) -> None:
    printer = TextPrinter()
    row = data_row(record)
    assert printer.render(record) == printer.row(row.label, row.seq, row.t, row.gap, row.size, row.text)


@given(st.lists(plain, max_size=12))
def test_a_read_in_one_batch_prints_what_its_records_print_one_by_one(records: list[Record]) -> None:
    assert TextPrinter().render_batch(records) == "".join(TextPrinter().render(record) for record in records)


@given(st.binary(max_size=400), st.sampled_from([None, 0, 1, 10, 200]))
def test_sanitize_fast_path_equals_the_table(data: bytes, limit: int | None) -> None:
    assert sanitize(data, limit) == sanitize(bytearray(data), limit)  # a bytearray takes the general path


def line(t: float, text: bytes) -> Record:
    return Record(Kind.LINE, 0, t, 0.0, len(text) + 1, text)


def just_data(records: list[Record]) -> bytes:
    return b"".join(record.data or b"" for record in records)


def test_one_write_per_read_and_the_last_read_when_the_loop_waits() -> None:
    writes: list[bytes] = []

    class Sink(io.RawIOBase):
        def write(self, data: bytes) -> int:  # type: ignore[override]
            writes.append(bytes(data))
            return len(data)

    async def main() -> None:
        batches = ReadBatches(Sink(), just_data)
        for t, texts in ((0.1, [b"a", b"b", b"c"]), (0.2, [b"d", b"e"])):
            for text in texts:
                batches.add(line(t, text))
        assert writes == [b"abc"]  # the first read is complete once the second begins
        await asyncio.sleep(0)  # the loop waits for the next read: the second goes out
        assert writes == [b"abc", b"de"]
        batches.add(line(0.3, b"f"))
        batches.flush()
        assert writes[-1] == b"f"

    asyncio.run(main())


def test_a_failed_write_is_raised_once_and_reported_at_once() -> None:
    reported: list[OSError] = []

    class Full(io.RawIOBase):
        def write(self, data: bytes) -> int:  # type: ignore[override]
            raise OSError(28, "No space left on device")

    async def main() -> None:
        batches = ReadBatches(Full(), just_data, on_failure=reported.append)
        batches.add(line(0.1, b"a"))
        await asyncio.sleep(0)
        assert len(reported) == 1 and reported[0].errno == 28
        try:
            batches.add(line(0.2, b"b"))  # the next read
        except OSError as error:
            assert error is reported[0]
        else:
            raise AssertionError("the failure was not raised")

    asyncio.run(main())
