"""Keeping a stateful agent's input in offset order when its client may deliver stale records.

Used by the Faust host (see :mod:`streams.runtime.faust_host`); pure, so it is unit-tested
on its own.
"""

from __future__ import annotations


class OrderGate:
    """Admits a stateful agent's input records only in offset order from its restored state.

    Faust may deliver records it fetched before the recovery seek (from the committed
    offset), and its own read-offset filter can then swallow the records the seek asked for.
    A record past the expected offset is therefore dropped and the partition re-sought to the
    expected offset until the expected record arrives. If the broker answers a re-seek with
    the same later offset again, nothing exists in between (retention or compaction) and
    that record is admitted.
    """

    def __init__(self) -> None:
        self._dropped: dict[tuple[str, int], int] = {}

    def admit(self, tp: tuple[str, int], offset: int, expected: int | None) -> bool:
        """Whether to process ``offset`` of ``tp`` when the state expects ``expected`` next."""
        if expected is None or offset <= expected:  # the engine skips what it already has
            if offset == expected:
                self._dropped.pop(tp, None)
            return True
        first = self._dropped.get(tp)
        if first == offset:  # asked again from ``expected``, the broker starts here: a gap
            del self._dropped[tp]
            return True
        self._dropped[tp] = offset if first is None else min(first, offset)
        return False
