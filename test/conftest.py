"""Shared test set-up: every run talks DDS only on localhost, on a domain no other run holds."""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("lmd_ros", derandomize=True, deadline=None)
settings.load_profile("lmd_ros")

REPO = Path(__file__).resolve().parents[1]


def _claim_domain_id() -> int:
    """Hold an exclusive lock on one ROS_DOMAIN_ID for this process's lifetime.

    Two test runs on one machine then never share a domain (and so never see each other's
    topics); the lock is released by the OS when the run ends, however it ends.
    """
    lock_dir = Path(tempfile.gettempdir()) / "lmd_ros_domains"
    lock_dir.mkdir(exist_ok=True)
    for domain_id in range(11, 101):
        handle = (lock_dir / f"{domain_id}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _held_locks.append(handle)
        return domain_id
    raise RuntimeError(f"all ROS domain ids 11..100 are held by other test runs ({lock_dir})")


_held_locks: list = []
os.environ["ROS_DOMAIN_ID"] = str(_claim_domain_id())
os.environ["ROS_AUTOMATIC_DISCOVERY_RANGE"] = "LOCALHOST"
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
