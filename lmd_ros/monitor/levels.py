"""Alarm levels, shared by every detector and the diagnostics output."""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    """Alarm levels, numbered as ``diagnostic_msgs/DiagnosticStatus``."""

    OK = 0
    WARN = 1
    ERROR = 2
    STALE = 3
