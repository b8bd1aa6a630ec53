from __future__ import annotations

import pytest

from corrlearn import models
from corrlearn.train.evaluate import davis_jf


@pytest.mark.slow  # the propagation engine's first call compiles its kernels (minutes on a loaded CPU)
@pytest.mark.realdata
def test_davis_jf_of_random_init_on_one_sequence(davis_root):
    enc = models.create("resnet18")
    scores = davis_jf(enc, str(davis_root), ["car-shadow"], "crw", "cpu", short_side=96, max_frames=6)
    assert set(scores) == {"J&F", "J", "F"}
    assert 0.0 < scores["J"] <= 1.0 and 0.0 < scores["F"] <= 1.0
    assert scores["J&F"] == pytest.approx((scores["J"] + scores["F"]) / 2)
    assert not enc.training
