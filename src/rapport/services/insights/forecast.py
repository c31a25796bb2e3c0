"""Forecasts of daily demand series (one row per category x area), with settings chosen from
the data itself.

The model is a robust level times a weekday profile:

- the *profile* says how much of a week's demand falls on each weekday, per series, shrunk
  towards the profile of all series together (sparse series borrow the shape of the rest);
- the *level* is a statistic (the mean or a quantile) of the deseasonalised last `window`
  days. WAPE is an absolute error, whose best point forecast is the median: on bursty
  demand (one customer buying fifty at once) a quantile level beats the mean.

`Forecaster.fit` tries every setting on rolling origins at the end of the history it is
given (each origin forecasts the next `horizon` days from the days before it) and keeps the
one with the lowest WAPE over all series together. It never looks past the history: a
benchmark that calls it at an origin tests it on data it has not seen. `seasonal_naive` and
`moving_average` are the peers it is compared with.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import product

import numpy as np

from rapport.core.components import ComponentConfig
from rapport.core.models import Schema
from rapport.services.insights.data import Window
from rapport.services.insights.demand import demand_events, selected
from rapport.services.insights.requests import ForecastRequest

PERIOD = 7
"""Days of the weekly season."""


class ForecastConfig(ComponentConfig):
    """What the forecaster may choose from, and how it validates."""

    horizon: int = 14
    """Days forecast ahead (also the spacing of validation origins)."""
    windows: tuple[int, ...] = (7, 14, 28, 56, 112)
    """Days the level is taken over."""
    levels: tuple[float, ...] = (-1.0, 0.3, 0.4, 0.5, 0.6)
    """Statistic of the level: a quantile, or -1 for the mean."""
    seasons: tuple[str, ...] = ("none", "pooled", "own")
    """Weekday profile: none, the one of all series together, or each series' own shrunk
    towards the pooled one."""
    profile_days: int = 84
    """Days the weekday profile is measured over (a multiple of 7)."""
    prior: float = 20.0
    """Pseudo-count of the pooled profile when a series' own profile is shrunk to it."""
    validation_origins: int = 6
    """Rolling origins at the end of the history the settings are chosen on."""


@dataclass(frozen=True)
class Setting:
    """One choice of the forecaster."""

    window: int
    level: float
    season: str

    def describe(self) -> str:
        stat = "mean" if self.level < 0 else f"q{self.level:g}"
        return f"{stat} of the last {self.window} periods, weekday profile {self.season}"


@dataclass(frozen=True)
class Fitted:
    """The chosen setting and its validation WAPE (NaN without enough history)."""

    setting: Setting
    validation_wape: float


def wape(forecast: np.ndarray, actual: np.ndarray) -> float:
    """Weighted absolute percentage error: total absolute error over total demand."""
    total = float(np.abs(actual).sum())
    return float(np.abs(forecast - actual).sum()) / total if total > 0 else float("nan")


def _weekdays(start_weekday: int, first: int, count: int) -> np.ndarray:
    return (start_weekday + first + np.arange(count)) % PERIOD


def _profiles(history: np.ndarray, start_weekday: int, config: ForecastConfig) -> np.ndarray:
    """Per series and weekday, the profile (1 = an average day): the pooled and the own
    (shrunk) one, 2 x series x 7."""
    days = min(history.shape[1] // PERIOD * PERIOD, config.profile_days)
    if days < PERIOD:
        return np.ones((2, history.shape[0], PERIOD))
    first = history.shape[1] - days
    recent = np.clip(history[:, first:], 0, None)
    weekdays = _weekdays(start_weekday, first, days)
    sums = np.stack([recent[:, weekdays == d].sum(axis=1) for d in range(PERIOD)], axis=1)
    totals = sums.sum(axis=1, keepdims=True)
    pooled = sums.sum(axis=0)
    pooled_share = pooled / pooled.sum() if pooled.sum() > 0 else np.full(PERIOD, 1 / PERIOD)
    share = (sums + config.prior * pooled_share) / (totals + config.prior)
    return np.stack([np.broadcast_to(pooled_share * PERIOD, share.shape), share * PERIOD])


def _forecast(
    history: np.ndarray,
    start_weekday: int,
    setting: Setting,
    horizon: int,
    profiles: np.ndarray,
) -> np.ndarray:
    n = history.shape[1]
    window = min(setting.window, n)
    if setting.season == "none":
        profile = np.ones((history.shape[0], PERIOD))
    else:
        profile = profiles[0] if setting.season == "pooled" else profiles[1]
    # A floor keeps a weekday that never sold from dividing by zero.
    profile = np.maximum(profile, 0.05)
    past = _weekdays(start_weekday, n - window, window)
    rows = np.arange(history.shape[0])[:, None]
    adjusted = history[:, n - window :] / profile[rows, past[None, :]]
    if setting.level < 0:
        level = adjusted.mean(axis=1)
    else:
        level = np.quantile(adjusted, setting.level, axis=1)
    ahead = _weekdays(start_weekday, n, horizon)
    return np.clip(level[:, None] * profile[rows, ahead[None, :]], 0, None)


class Forecaster:
    """Chooses its setting on the end of a history, then forecasts from it."""

    def __init__(self, config: ForecastConfig | None = None) -> None:
        self.config = config or ForecastConfig()

    def settings(self) -> list[Setting]:
        c = self.config
        return [Setting(w, q, s) for s, w, q in product(c.seasons, c.windows, c.levels)]

    def fit(self, history: np.ndarray, start_weekday: int) -> Fitted:
        """Choose the setting with the lowest pooled WAPE on rolling origins at the end of
        `history` (series x days; `start_weekday` is the weekday of its first day, Monday 0)."""
        history = np.asarray(history, dtype=np.float64)
        h = self.config.horizon
        n = history.shape[1]
        origins = [n - h * k for k in range(1, self.config.validation_origins + 1)]
        origins = [o for o in origins if o >= 2 * PERIOD]
        candidates = self.settings()
        if not origins:
            return Fitted(Setting(min(n, 28) or 1, -1.0, "none"), float("nan"))
        errors = np.zeros(len(candidates))
        total = 0.0
        for origin in origins:
            past, actual = history[:, :origin], history[:, origin : origin + h]
            profiles = _profiles(past, start_weekday, self.config)
            total += float(actual.sum())
            for i, setting in enumerate(candidates):
                found = _forecast(past, start_weekday, setting, h, profiles)
                errors[i] += float(np.abs(found - actual).sum())
        best = int(np.argmin(errors))  # ties keep the first, simplest setting
        return Fitted(candidates[best], errors[best] / total if total > 0 else float("nan"))

    def predict(
        self, history: np.ndarray, start_weekday: int, setting: Setting, horizon: int
    ) -> np.ndarray:
        history = np.asarray(history, dtype=np.float64)
        profiles = _profiles(history, start_weekday, self.config)
        return _forecast(history, start_weekday, setting, horizon, profiles)

    def forecast(
        self, history: np.ndarray, start_weekday: int, horizon: int | None = None
    ) -> tuple[np.ndarray, Fitted]:
        """Fit on `history` and forecast `horizon` days after it (series x horizon)."""
        fitted = self.fit(history, start_weekday)
        ahead = horizon or self.config.horizon
        return self.predict(history, start_weekday, fitted.setting, ahead), fitted


# -- peers ---------------------------------------------------------------------------------


def seasonal_naive(history: np.ndarray, horizon: int, period: int = PERIOD) -> np.ndarray:
    """Each day as the same day of the last season (the same weekday of the last week)."""
    last = np.asarray(history, dtype=np.float64)[:, -period:]
    repeats = -(-horizon // period)
    return np.tile(last, (1, repeats))[:, :horizon]


def moving_average(history: np.ndarray, horizon: int, window: int) -> np.ndarray:
    """Every day as the mean of the last `window` days."""
    mean = np.asarray(history, dtype=np.float64)[:, -window:].mean(axis=1, keepdims=True)
    return np.repeat(mean, horizon, axis=1)


def best_moving_average_window(
    history: np.ndarray, horizon: int, windows: tuple[int, ...], origins: int
) -> int:
    """The moving-average peer's window, chosen the same way as the forecaster's settings
    (rolling origins at the end of the history), so the comparison is fair."""
    n = history.shape[1]
    starts = [o for o in (n - horizon * k for k in range(1, origins + 1)) if o >= 2 * PERIOD]
    if not starts:
        return windows[0]
    errors = [
        sum(
            float(
                np.abs(
                    moving_average(history[:, :o], horizon, w) - history[:, o : o + horizon]
                ).sum()
            )
            for o in starts
        )
        for w in windows
    ]
    return windows[int(np.argmin(errors))]


# -- the forecast of a tenant's demand -------------------------------------------------------


class ForecastDay(Schema):
    day: date
    """Local day."""
    demand: float
    """Expected weighted demand."""


class ForecastSeries(Schema):
    category: str
    """The category."""
    area: str
    """The area (named, `cell:LAT,LON` or `online`)."""
    total: float
    """Demand over the history read."""
    recent: list[float]
    """Demand of the last 28 days, oldest first (for a chart)."""
    forecast: list[ForecastDay]
    """One value per day from the local day of `at`."""


class DemandForecast(Schema):
    """Daily demand per category x area for the days from `at` on."""

    at: datetime
    """The moment the forecast is made at."""
    timezone: str
    """Time zone of the days."""
    history_days: int
    """Days of history learned from."""
    horizon: int
    """Days forecast."""
    setting: str
    """What the forecaster chose on the history (pooled over all series)."""
    validation_wape: float | None
    """Its WAPE on the last rolling origins of the history (None without enough history)."""
    series: list[ForecastSeries]
    """The busiest category x area series first."""


def forecast_demand(window: Window, request: ForecastRequest, timezone: str) -> DemandForecast:
    """Forecast every category x area series of the window; the setting is chosen once
    over all series, and the weekday profile of sparse series leans on the pooled one."""
    items = selected(window, request)
    first = window.since.astimezone(window.zone).date()
    today = window.at.astimezone(window.zone).date()
    days = max((today - first).days, 1)
    series: defaultdict[tuple[str, str], np.ndarray] = defaultdict(lambda: np.zeros(days))
    for event, weight in demand_events(window, items):
        index = (window.local(event).date() - first).days
        if not 0 <= index < days:
            continue  # today's events are incomplete: the forecast starts with today
        item = items[event.item_id or ""]
        for category in item.categories or ["(none)"]:
            series[(category, window.area(item))][index] += weight
    keys = sorted(series, key=lambda k: (-float(series[k].sum()), k))
    forecaster = Forecaster(ForecastConfig(horizon=request.horizon))
    if keys:
        matrix = np.vstack([series[k] for k in keys])
        predicted, fitted = forecaster.forecast(matrix, first.weekday(), request.horizon)
    else:
        predicted, fitted = np.zeros((0, request.horizon)), None
    error = fitted.validation_wape if fitted is not None else float("nan")
    return DemandForecast(
        at=window.at,
        timezone=timezone,
        history_days=days,
        horizon=request.horizon,
        setting=fitted.setting.describe() if fitted is not None else "no demand in the window",
        validation_wape=None if np.isnan(error) else round(error, 4),
        series=[
            ForecastSeries(
                category=category,
                area=area,
                total=round(float(series[(category, area)].sum()), 4),
                recent=[round(float(v), 4) for v in series[(category, area)][-28:]],
                forecast=[
                    ForecastDay(day=today + timedelta(days=d), demand=round(float(v), 4))
                    for d, v in enumerate(predicted[row])
                ],
            )
            for row, (category, area) in enumerate(keys[: request.top])
        ],
    )
