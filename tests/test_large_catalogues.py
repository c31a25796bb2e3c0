"""What changes when a catalogue is too large for the EASE core: rapport's model fits an ALS
core instead, saves and restores it exactly, refits it when its settings change, and tuning
skips the settings that no longer matter. Scores are standardised sparsely."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from rapport.core.histories import Histories
from rapport.core.interactions import Interactions
from rapport.evaluation.tuning import TuningConfig, tune
from rapport.services.recommend.models.hybrid import EASE_ONLY, HybridModel
from rapport.services.recommend.standardise import standardise
from tests.test_models import interactions

ALS_CORE = {"max_ease_items": 10, "factors": 8}


@pytest.fixture(scope="module")
def data() -> Interactions:
    return interactions()


def test_large_catalogue_gets_an_als_core_that_survives_save_and_load(
    data: Interactions, tmp_path: Path
) -> None:
    model = HybridModel(ALS_CORE).fit(data)
    assert model.summary()["core"] == "als"
    assert "max_ease_items (10)" in model.summary()["core_reason"]
    histories = Histories.from_interactions(data, np.arange(12))
    model.save(tmp_path / "m")
    loaded = HybridModel.load(tmp_path / "m")
    assert np.allclose(loaded.score(histories), model.score(histories), atol=1e-4)


def test_factor_source_of_one_activity_level_survives_save_and_load(
    data: Interactions, tmp_path: Path
) -> None:
    # Only heavy users score with the factor source: it must be saved all the same.
    config = {"factors": 8, "activity_edges": [14], "by_activity": [{}, {"factor_weight": 1.0}]}
    model = HybridModel(config).fit(data)
    assert model.summary()["core"] == "ease" and model.config.factor_weight == 0
    histories = Histories.from_interactions(data, np.arange(12))
    heavy = histories.lengths() >= 14
    assert heavy.any() and (~heavy).any()
    model.save(tmp_path / "m")
    loaded = HybridModel.load(tmp_path / "m")
    assert np.allclose(loaded.score(histories), model.score(histories), atol=1e-4)


def test_als_core_is_refitted_when_its_input_weighting_changes(data: Interactions) -> None:
    model = HybridModel(ALS_CORE).fit(data)
    histories = Histories.from_interactions(data, np.arange(12))
    before = model.score(histories)
    strong_only = model.config.model_copy(update={"gram_low_weight": 0.0})
    assert model.reconfigure(strong_only)
    assert not np.allclose(model.score(histories), before, atol=1e-3)


def test_tuning_skips_ease_settings_without_an_ease_core(data: Interactions) -> None:
    space = HybridModel.Config.search_space
    assert set(HybridModel().searched(space, data)) == set(space)
    als_space = HybridModel(ALS_CORE).searched(space, data)
    assert set(als_space) == set(space) - set(EASE_ONLY)
    tuned = tune(
        HybridModel,
        data,
        TuningConfig(activity_levels=1, passes=1),
        base=ALS_CORE,
        search_space={"regularization": [400.0, 100.0], "half_life": [np.inf, 10.0]},
    )
    assert {tuple(settings) for settings, _ in tuned.tried} == {("half_life",)}


def test_standardise_leaves_out_the_excluded_entries() -> None:
    rng = np.random.default_rng(0)
    scores = rng.normal(3.0, 2.0, size=(6, 50)).astype(np.float32)
    left_out = rng.random((6, 50)) < 0.2
    left_out[5] = False  # a row with nothing left out
    found = standardise(scores, sp.csr_matrix(left_out.astype(np.float32)))
    keep = ~left_out
    for row in range(6):
        kept = scores[row, keep[row]].astype(np.float64)
        expected = (scores[row] - kept.mean()) / kept.std()
        assert np.allclose(found[row], expected, atol=1e-4)
        assert abs(found[row, keep[row]].mean()) < 1e-4
    assert np.allclose(standardise(scores), standardise(scores, sp.csr_matrix(scores.shape)))
