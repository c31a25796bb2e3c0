"""Bar charts of benchmark results (matplotlib, from the `bench` extra)."""

from __future__ import annotations

from pathlib import Path


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
