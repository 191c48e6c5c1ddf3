"""Recovering what a truncated MCAP file still holds (a recorder killed, a copy cut short).

MCAP is a sequence of ``opcode (u8) | length (u64) | content`` records; a file cut anywhere
keeps every record before the cut intact. The salvaged copy ends after the last complete record
and gets a footer without a summary, so any reader falls back to scanning it linearly.
"""

from __future__ import annotations

import mmap
from pathlib import Path

MAGIC = b"\x89MCAP0\r\n"
_FOOTER = b"\x02" + (20).to_bytes(8, "little") + bytes(20)
"""Footer record: no summary section (offset 0), no summary offsets, no CRC."""


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
