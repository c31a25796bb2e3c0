"""The model gate: a newly trained version serves only when its validation NDCG@10 is not
worse than the serving version's by more than a relative margin.

The two numbers must come from the same judge. The serving version's stored NDCG was
measured on an older split (fewer events, other users held out), so it is not compared
as it is: the serving version's settings are refitted on each validation period of the
new split and scored on the same sampled users the new version was tuned on. The serving
artifact itself is not scored there, because it was trained on events that are now held
out (it would be judged on what it memorised). Only when the serving settings cannot be
refitted (a model class or setting this release no longer knows) are the stored numbers
compared, and the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import structlog

from rapport.core.interactions import Interactions
from rapport.evaluation.tuning import Tuned, TuningConfig, score_settings
from rapport.services.recommend.artifacts import GateResult, ModelManifest
from rapport.services.recommend.models import MODELS

log = structlog.get_logger(__name__)


@dataclass
class Judged:
    """The serving version's NDCG@10 and how it was obtained."""

    ndcg: float
    comparison: Literal["same_split", "stored"]
    note: str


def judge_serving(
    serving: ModelManifest, data: Interactions, tuning: TuningConfig, folds: int
) -> Judged:
    """The serving version's NDCG@10 on the new validation split, or its stored number."""
    model = MODELS.get(serving.model)
    if model is not None:
        try:
            scores = score_settings(model, serving.config, data, tuning, folds)
        except Exception as exc:  # whatever stops the refit, the stored numbers remain
            log.warning("serving settings cannot be refitted", error=repr(exc))
        else:
            if scores:
                return Judged(
                    sum(scores) / len(scores),
                    "same_split",
                    "both on the new validation split, the serving settings refitted on it",
                )
    return Judged(
        serving.validation.ndcg_at_10,
        "stored",
        "stored numbers of different splits (the serving settings could not be refitted)",
    )


def decide(
    tuned: Tuned,
    data: Interactions,
    tuning: TuningConfig,
    serving: ModelManifest | None,
    margin: float,
    force: bool = False,
    must_replace: str = "",
) -> GateResult:
    """Serve or keep as a candidate. `force` (an operator's override) and `must_replace`
    (a reason the serving version has to go, e.g. it learned from erased users) let the new
    version serve whatever the numbers say; the numbers are recorded all the same."""
    fold_scores = tuned.fold_ndcg
    new = sum(fold_scores) / len(fold_scores) if fold_scores else None
    result: dict[str, Any] = {
        "candidate_ndcg_at_10": None if new is None else round(new, 5),
        "margin": margin,
    }
    if serving is None:
        return GateResult(
            decision="serve", reason="first model of the tenant", comparison="first", **result
        )
    result["serving_version"] = serving.version
    if new is None:
        return GateResult(
            decision="serve",
            reason="too little history for a validation split: served unchecked",
            comparison="unvalidated",
            **result,
        )
    judged = judge_serving(serving, data, tuning, len(fold_scores))
    result["serving_ndcg_at_10"] = round(judged.ndcg, 5)
    floor = judged.ndcg * (1 - margin)
    numbers = (
        f"validation NDCG@10 {new:.4f} vs {judged.ndcg:.4f} of serving version "
        f"{serving.version} ({judged.note}; margin {margin:.1%})"
    )
    if force or must_replace:
        why = "forced past the gate" if force else must_replace
        return GateResult(
            decision="serve", reason=f"{why}: {numbers}", comparison="forced", **result
        )
    if new >= floor:
        return GateResult(
            decision="serve",
            reason=f"not worse than the serving version: {numbers}",
            comparison=judged.comparison,
            **result,
        )
    return GateResult(
        decision="candidate",
        reason=f"worse than the serving version by more than the margin: {numbers}",
        comparison=judged.comparison,
        **result,
    )
