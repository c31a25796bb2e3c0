"""Business insights on replayed event logs whose truth is planted: demand and its
forecast, prices, peaks, audiences; REST and CLI shapes; bad input."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from rapport.engine import Engine
from rapport.services.insights.forecast import (
    Forecaster,
    best_moving_average_window,
    moving_average,
    seasonal_naive,
    wape,
)
from tests.conftest import Cli, CountingEmbedder, LiveServer

AT = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
PLACE = {"lat": 38.7110, "lon": -9.1370}
FAR = {"lat": 41.1496, "lon": -8.6110}  # Porto, ~275 km away


# -- the forecaster ------------------------------------------------------------------------


def _weekly_series(rng: np.random.Generator, series: int, days: int) -> np.ndarray:
    """Poisson demand with a strong weekly pattern (weekends triple) and a level per series."""
    pattern = np.array([1.0, 0.8, 0.9, 1.0, 1.6, 3.0, 2.7])
    levels = rng.uniform(1.0, 8.0, size=series)
    weekday = np.arange(days) % 7
    return rng.poisson(levels[:, None] * pattern[weekday][None, :]).astype(float)


def test_forecast_beats_peers_on_a_known_weekly_pattern() -> None:
    rng = np.random.default_rng(3)
    data = _weekly_series(rng, series=12, days=400)
    horizon, errors, totals = 14, {"own": 0.0, "naive": 0.0, "ma": 0.0}, 0.0
    forecaster = Forecaster()
    chosen = set()
    for origin in range(300, 400 - horizon + 1, horizon):  # later origins, unseen when fitted
        past, actual = data[:, :origin], data[:, origin : origin + horizon]
        own, fitted = forecaster.forecast(past, 0, horizon)
        chosen.add(fitted.setting.season)
        window = best_moving_average_window(past, horizon, (7, 14, 28, 56, 112), 6)
        errors["own"] += float(np.abs(own - actual).sum())
        errors["naive"] += float(np.abs(seasonal_naive(past, horizon) - actual).sum())
        errors["ma"] += float(np.abs(moving_average(past, horizon, window) - actual).sum())
        totals += float(actual.sum())
    scores = {name: error / totals for name, error in errors.items()}
    assert chosen <= {"own", "pooled"}  # it found the weekly season by itself
    assert scores["own"] < 0.9 * min(scores["naive"], scores["ma"]), scores
    assert scores["own"] < 0.35, scores
    assert wape(np.zeros(3), np.array([1.0, 2.0, 3.0])) == pytest.approx(1.0)


# -- replayed logs ---------------------------------------------------------------------------


def _items() -> list[dict[str, Any]]:
    near = {"location": PLACE, "attributes": {"neighbourhood": "Baixa"}}
    return [
        {"id": "jazz-1", "title": "Jazz at the cellar", "categories": ["jazz"], "price": 15.0,
         "tags": ["jazz", "live"], **near},
        {"id": "jazz-2", "title": "Jazz quartet evening", "categories": ["jazz"], "price": 18.0,
         "tags": ["jazz"], **near},
        {"id": "jazz-3", "title": "Late jazz jam", "categories": ["jazz"], "price": 12.0,
         "tags": ["jazz"], **near},
        {"id": "jazz-new", "title": "New jazz trio night", "categories": ["jazz"],
         "price": 20.0, "tags": ["jazz", "live"], **near},
        {"id": "rock-1", "title": "Rock garage gig", "categories": ["rock"], "price": 10.0,
         "tags": ["rock"], **near},
        {"id": "rock-2", "title": "Punk rock night", "categories": ["rock"], "price": 9.0,
         "tags": ["rock"], **near},
        {"id": "porto-jazz", "title": "Jazz in Porto", "categories": ["jazz"], "price": 14.0,
         "location": FAR},
        {"id": "brunch", "title": "Brunch for two", "categories": ["food"], "price": 12.0,
         "original_price": 16.0},
        {"id": "popular", "title": "Popular tasting", "categories": ["wine"], "price": 30.0},
        {"id": "cheap", "title": "Coffee card", "categories": ["coffee"], "price": 10.0},
    ]  # fmt: skip


def _event(user: str, item: str, kind: str, when: datetime, **extra: Any) -> dict[str, Any]:
    return {"user_id": user, "item_id": item, "type": kind, "timestamp": when.isoformat(), **extra}


def _log() -> list[dict[str, Any]]:
    """Jazz fans like jazz; rock fans like rock; people near the place act at 19:00 Tokyo time
    (10:00 UTC), Porto people at 03:00 UTC; `brunch` sold at two price points."""
    rng = random.Random(5)
    events: list[dict[str, Any]] = []
    start = AT - timedelta(days=56)
    for n in range(4):
        for k, item in enumerate(["jazz-1", "jazz-2", "jazz-3"]):
            when = start + timedelta(days=7 * k + n, hours=10)
            events.append(_event(f"jazz-fan-{n}", item, "like", when))
    for n in range(4):
        for k, item in enumerate(["rock-1", "rock-2"]):
            when = start + timedelta(days=7 * k + n, hours=10)
            events.append(_event(f"rock-fan-{n}", item, "like", when))
    events.append(
        _event("jazz-fan-0", "jazz-new", "purchase", start + timedelta(days=30, hours=10))
    )
    for n in range(40):  # the planted peak hour near PLACE, and noise at other hours
        day = start + timedelta(days=rng.randrange(56))
        events.append(_event(f"local-{n}", "rock-1", "view", day + timedelta(hours=10)))
        noise = day + timedelta(hours=rng.choice([0, 4, 13, 16, 22]))
        events.append(_event(f"local-{n}", "jazz-3", "view", noise))
        events.append(_event(f"porto-{n}", "porto-jazz", "purchase", day + timedelta(hours=3)))
    for n in range(100):  # brunch: 30% conversion at 10, 5% at 12
        day = start + timedelta(days=rng.randrange(56), hours=11)
        for price, rate in ((10.0, 0.3), (12.0, 0.05)):
            user = f"diner-{price:g}-{n}"
            events.append(_event(user, "brunch", "view", day, context={"price": price}))
            if n < rate * 100:
                events.append(_event(user, "brunch", "purchase", day, value=price))
    for n in range(60):  # popular: many sales, nothing else to judge by
        when = AT - timedelta(days=5, hours=n)
        events.append(_event(f"buyer-{n}", "popular", "purchase", when, value=30.0))
    return events


def _load(engine: Engine, tenant: str | None = None) -> None:
    engine.items.add(_items(), tenant=tenant)
    users = {e["user_id"] for e in _log()}
    profiles = [{"id": u, "profile": {"interests": ["jazz"]}} for u in ["newcomer"]]
    engine.users.add([{"id": u} for u in sorted(users)] + profiles, tenant=tenant)
    engine.events.add(_log(), tenant=tenant)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory, minilm: Any) -> Any:
    """One engine for the read-only tests of this module (the audience test trains last)."""
    settings = {"price_floor": 9.5, "tenants": {"strict": {"price_floor": 29.0}}}
    data = tmp_path_factory.mktemp("insights")
    with Engine(data=data, embedder=CountingEmbedder(minilm), insights=settings) as engine:
        _load(engine)
        yield engine


def test_demand_groups_and_weights(loaded: Engine) -> None:
    by_category = loaded.insights.demand(by="category", at=AT, days=60)
    rows = {row.key: row for row in by_category.rows}
    # purchases weigh 1, likes 0.5, views 0.05: wine has 60 purchases, food 35 + 200 views.
    assert rows["wine"].demand == pytest.approx(60.0)
    assert rows["food"].demand == pytest.approx(35 + 200 * 0.05)
    assert rows["jazz"].events["purchase"] == 41
    areas = {row.key for row in loaded.insights.demand(by="area", at=AT, days=60).rows}
    assert {"Baixa", "online"} <= areas and any(a.startswith("cell:41.14") for a in areas)
    earlier = loaded.insights.demand(by="category", at=AT - timedelta(days=30), days=60)
    assert {r.key: r.demand for r in earlier.rows}.get("wine", 0) == 0  # `at` bounds the window


def test_forecast_follows_the_planted_week(loaded: Engine, tmp_path: Path) -> None:
    found = loaded.insights.forecast(at=AT, days=56, horizon=7, category="jazz", area="Baixa")
    assert [s.category for s in found.series] == ["jazz"]
    assert [d.day.isoformat() for d in found.series[0].forecast][:2] == ["2026-03-02", "2026-03-03"]
    assert all(d.demand >= 0 for d in found.series[0].forecast)


def test_peaks_find_the_planted_hour_in_the_time_zone(loaded: Engine) -> None:
    tokyo = loaded.insights.peaks(at=AT, days=60, timezone="Asia/Tokyo", radius_km=1, **PLACE)
    assert tokyo.peak_hours[0].hour == 19  # 10:00 UTC
    assert tokyo.best_slots[0].start in {"18:00", "19:00"}
    assert tokyo.best_slots[0].share > 0.1  # 2 of 168 hours would hold 1.2% if flat
    utc = loaded.insights.peaks(at=AT, days=60, timezone="UTC", radius_km=1, **PLACE)
    assert utc.peak_hours[0].hour == 10
    porto = loaded.insights.peaks(at=AT, days=60, radius_km=5, **FAR)
    assert porto.items == 1 and porto.peak_hours[0].hour == 3


def test_prices_prefer_the_converting_band_and_respect_the_floor(loaded: Engine) -> None:
    found = {s.item_id: s for s in loaded.insights.prices(at=AT, days=60).suggestions}
    brunch = found["brunch"]
    assert brunch.rule == "conversion" and brunch.suggested_price == pytest.approx(10.0, abs=0.3)
    assert "conversion" in brunch.reasons[0]
    popular = found["popular"]  # thin data: the seed's rule, and it says so
    assert popular.rule == "fallback_sales_rule" and popular.suggested_price == pytest.approx(33)
    assert "fallback" in popular.reasons[0]
    cheap = found["cheap"]  # no sales: -10% would be 9.00, under the 9.50 floor
    assert cheap.rule == "fallback_sales_rule" and cheap.floored
    assert cheap.suggested_price == pytest.approx(9.5)
    assert all(s.suggested_price >= 9.5 for s in found.values())
    strict = loaded.insights.config("strict")
    assert strict.price_floor == 29.0 and loaded.insights.config().price_floor == 9.5


def test_audience_ranks_fans_first_and_leaves_out_buyers(loaded: Engine) -> None:
    without_model = loaded.insights.audience("jazz-new", k=6, at=AT)
    assert without_model.model_version is None
    ranked = [m.user_id for m in without_model.users]
    assert "jazz-fan-0" not in ranked and without_model.excluded_engaged == 1
    assert set(ranked[:3]) == {"jazz-fan-1", "jazz-fan-2", "jazz-fan-3"}
    members = loaded.insights.audience("jazz-new", k=200, at=AT).users
    everyone = [m.user_id for m in members]
    assert all(everyone.index("newcomer") < everyone.index(u) for u in everyone if "local" in u)
    fan = next(m for m in without_model.users if m.user_id == "jazz-fan-1")
    assert "liked 3 items in jazz" in fan.reasons
    newcomer = next(m for m in members if m.user_id == "newcomer")
    assert "interests: jazz" in newcomer.reasons
    loaded.models.train()
    with_model = loaded.insights.audience("jazz-new", k=3, at=AT)
    assert with_model.model_version is not None
    assert {m.user_id for m in with_model.users} <= {
        "jazz-fan-1",
        "jazz-fan-2",
        "jazz-fan-3",
        "newcomer",
    }
    assert "jazz-fan-0" in {
        m.user_id for m in loaded.insights.audience("jazz-new", k=50, include_engaged=True).users
    }


def test_rest_shapes_and_bad_input(live: LiveServer, engine: Engine) -> None:
    _load(engine)
    at = AT.isoformat()
    with httpx.Client(base_url=live.url, timeout=60) as http:
        demand = http.get("/insights/demand", params={"by": "hour", "at": at, "days": 60})
        assert demand.status_code == 200 and len(demand.json()["rows"]) == 24
        assert demand.json() == engine.insights.demand(by="hour", at=AT, days=60).model_dump(
            mode="json"
        )
        forecast = http.get("/insights/forecast", params={"at": at, "horizon": 3}).json()
        assert all(len(s["forecast"]) == 3 for s in forecast["series"])
        prices = http.get("/insights/prices", params={"at": at, "item_ids": "brunch"}).json()
        assert [s["item_id"] for s in prices["suggestions"]] == ["brunch"]
        peaks = http.get("/insights/peaks", params={"at": at, "timezone": "Asia/Tokyo"}).json()
        assert peaks["timezone"] == "Asia/Tokyo" and len(peaks["by_hour"]) == 24
        audience = http.get("/items/jazz-new/audience", params={"k": 2, "at": at}).json()
        assert audience["item_id"] == "jazz-new" and len(audience["users"]) == 2
        for path, params, field in (
            ("/insights/demand", {"by": "colour"}, "by"),
            ("/insights/forecast", {"horizon": 0}, "horizon"),
            ("/insights/peaks", {"timezone": "Mars/Olympus"}, "timezone"),
            ("/insights/prices", {"days": -1}, "days"),
            ("/items/jazz-new/audience", {"k": 0}, "k"),
        ):
            bad = http.get(path, params=params)
            assert bad.status_code == 422, path
            assert bad.json()["error"]["details"][0]["field"] == field
        half = http.get("/insights/peaks", params={"lat": 38.7})
        assert half.status_code == 422 and "lat and lon" in half.text
        assert http.get("/items/nothing/audience").status_code == 404


def test_cli_shapes(tmp_path: Path, embedder: CountingEmbedder) -> None:
    with Engine(data=tmp_path, embedder=embedder) as engine:
        _load(engine)
        expected = engine.insights.peaks(at=AT, days=60, timezone="Asia/Tokyo")
    cli = Cli(tmp_path)
    at = AT.isoformat()
    peaks = cli(
        "insights", "peaks", "--at", at, "--days", "60", "--timezone", "Asia/Tokyo", "--json"
    )
    assert peaks.json() == expected.model_dump(mode="json")
    demand = cli("insights", "demand", "--by", "category", "--at", at, "--days", "60", "--json")
    values = [row["demand"] for row in demand.json()["rows"]]
    assert demand.json()["rows"][0]["key"] == "wine" and values == sorted(values, reverse=True)
    prices = cli("insights", "prices", "--item-ids", "brunch", "--at", at, "--json").json()
    assert prices["suggestions"][0]["rule"] == "conversion"
    forecast = cli("insights", "forecast", "--at", at, "--horizon", "2", "--json").json()
    assert forecast["horizon"] == 2
    audience = cli("insights", "audience", "jazz-new", "--k", "2", "--at", at, "--json").json()
    assert len(audience["users"]) == 2
    bad = cli("insights", "demand", "--by", "colour")
    assert bad.returncode == 2 and "by" in bad.stderr + bad.stdout
    assert "peak hours" in cli("insights", "peaks", "--at", at, "--days", "60").stdout


def test_bad_tenant_override_fails_at_start(tmp_path: Path, embedder: CountingEmbedder) -> None:
    with pytest.raises(ValueError, match="insights"):
        Engine(
            data=tmp_path, embedder=embedder, insights={"tenants": {"shop": {"price_floor": -1}}}
        )


def test_engine_forecast_replays_a_weekly_log(tmp_path: Path, embedder: CountingEmbedder) -> None:
    """Saturdays (Lisbon time) sell five times a weekday; the forecast must say so."""
    start = AT - timedelta(days=84)
    events = []
    for day in range(84):
        moment = start + timedelta(days=day, hours=12)
        for n in range(5 if moment.weekday() == 5 else 1):
            events.append(_event(f"yogi-{day}-{n}", "yoga", "purchase", moment, value=12.0))
    with Engine(data=tmp_path, embedder=embedder) as engine:
        yoga = {"id": "yoga", "categories": ["yoga"], "price": 12.0, "location": PLACE}
        engine.items.add([{**yoga, "attributes": {"neighbourhood": "Baixa"}}], index=False)
        engine.events.add(events)
        found = engine.insights.forecast(at=AT, days=84, horizon=14, timezone="Europe/Lisbon")
    (series,) = found.series
    assert (series.category, series.area) == ("yoga", "Baixa")
    saturdays = [d.demand for d in series.forecast if d.day.weekday() == 5]
    others = [d.demand for d in series.forecast if d.day.weekday() != 5]
    assert len(saturdays) == 2 and min(saturdays) > 3 * max(others)
    assert abs(sum(d.demand for d in series.forecast) - 22) < 3  # two weeks: 2 x (5 + 6)
    assert found.validation_wape is not None and found.validation_wape < 0.2
