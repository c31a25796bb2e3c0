"""A replayed history where users fade and stop at known times (abandonment risk tests).

Every user has sessions 0.2-1.2 days apart (1-3 events each, views and ratings). Most users
stop on a known day; in the 10 days before, their sessions come 1.5-3.5 days apart and their
ratings drop: the signal a trained model can pick up before the silence. The rest never stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
CATEGORIES = ("python", "design", "music")


@dataclass
class ChurnWorld:
    users: int = 60
    days: int = 100
    seed: int = 0
    stop_day: dict[str, float] = field(default_factory=dict)
    events: list[dict[str, object]] = field(default_factory=list)

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        for n in range(self.users):
            user = f"u{n:03d}"
            stops = rng.random() < 0.65
            stop = float(rng.uniform(15, self.days)) if stops else float("inf")
            self.stop_day[user] = stop
            day = float(rng.uniform(0, 2))
            while day < min(stop, self.days):
                fading = stop - day < 10
                for k in range(int(rng.integers(1, 4))):
                    moment = ORIGIN + timedelta(days=day, minutes=5 * k)
                    item = f"i{int(rng.integers(0, 30)):02d}"
                    rating = float(rng.integers(1, 3) if fading else rng.integers(3, 6))
                    kind = "rate" if rng.random() < 0.5 else "view"
                    self.events.append(
                        {
                            "user_id": user,
                            "item_id": item,
                            "type": kind,
                            "value": rating if kind == "rate" else None,
                            "timestamp": moment.isoformat(),
                        }
                    )
                day += float(rng.uniform(1.5, 3.5) if fading else rng.uniform(0.2, 1.2))

    def at(self, day: float) -> datetime:
        return ORIGIN + timedelta(days=day)

    def items(self) -> list[dict[str, object]]:
        return [
            {"id": f"i{n:02d}", "title": f"Item {n}", "categories": [CATEGORIES[n % 3]]}
            for n in range(30)
        ]
