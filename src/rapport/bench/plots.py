"""Bar charts of benchmark results (matplotlib, from the `bench` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def bar_chart(values: dict[str, float], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only, no screen
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 3.5))
    names = list(values)
    colours = ["#d95f02" if name == "rapport" else "#7570b3" for name in names]
    bars = axis.bar(names, [values[n] for n in names], color=colours)
    axis.bar_label(bars, fmt="%.3f")
    axis.set_title(title)
    axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def scale_chart(results: list[Any], path: Path) -> None:
    """`rapport bench scale` runs side by side: p99 latency of each measurement (left, log
    scale) and the time of each phase (right), one bar per catalogue size; phases a resumed
    run skipped are left out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (latency, phases) = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / max(len(results), 1)
    names = list(dict.fromkeys(t.name for r in results for t in r.timings))
    steps = list(dict.fromkeys(p.name for r in results for p in r.phases))
    for n, result in enumerate(results):
        label = f"{result.items:,} items"
        p99 = {t.name: t.p99_ms for t in result.timings}
        seconds = phase_seconds(result)
        latency.bar(
            [i + n * width for i in range(len(names))],
            [p99.get(name, 0.0) for name in names],
            width,
            label=label,
        )
        phases.bar(
            [i + n * width for i in range(len(steps))],
            [seconds.get(step, 0.0) for step in steps],
            width,
            label=label,
        )
    latency.set_yscale("log")
    latency.set_ylabel("p99 ms")
    latency.set_xticks([i + width * (len(results) - 1) / 2 for i in range(len(names))])
    latency.set_xticklabels([_short(n) for n in names], rotation=30, ha="right", fontsize=8)
    latency.set_title("Request latency (p99)")
    phases.set_yscale("log")
    phases.set_ylabel("seconds")
    phases.set_xticks([i + width * (len(results) - 1) / 2 for i in range(len(steps))])
    phases.set_xticklabels([_short(s) for s in steps], rotation=30, ha="right", fontsize=8)
    phases.set_title("Phases")
    for axis in (latency, phases):
        axis.spines[["top", "right"]].set_visible(False)
        axis.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _short(name: str) -> str:
    return (
        name.replace("rapport ", "")
        .replace(" (numpy)", "")
        .replace("(catalogue frame, model mapping)", "")
        .replace("/users/{id}/recommendations", "recommend")
        .replace("/items/{id}/similar", "similar")
    )


def phase_seconds(result: Any) -> dict[str, float]:
    """Seconds of each phase a `bench scale` run did (a resumed run's skipped imports are
    not import times)."""
    from rapport.bench.scale import SKIPPED

    return {p.name: p.seconds for p in result.phases if p.note != SKIPPED}


def demand_chart(
    days: list[str],
    actual: list[float],
    forecast: list[float],
    title: str,
    path: Path,
    peer: tuple[str, list[float]] | None = None,
) -> None:
    """A demand curve, the forecast made at its last origin and a peer's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(9, 3.5))
    axis.plot(days, actual, color="#7570b3", label="demand")
    axis.plot(days, forecast, color="#d95f02", linewidth=2, label="rapport forecast")
    if peer is not None:
        axis.plot(days, peer[1], color="#1b9e77", linestyle="--", label=f"{peer[0]} (peer)")
    axis.set_title(title)
    axis.set_xticks(days[:: max(1, len(days) // 8)])
    axis.tick_params(axis="x", labelrotation=30, labelsize=8)
    axis.legend(frameon=False)
    axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def experiment_chart(report: Any, truth: dict[str, float], path: Path) -> None:
    """CTR per variant with its 95% Wilson interval, and the true CTR the replay drew from."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report.variants)
    variants = [report.variants[n] for n in names]
    figure, axis = plt.subplots(figsize=(7, 3.8))
    positions = list(range(len(names)))
    axis.errorbar(
        positions,
        [v.ctr for v in variants],
        yerr=[[v.ctr - v.ctr_low for v in variants], [v.ctr_high - v.ctr for v in variants]],
        fmt="o",
        capsize=8,
        color="#d95f02",
        label="measured CTR, 95% Wilson interval",
    )
    axis.scatter(
        positions,
        [truth[n] for n in names],
        marker="x",
        color="#1b9e77",
        label="true CTR",
        zorder=3,
    )
    axis.set_xticks(positions)
    axis.set_xticklabels(
        [
            f"{n}{' (control)' if v.control else ''}\n{v.users} users, {v.impressions} shown"
            for n, v in zip(names, variants, strict=True)
        ]
    )
    p = report.p_value
    axis.set_title(f"Replayed A/B test: CTR per variant (p = {p:.2g})" if p is not None else "CTR")
    axis.set_ylabel("clicks per impression")
    axis.margins(x=0.3)
    axis.legend(loc="upper left", fontsize=8)
    axis.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
