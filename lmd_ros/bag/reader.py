"""Reading recorded bags: whatever storage is readable, and the monitor's sensor messages in it.

Bags are read with `rosbags`' rosbag2 reader (mcap or sqlite3, a bag directory or a bare storage
file); sensor messages are decoded by rclpy, exactly as a subscription would. Not `AnyReader`:
it builds one type store over every topic and refuses the whole bag when any unrelated topic's
definition is missing or mismatched, while only the sensor topics matter here.

Whatever cannot be used is reported in ``issues`` and the rest is still read: a bag directory
without usable metadata (its storage files are read directly), a truncated MCAP file (its
complete records are salvaged), an MCAP chunk failing its CRC (skipped, counted), a damaged
SQLite file (its readable rows are salvaged), an unreadable storage file, a read error part-way
(everything before it is kept), missing sensor topics, topics of the wrong type, undecodable
messages.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rosbags.interfaces import Connection
from rosbags.rosbag2 import Reader, ReaderError

from lmd_ros.bag.cdr import decode, type_name
from lmd_ros.bag.salvage import (
    check_mcap,
    drop_chunks,
    is_truncated,
    salvage_mcap,
    salvage_sqlite,
    sqlite_damaged,
)
from lmd_ros.ros.inputs import InputStream

STORAGE_SUFFIXES = (".mcap", ".db3")


class BagUnreadable(Exception):
    """Nothing in the bag can be read; the message says why."""


@dataclass(frozen=True)
class BagMessage:
    """One sensor message and its record time (ns), the clock the offline monitor runs on."""

    stream: InputStream
    time_ns: int
    msg: Any


class BagFiles:
    """Context manager over the readable storage of one bag: connections and raw messages."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.issues: list[str] = []
        self.readers: list[Reader] = []
        self.start_ns = 0
        self.end_ns = 0
        self._workdir = tempfile.TemporaryDirectory(prefix="lmd_bag_")

    def __enter__(self) -> BagFiles:
        try:
            self.readers = self._open()
        except BaseException:
            self.__exit__()
            raise
        self.start_ns = min(r.start_time for r in self.readers)
        self.end_ns = max(r.end_time for r in self.readers)
        return self

    def __exit__(self, *exc_info) -> None:
        for reader in self.readers:
            reader.close()
        self._workdir.cleanup()

    @property
    def connections(self) -> list[Connection]:
        return [c for reader in self.readers for c in reader.connections]

    def raw(self, wanted: Callable[[Connection], bool]) -> Iterator[tuple[Connection, int, bytes]]:
        """(connection, record time ns, CDR) of the wanted connections, file after file."""
        for reader in self.readers:
            connections = [c for c in reader.connections if wanted(c)]
            if not connections:
                continue
            count = 0
            try:
                for message in reader.messages(connections):
                    count += 1
                    yield message
            except ReaderError as error:
                self.issues.append(f"reading {reader.path.name} stopped after {count} "
                                   f"messages: {error}")

    def _open(self) -> list[Reader]:
        if not self.path.exists():
            raise BagUnreadable(f"{self.path} does not exist")
        files = ([self.path] if self.path.is_file() else
                 sorted(p for p in self.path.iterdir() if p.suffix in STORAGE_SUFFIXES))
        repaired = [self._salvaged(file) for file in files]
        if repaired != files:  # read the repaired copies one by one
            return self._readers(files, repaired)
        if self.path.is_dir() and (self.path / "metadata.yaml").exists():
            try:
                return [_opened(Reader(self.path))]
            except (ReaderError, OSError, ValueError, KeyError) as error:
                self.issues.append(f"bag directory could not be opened ({error}); its "
                                   "storage files are read one by one")
        elif self.path.is_dir():
            self.issues.append("no metadata.yaml; storage files read directly")
        return self._readers(files, repaired)

    def _readers(self, files: list[Path], repaired: list[Path]) -> list[Reader]:
        readers = []
        for file, readable in zip(files, repaired, strict=True):
            try:
                readers.append(_opened(Reader(readable)))
            except (ReaderError, OSError) as error:
                self.issues.append(f"{file.name} unreadable, skipped: {error}")
        if not readers:
            raise BagUnreadable(f"{self.path}: no readable storage file "
                                f"({'; '.join(self.issues) or 'none found'})")
        return readers

    def _salvaged(self, file: Path) -> Path:
        """``file``, or a repaired copy of it (truncated / corrupt MCAP, damaged SQLite)."""
        repaired = Path(self._workdir.name) / file.name
        if file.suffix == ".db3":
            if not sqlite_damaged(file):
                return file
            kept, claimed = salvage_sqlite(file, repaired)
            self.issues.append(f"{file.name} is damaged (truncated or corrupt): its {kept} "
                               f"readable messages (of {claimed or 'an unknown number'}) were "
                               "salvaged")
            return repaired
        if file.suffix != ".mcap":
            return file
        if is_truncated(file):
            kept = salvage_mcap(file, repaired)
            self.issues.append(f"{file.name} is truncated: its first {kept} of "
                               f"{file.stat().st_size} bytes (every complete record) were "
                               "salvaged")
            file = repaired
        check = check_mcap(file)
        if check.unchecked:
            self.issues.append(f"{file.name}: {check.unchecked} of {check.chunks} chunks have "
                               "no CRC or are compressed: a bit flip in them cannot be detected")
        if check.corrupt:
            cleaned = Path(self._workdir.name) / f"crc_{file.name}"
            drop_chunks(file, cleaned, check.corrupt)
            self.issues.append(f"{file.name} is corrupt: {len(check.corrupt)} of {check.chunks} "
                               f"chunks fail their CRC (at bytes {list(check.corrupt)[:5]}) and "
                               f"were skipped; the other {check.chunks - len(check.corrupt)} "
                               "were salvaged")
            return cleaned
        return file


class SensorBag(BagFiles):
    """A bag as the monitor's inputs: ``messages()`` yields decoded sensor messages."""

    def __init__(self, path: str | Path, streams: Sequence[InputStream]) -> None:
        super().__init__(path)
        self.streams = tuple(streams)
        self.ignored_topics: list[str] = []
        self.read: Counter[str] = Counter()
        """Messages read per sensor topic."""
        self._usable: dict[str, InputStream] = {}
        """Sensor topics present with the expected type."""

    def __enter__(self) -> SensorBag:
        super().__enter__()
        topics = {c.topic: c.msgtype for c in self.connections}
        for stream in self.streams:
            found, expected = topics.pop(stream.topic, None), type_name(stream.msg_type)
            if found is None:
                self.issues.append(f"{stream.topic} ({stream.source}) is not in the bag: "
                                   "analysed without it")
            elif found != expected:
                self.issues.append(f"{stream.topic} ({stream.source}) carries {found}, "
                                   f"expected {expected}: skipped")
            else:
                self._usable[stream.topic] = stream
        self.ignored_topics = sorted(topics)
        return self

    def messages(self) -> Iterator[BagMessage]:
        """Sensor messages in record-time order (per storage file, as rosbag2 splits them)."""
        undecodable: Counter[str] = Counter()
        for connection, time_ns, raw in self.raw(self._wanted):
            stream = self._usable[connection.topic]
            try:
                msg = decode(raw, stream.msg_type)
            except Exception:  # rclpy reports bad CDR with plain exceptions
                undecodable[stream.topic] += 1
                continue
            self.read[stream.topic] += 1
            yield BagMessage(stream, time_ns, msg)
        self.issues += [f"{topic}: {count} messages could not be decoded, skipped"
                        for topic, count in undecodable.items()]

    def _wanted(self, connection: Connection) -> bool:
        stream = self._usable.get(connection.topic)
        return stream is not None and connection.msgtype == type_name(stream.msg_type)


def _opened(reader: Reader) -> Reader:
    reader.open()
    return reader
