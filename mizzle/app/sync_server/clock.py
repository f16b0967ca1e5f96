"""How far the server trusts a device's clock: the time a pushed row says it was written.

Last-write-wins compares the times rows were written on their devices (`rules.remote_wins`),
so the server keeps each pushed row's `last_modified_at`, with two exceptions: a time more
than `ServerConfig.max_clock_skew` seconds ahead of the server's clock (a device whose clock
runs far ahead would otherwise win every conflict until the world caught up with it) and a
missing time both become the server's time. The row is applied either way: capped, not
rejected, so the edit is never lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from mizzle.core.sync import wire
from mizzle.core.sync.names import LAST_MODIFIED_AT


def clocked(row: Mapping[str, Any], now: datetime, max_skew_s: float) -> Mapping[str, Any]:
    """`row` with a time LWW can trust (`now`: the server's clock, timezone-aware)."""
    given = row.get(LAST_MODIFIED_AT)
    if isinstance(given, str):
        try:
            moment = datetime.fromisoformat(given)
        except ValueError:
            return row  # not a time: apply_remote rejects it with the reason
        if moment.tzinfo is None:  # the wire form without an offset is UTC
            moment = moment.replace(tzinfo=UTC)
        if moment <= now + timedelta(seconds=max_skew_s):
            return row
    elif given is not None:
        return row  # not text: apply_remote rejects it with the reason
    # last_modified_at holds milliseconds (timestamptz(3)): more would be rejected
    return {**row, LAST_MODIFIED_AT: wire.timestamptz_text(now.replace(microsecond=now.microsecond // 1000 * 1000))}
