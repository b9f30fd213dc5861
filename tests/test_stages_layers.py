"""Zhang Sec. 5 / Fig. 7 measured: Grad-CAM per layer (captum) and its clean-vs-adversarial
correlation."""

from __future__ import annotations

import pytest
import torch
import yaml

from advsal.config import ConfigError, resolve
from advsal.plan.instances import complete
from advsal.stages.layers import correlation, gradcam


def test_correlation_is_pearson_and_nan_for_flat_maps():
    g = torch.Generator().manual_seed(0)
    a = torch.rand(4, 6, 6, generator=g)
    torch.testing.assert_close(correlation(a, 3 * a + 1), torch.ones(4))
    torch.testing.assert_close(correlation(a, -a), -torch.ones(4))
    assert torch.isnan(correlation(a, torch.zeros_like(a))).all()


def test_gradcam_maps_have_the_image_size_and_follow_the_input(trained_model, images):
    x, _ = images
    target = trained_model(x).argmax(1)
    for layer in ("relu1", "relu2", "relu3"):
        maps = gradcam(trained_model, layer, x, target, batch_size=10)
        assert maps.shape == (len(x), 28, 28) and torch.isfinite(maps).all()
    # a tiny perturbation keeps the shallow map; replacing the image does not
    shallow = gradcam(trained_model, "relu1", x, target)
    near = gradcam(trained_model, "relu1", (x + 1e-4).clamp(0, 1), target)
    other = gradcam(trained_model, "relu1", x.flip(0), target)
    assert correlation(shallow, near).nanmean() > 0.99
    assert correlation(shallow, other).nanmean() < 0.9


def test_layer_study_layers_are_checked(tmp_path):
    cfg = {
        "dataset": {"name": "mnist5k"},
        "classifiers": {"net": {}},
        "attacks": {"fgsm": {"eps": [0.1]}},
        "detectors": {"id": {}},
        "layer_study": {"layers": {"shallow": "relu1", "deep": "conv9"}},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    with pytest.raises(ConfigError, match=r"layer_study.layers.deep: 'conv9' is not a layer"):
        resolve([path])
    cfg["layer_study"]["layers"]["deep"] = "relu3"
    path.write_text(yaml.safe_dump(cfg))
    study = complete(resolve([path]))["layer_study"]
    assert study["classifier"] == "net" and study["n_examples"] == 2
