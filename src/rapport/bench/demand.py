"""`rapport bench demand`: MovieLens ratings per genre (or decade) per day as demand series;
rapport's forecaster against a seasonal-naive and a moving-average peer on a later time
split, with several forecast origins.

At every origin each method sees only the days before it: the forecaster chooses its
setting on rolling origins inside that history, and the moving-average peer its window the
same way, so no setting is chosen on the days being scored. Origins before `split` are the
validation part (reported, never used to pick anything by hand); origins from `split` on
are the test part the headline numbers come from.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

from rapport.bench.datasets import movielens_movies, movielens_ratings
from rapport.core.models import Schema
from rapport.services.insights.forecast import (
    ForecastConfig,
    Forecaster,
    best_moving_average_window,
    moving_average,
    seasonal_naive,
)

AGGREGATIONS = ("genre", "decade")
FREQUENCIES = ("day", "week")


class MethodScore(Schema):
    wape: float
    """Total absolute error over total demand, on the test origins."""
    validation_wape: float
    """The same on the validation origins (before the split)."""


class DemandBench(Schema):
    """What `rapport bench demand` measured."""

    aggregation: str
    frequency: str
    series: int
    periods: int
    split: str
    """First day of the test part."""
    horizon: int
    test_origins: int
    validation_origins: int
    scores: dict[str, MethodScore]
    """rapport, seasonal_naive, moving_average and `zero` (a forecast of nothing, the
    reference that shows how sparse the series are: its WAPE is always 1)."""
    best_peer: str
    ratio_to_best_peer: float
    """rapport's test WAPE over the best peer's (below 0.9 meets the goal)."""
    chosen: dict[str, int]
    """How often each setting was chosen across test origins."""
    plot_series: str
    """The series drawn in the plot."""
    plot_days: list[str]
    plot_actual: list[float]
    plot_forecast: list[float]
    plot_peer: list[float]
    """The best peer's forecast at the same origin."""


def _read(folder: Path, aggregation: str) -> tuple[dict[str, list[str]], list[tuple[str, int]]]:
    groups: dict[str, list[str]] = {}
    for movie in movielens_movies(folder):
        if aggregation == "genre":
            groups[movie.id] = movie.genres
        else:
            groups[movie.id] = [f"{movie.year // 10}0s"] if movie.year else []
    ratings = [(rating.movie, rating.timestamp) for rating in movielens_ratings(folder)]
    return groups, ratings


def demand_matrix(
    folder: Path, aggregation: str = "genre", frequency: str = "day"
) -> tuple[list[str], date, np.ndarray]:
    """Ratings per group per day (or week, starting Mondays): names, first day, matrix."""
    groups, ratings = _read(folder, aggregation)
    counts: Counter[tuple[str, date]] = Counter()
    for movie, stamp in ratings:
        day = datetime.fromtimestamp(stamp, UTC).date()
        if frequency == "week":
            day -= timedelta(days=day.weekday())
        for label in groups.get(movie, []):
            counts[(label, day)] += 1
    names = sorted({label for label, _ in counts})
    first = min(day for _, day in counts)
    step = 7 if frequency == "week" else 1
    periods = (max(day for _, day in counts) - first).days // step + 1
    matrix = np.zeros((len(names), periods))
    row = {name: i for i, name in enumerate(names)}
    for (label, day), n in counts.items():
        matrix[row[label], (day - first).days // step] += n
    return names, first, matrix


def bench_demand(
    folder: Path,
    aggregation: str = "genre",
    frequency: str = "day",
    split: str = "2017-01-01",
    validation_from: str = "2015-07-01",
) -> DemandBench:
    if aggregation not in AGGREGATIONS or frequency not in FREQUENCIES:
        raise ValueError(f"aggregation one of {AGGREGATIONS}, frequency one of {FREQUENCIES}")
    names, first, matrix = demand_matrix(folder, aggregation, frequency)
    weekly = frequency == "week"
    step_days = 7 if weekly else 1
    config = (
        ForecastConfig(horizon=4, windows=(2, 4, 8, 16, 26), seasons=("none",))
        if weekly
        else ForecastConfig()
    )
    horizon = config.horizon
    forecaster = Forecaster(config)
    start_weekday = first.weekday()

    def index(day: str) -> int:
        return (date.fromisoformat(day) - first).days // step_days

    cut, begin = index(split), index(validation_from)
    periods = matrix.shape[1]
    origins = list(range(begin, periods - horizon + 1, horizon))
    methods = ("rapport", "seasonal_naive", "moving_average", "zero")
    errors = {part: dict.fromkeys(methods, 0.0) for part in ("validation", "test")}
    totals = {"validation": 0.0, "test": 0.0}
    chosen: Counter[str] = Counter()
    last: tuple[int, np.ndarray, dict[str, np.ndarray]] | None = None
    for origin in origins:
        part = "test" if origin >= cut else "validation"
        past, actual = matrix[:, :origin], matrix[:, origin : origin + horizon]
        ours, fitted = forecaster.forecast(past, start_weekday, horizon)
        window = best_moving_average_window(
            past, horizon, config.windows, config.validation_origins
        )
        forecasts = {
            "rapport": ours,
            "seasonal_naive": seasonal_naive(past, horizon, 1 if weekly else 7),
            "moving_average": moving_average(past, horizon, window),
            "zero": np.zeros_like(actual),
        }
        for name, values in forecasts.items():
            errors[part][name] += float(np.abs(values - actual).sum())
        totals[part] += float(actual.sum())
        if part == "test":
            chosen[fitted.setting.describe()] += 1
            last = (origin, ours, forecasts)
    scores = {
        name: MethodScore(
            wape=round(errors["test"][name] / totals["test"], 4),
            validation_wape=round(errors["validation"][name] / max(totals["validation"], 1), 4),
        )
        for name in methods
    }
    peers = ("seasonal_naive", "moving_average")
    best = min(peers, key=lambda name: scores[name].wape)
    # The plot: the busiest series over the test part, with the last origin's forecast.
    busiest = int(np.argmax(matrix[:, cut:].sum(axis=1)))
    origin, ours, peers_at = last if last is not None else (cut, np.zeros((len(names), 0)), {})
    peer = peers_at.get(best, np.zeros_like(ours))
    shown = range(max(cut, origin - 8 * horizon), min(periods, origin + horizon))
    return DemandBench(
        aggregation=aggregation,
        frequency=frequency,
        series=len(names),
        periods=periods,
        split=split,
        horizon=horizon,
        test_origins=sum(1 for o in origins if o >= cut),
        validation_origins=sum(1 for o in origins if o < cut),
        scores=scores,
        best_peer=best,
        ratio_to_best_peer=round(scores["rapport"].wape / scores[best].wape, 4),
        chosen=dict(chosen.most_common()),
        plot_series=names[busiest],
        plot_days=[(first + timedelta(days=i * step_days)).isoformat() for i in shown],
        plot_actual=[float(matrix[busiest, i]) for i in shown],
        plot_peer=[
            float(peer[busiest, i - origin]) if i >= origin else float("nan") for i in shown
        ],
        plot_forecast=[
            float(ours[busiest, i - origin]) if i >= origin else float("nan") for i in shown
        ],
    )
