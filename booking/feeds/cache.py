"""Feed bodies kept by their ETag, so that a 200 for unchanged data costs about a 304.

An ETag names one feed of one user at one set of calendar versions (queries.stamp), so a
body kept under it is never stale and never another user's. Kept in Redis when
FEED_CACHE_URL names one (shared by every app server), else in the instance folder (shared
by the workers of one server); FEED_CACHE_URL=off keeps nothing.
"""

import contextlib
import os
import random
import time
import uuid
from datetime import timedelta
from pathlib import Path

import redis
from flask import Flask, current_app

KEPT = timedelta(days=1)  # a feed not fetched for a day is built again
PREFIX = "booking:feed:"


class DiskCache:
    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def get(self, key: str) -> bytes | None:
        try:
            return (self.folder / f"{key}.ics").read_bytes()
        except OSError:
            return None

    def put(self, key: str, body: bytes) -> None:
        """Write whole or not at all: a reader never sees half a file."""
        partial = self.folder / f".{key}.{uuid.uuid4().hex}"
        try:
            partial.write_bytes(body)
            os.replace(partial, self.folder / f"{key}.ics")
        except OSError:  # a full disk costs a rebuild next time, never an error
            partial.unlink(missing_ok=True)
        if random.random() < 0.01:
            self.prune()

    def prune(self) -> None:
        """Remove bodies no calendar has asked for within a day (their feeds moved on)."""
        oldest = time.time() - KEPT.total_seconds()
        for path in self.folder.glob("*.ics"):
            try:
                if path.stat().st_atime < oldest and path.stat().st_mtime < oldest:
                    path.unlink()
            except OSError:
                pass


class RedisCache:
    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url, socket_timeout=0.5)

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get(PREFIX + key)
        except redis.RedisError:  # the cache is a saving, never a dependency
            return None

    def put(self, key: str, body: bytes) -> None:
        with contextlib.suppress(redis.RedisError):
            self.client.set(PREFIX + key, body, ex=KEPT)


class NoCache:
    def get(self, _key: str) -> None:
        return None

    def put(self, _key: str, _body: bytes) -> None:
        return None


def bodies() -> DiskCache | RedisCache | NoCache:
    return current_app.extensions["feed_cache"]


def init_app(app: Flask) -> None:
    url = app.config["FEED_CACHE_URL"]
    if url == "off":
        app.extensions["feed_cache"] = NoCache()
    elif url.startswith(("redis://", "rediss://", "unix://")):
        app.extensions["feed_cache"] = RedisCache(url)
    else:
        app.extensions["feed_cache"] = DiskCache(Path(url or app.instance_path) / "feed-cache")
