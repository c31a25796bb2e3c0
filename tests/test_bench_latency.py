"""`rapport bench latency`'s ruler: rapport and the peer measured request by request in a
random order per pair, ratios against the peer of the same ruler, and a reproducible load
of busy processes that is stopped afterwards."""

from __future__ import annotations

import time
from pathlib import Path

from rapport.bench.latency import (
    PEER,
    RAPPORT,
    Timing,
    busy_processes,
    paired,
    timed,
    with_ratios,
)


def test_pairs_run_each_call_once_per_round_in_a_random_order() -> None:
    calls: list[tuple[str, int]] = []
    found = paired(
        {
            "peer": lambda n: calls.append(("peer", n)),
            "rapport": lambda n: calls.append(("rapport", n)),
        },
        40,
        lambda _: None,
    )
    assert [t.name for t in found] == ["peer", "rapport"]
    assert all(t.requests == 40 and t.ruler == "interleaved" for t in found)
    rounds = [calls[2 * n : 2 * n + 2] for n in range(40)]
    # Every round runs both calls with its own number...
    assert all(sorted(r) == [("peer", n), ("rapport", n)] for n, r in enumerate(rounds))
    # ...and each goes first in some rounds: neither always meets the moment after the other.
    firsts = [r[0][0] for r in rounds]
    assert 5 <= firsts.count("peer") <= 35
    # The same seed gives the same order: runs are comparable.
    again: list[str] = []
    paired({"peer": lambda n: again.append("peer"), "rapport": lambda n: again.append("rapport")},
           40, lambda _: None)  # fmt: skip
    assert again[::2] == firsts


def test_timings_are_compared_with_the_peer_of_their_ruler() -> None:
    def timing(name: str, p99: float, ruler: str) -> Timing:
        return Timing(name=name, p50_ms=p99 / 2, p99_ms=p99, requests=100, ruler=ruler)

    found = with_ratios(
        [
            timing(PEER, 2.0, "interleaved"),
            timing(RAPPORT, 7.0, "interleaved"),
            timing(PEER, 1.0, "sequential"),
            timing(RAPPORT, 6.0, "sequential"),
            timing("rest", 9.0, "rest"),
        ]
    )
    assert [t.vs_peer for t in found] == [1.0, 3.5, 1.0, 6.0, 4.5]


def test_sequential_timing_measures_every_call() -> None:
    seen: list[int] = []
    found = timed("x", 25, seen.append, lambda _: None)
    assert seen == list(range(25))
    assert found.requests == 25 and found.ruler == "sequential"
    assert 0 <= found.p50_ms <= found.p99_ms


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_busy_processes_spin_during_the_block_and_stop_after() -> None:
    with busy_processes(2) as started:
        assert len(started) == 2
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(_cpu_ticks(p.pid) > 5 for p in started):
            time.sleep(0.05)
        assert all(p.poll() is None for p in started)  # still running
        assert all(_cpu_ticks(p.pid) > 5 for p in started)  # and burning CPU
    assert all(p.poll() is not None for p in started)  # stopped with the block
    with busy_processes(0) as none:
        assert none == []
