"""Recovering what a damaged storage file still holds: truncated or bit-flipped MCAP, SQLite.

MCAP is a sequence of ``opcode (u8) | length (u64) | content`` records; a file cut anywhere
keeps every record before the cut intact. The salvaged copy ends after the last complete record
and gets a footer without a summary, so any reader falls back to scanning it linearly.

A bit flipped inside an MCAP chunk may still decode into a plausible message with a wrong
value: the analysis would be silently wrong. Every chunk's CRC over its uncompressed records is
therefore verified; a file with failing chunks is rewritten without them (every other record
kept, footer without a summary) and the loss is reported. A truncated or damaged SQLite bag
keeps the rows it can still read, in a fresh database with the same schema.
"""

from __future__ import annotations

import mmap
import sqlite3
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

MAGIC = b"\x89MCAP0\r\n"
_FOOTER = b"\x02" + (20).to_bytes(8, "little") + bytes(20)
"""Footer record: no summary section (offset 0), no summary offsets, no CRC."""
_CHUNK, _MESSAGE_INDEX, _DATA_END = 0x06, 0x07, 0x0F


def is_truncated(path: Path) -> bool:
    """An MCAP file that does not end with the closing magic bytes."""
    with path.open("rb") as file:
        if file.read(len(MAGIC)) != MAGIC:
            return False
        file.seek(0, 2)
        if file.tell() < 2 * len(MAGIC):
            return True
        file.seek(-len(MAGIC), 2)
        return file.read() != MAGIC


def salvage_mcap(path: Path, into: Path) -> int:
    """Write the complete records of ``path`` to ``into`` as a closed file; returns bytes kept."""
    with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
        end = len(MAGIC)
        while end + 9 <= len(data):
            size = int.from_bytes(data[end + 1:end + 9], "little")
            if end + 9 + size > len(data):
                break
            end += 9 + size
        with into.open("wb") as out:
            out.write(data[:end])
            out.write(_FOOTER + MAGIC)
    return end


@dataclass(frozen=True)
class ChunkCheck:
    """The chunks of one MCAP file: how many, which failed their CRC (byte offsets), and how
    many could not be checked (no CRC written, or compressed)."""

    chunks: int
    corrupt: tuple[int, ...]
    unchecked: int


def _records(data: bytes):
    """(offset, opcode, content) of every complete record after the magic, up to DataEnd."""
    offset = len(MAGIC)
    while offset + 9 <= len(data):
        opcode = data[offset]
        size = int.from_bytes(data[offset + 1:offset + 9], "little")
        if offset + 9 + size > len(data):
            return
        yield offset, opcode, data[offset + 9:offset + 9 + size]
        if opcode == _DATA_END:
            return
        offset += 9 + size


_CRC_AT = 24
"""Byte offset of ``uncompressed_crc`` in a chunk's content (after three u64 fields)."""


def _chunk_crc(content: bytes) -> tuple[int, int | None]:
    """(stored CRC, CRC of the records) of a chunk; the latter None when compressed."""
    _, _, _, crc, name_length = struct.unpack_from("<QQQII", content)
    compression = content[32:32 + name_length]
    records_length = int.from_bytes(content[32 + name_length:40 + name_length], "little")
    records = content[40 + name_length:40 + name_length + records_length]
    return crc, None if compression else zlib.crc32(records)


def _chunk_crc_ok(content: bytes) -> bool | None:
    """True/False for a chunk with a CRC; None when it cannot be checked (compressed with a
    codec not handled here, or written without a CRC)."""
    stored, actual = _chunk_crc(content)
    if stored == 0 or actual is None:
        return None
    return stored == actual


def fill_chunk_crcs(path: Path) -> None:
    """Write the CRC of every uncompressed chunk that has none (in place)."""
    data = bytearray(path.read_bytes())
    for offset, opcode, content in list(_records(bytes(data))):
        stored, actual = _chunk_crc(content) if opcode == _CHUNK else (1, None)
        if stored == 0 and actual is not None:
            struct.pack_into("<I", data, offset + 9 + _CRC_AT, actual)
    path.write_bytes(bytes(data))


def check_mcap(path: Path) -> ChunkCheck:
    data = path.read_bytes()
    chunks, corrupt, unchecked = 0, [], 0
    for offset, opcode, content in _records(data):
        if opcode != _CHUNK:
            continue
        chunks += 1
        ok = _chunk_crc_ok(content)
        if ok is None:
            unchecked += 1
        elif not ok:
            corrupt.append(offset)
    return ChunkCheck(chunks, tuple(corrupt), unchecked)


def drop_chunks(path: Path, into: Path, corrupt: tuple[int, ...]) -> None:
    """Copy ``path`` to ``into`` without the corrupt chunks (and without message indexes and
    the summary, which point into the original layout)."""
    data = path.read_bytes()
    with into.open("wb") as out:
        out.write(MAGIC)
        for offset, opcode, content in _records(data):
            if opcode == _DATA_END:
                break
            if offset in corrupt or opcode == _MESSAGE_INDEX:
                continue
            out.write(data[offset:offset + 9 + len(content)])
        out.write(_FOOTER + MAGIC)


def sqlite_damaged(path: Path) -> bool:
    """True when SQLite cannot read the whole database (truncated, overwritten pages)."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("PRAGMA quick_check").fetchone()[0] != "ok"
    except sqlite3.DatabaseError:
        return True


def salvage_sqlite(path: Path, into: Path) -> tuple[int, int | None]:
    """Copy every readable row of ``path`` into a new database ``into`` with the same schema;
    returns (messages kept, messages the damaged file claims or None if unknown)."""
    readable = into.with_suffix(".cut.db3")
    _with_true_page_count(path, readable)
    source = sqlite3.connect(f"file:{readable}?mode=ro", uri=True)
    target = sqlite3.connect(into)
    try:
        tables = source.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"
        ).fetchall()
        kept = 0
        for name, sql in tables:
            target.execute(sql)
            rows = _readable_rows(source, name)
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                target.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
            if name == "messages":
                kept = len(rows)
        target.commit()
        try:
            claimed = source.execute("SELECT max(id) FROM messages").fetchone()[0]
        except sqlite3.DatabaseError:
            claimed = None
        return kept, claimed
    finally:
        source.close()
        target.close()


def _with_true_page_count(path: Path, into: Path) -> None:
    """Copy ``path``, its header's page count set to the pages the file really holds: SQLite
    refuses even the schema of a file shorter than its header says."""
    data = bytearray(path.read_bytes())
    if len(data) >= 100:
        page_size = int.from_bytes(data[16:18], "big") or 65536
        data[28:32] = (len(data) // page_size).to_bytes(4, "big")
        data[92:96] = data[24:28]  # mark the page count as valid for this change counter
    into.write_bytes(bytes(data))


def _readable_rows(db: sqlite3.Connection, table: str) -> list[tuple]:
    """The table's rows in storage order up to the first unreadable page."""
    rows = []
    try:
        for row in db.execute(f'SELECT * FROM "{table}"'):
            rows.append(row)
    except sqlite3.DatabaseError:
        pass
    return rows
