"""Natural-language item search: filters read from the query, hybrid matching, context and
personalisation, over the library, CLI and HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from rapport.engine import Engine
from tests.conftest import Cli, LiveServer

# A fixed afternoon: "tonight" is ahead of it at any hour the suite runs.
NOW = datetime(2026, 6, 5, 15, tzinfo=UTC)
TONIGHT = NOW.replace(hour=20)
HERE = {"lat": 38.7107, "lon": -9.1366}


def offer(
    id_: str,
    title: str,
    tags: list[str],
    price: float,
    *,
    km: float = 0.5,
    starts: datetime | None = None,
    hours: int = 30,
) -> dict:
    starts = starts or TONIGHT - timedelta(hours=12)
    return {
        "id": id_,
        "kind": "offer",
        "title": title,
        "tags": tags,
        "categories": ["food"],
        "price": price,
        "original_price": price * 1.5,
        "location": {"lat": HERE["lat"] + km / 111.0, "lon": HERE["lon"]},
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=hours)).isoformat(),
    }


CATALOGUE = [
    offer("vegan-lunch", "Vegan lunch bowl at Horta", ["vegan"], 9.0),
    offer("vegan-dinner", "Vegan tasting menu at Raiz", ["vegan"], 35.0),
    offer("steak", "Steak and chips at Ribeira grill", ["meat"], 14.0),
    offer("vegan-far", "Vegan bakery box in Sintra", ["vegan"], 8.0, km=20),
    offer(
        "vegan-later",
        "Vegan brunch next month",
        ["vegan"],
        12.0,
        starts=TONIGHT + timedelta(days=30),
        hours=3,
    ),
    {
        "id": "jazz",
        "kind": "event",
        "title": "Jazz trio tonight",
        "tags": ["music"],
        "categories": ["concert"],
        "price": 10.0,
        "location": HERE,
        "starts_at": TONIGHT.isoformat(),
        "ends_at": (TONIGHT + timedelta(hours=2)).isoformat(),
    },
]


@pytest.fixture
def city(sqlite_engine: Engine) -> Engine:
    sqlite_engine.items.add(CATALOGUE)
    return sqlite_engine


def test_the_seed_query_filters_and_ranks(city: Engine) -> None:
    result = city.search.items("vegan food offers near me tonight under 20", **HERE, at=NOW)
    ids = [h.item_id for h in result.hits]
    assert ids[0] == "vegan-lunch"
    assert set(ids) <= {"vegan-lunch", "steak"}  # price, distance and time filter the rest
    assert result.query.kind == "offer" and result.query.max_price == 20
    assert "matches 'vegan'" in result.hits[0].reasons
    assert any("km away" in r for r in result.hits[0].reasons)


def test_near_me_without_a_place_is_reported(city: Engine) -> None:
    result = city.search.items("vegan offers near me", at=NOW)
    assert result.notes == ["'near me' ignored: no location given"]
    assert "vegan-far" in [h.item.id for h in result.hits]


def test_plain_text_matches_by_meaning(city: Engine) -> None:
    result = city.search.items("live music this evening", at=NOW, k=1)
    assert [h.item.id for h in result.hits] == ["jazz"]


def test_personalisation_reorders(city: Engine) -> None:
    city.users.add([{"id": "herbivore"}, {"id": "carnivore"}])
    city.events.add(
        [
            {"user_id": "herbivore", "item_id": "vegan-dinner", "type": "like"},
            {"user_id": "carnivore", "item_id": "steak", "type": "purchase"},
        ]
    )

    def first(user: str) -> str:
        return city.search.items("lunch offers", user_id=user, at=NOW).hits[0].item.id

    assert first("herbivore") == "vegan-lunch"
    assert (
        city.search.items("dinner", user_id="carnivore", at=NOW).hits[0].item.id != "vegan-dinner"
    )


def test_explicit_filters_apply_on_top_of_the_query(city: Engine) -> None:
    result = city.search.items("offers tonight", at=NOW, max_price=9, kind="offer")
    assert result.hits and all(h.item.price is not None and h.item.price <= 9 for h in result.hits)


def test_search_over_cli_and_http(city: Engine, cli: Cli, tmp_path: Path) -> None:
    with LiveServer(city) as live, httpx.Client(base_url=live.url, timeout=60) as http:
        body = http.get(
            "/search",
            params={
                "q": "vegan offers under 10",
                "lat": HERE["lat"],
                "lon": HERE["lon"],
                "at": NOW.isoformat(),
            },
        ).json()
        assert body["query"]["max_price"] == 10
        assert [h["item_id"] for h in body["hits"]][:1] == ["vegan-lunch"]
        assert http.get("/search").status_code == 422
    catalogue = tmp_path / "items.jsonl"
    catalogue.write_text("".join(json.dumps(i) + "\n" for i in CATALOGUE))
    assert cli("items", "import", str(catalogue)).returncode == 0
    found = cli("search", "jazz", "--k", "1", "--at", NOW.isoformat(), "--json").json()
    assert found["hits"][0]["item_id"] == "jazz"
    cheap = cli("search", "music", "--max-price", "10", "--at", NOW.isoformat(), "--json").json()
    assert cheap["hits"] and all(h["item"]["price"] <= 10 for h in cheap["hits"])
