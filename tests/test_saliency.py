from __future__ import annotations

import pytest
import torch

from advsal.saliency import SALIENCY


@pytest.mark.parametrize("output", ["logit", "prob"])
def test_gradient_saliency_matches_per_image_autograd(trained_model, images, output):
    x, _ = images
    x = x[:6]
    sal = SALIENCY.get("gradient")(trained_model, output=output).attribute(x)
    for i in range(len(x)):
        xi = x[i : i + 1].clone().requires_grad_(True)
        scores = trained_model(xi)
        if output == "prob":
            scores = scores.softmax(1)
        scores[0, scores.argmax(1).item()].backward()
        torch.testing.assert_close(sal[i : i + 1], xi.grad, rtol=1e-4, atol=1e-6)


def test_explicit_target_and_batched_run(trained_model, images):
    x, _ = images
    method = SALIENCY.get("gradient")(trained_model)
    target = torch.full((len(x),), 3)
    a = method.attribute(x, target)
    b = method.attribute(x)
    assert a.shape == x.shape and not torch.allclose(a, b)
    torch.testing.assert_close(method.run(x, batch_size=7, progress=False), b)
