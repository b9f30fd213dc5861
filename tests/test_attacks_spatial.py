"""Nguyen 2018 Sec. 2.3 / 4.2: the spatially transformed attack (stAdv) on the two-layer net."""

from __future__ import annotations

import pytest
import torch

from advsal.attacks import ATTACKS
from advsal.attacks.spatial import flow_loss, warp
from advsal.certify import difference_operator
from advsal.models import build
from advsal.training import as_float
from tests.helpers import train_small


def test_warp_is_bilinear_resampling_in_pixel_units():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 1, 6, 7, generator=g)
    zero = torch.zeros(3, 2, 6, 7)
    torch.testing.assert_close(warp(x, zero), x, atol=1e-6, rtol=0)
    down = zero.clone()
    down[:, 0] = 1.0  # every pixel reads the one below it; the last row reads the border
    out = warp(x, down)
    torch.testing.assert_close(out[..., :-1, :], x[..., 1:, :], atol=1e-6, rtol=0)
    torch.testing.assert_close(out[..., -1, :], x[..., -1, :], atol=1e-6, rtol=0)
    half = zero.clone()
    half[:, 1] = 0.5  # half a pixel to the right: the mean of the two neighbours
    expected = (x[..., :, :-1] + x[..., :, 1:]) / 2
    torch.testing.assert_close(warp(x, half)[..., :, :-1], expected, atol=1e-6, rtol=0)


def test_flow_loss_is_eq6_over_the_four_neighbours():
    flow = torch.zeros(2, 2, 5, 5)
    assert flow_loss(flow).max() < 1e-4
    flow[1] += 3.0  # a translation costs nothing
    assert flow_loss(flow)[1] < 1e-4
    flow = torch.zeros(1, 2, 5, 5)
    flow[0, 0, 2, 2], flow[0, 1, 2, 2] = 3.0, 4.0  # one interior pixel moves by (3, 4)
    # 4 neighbours, each pair counted from both ends, each sqrt(3^2 + 4^2) = 5
    assert flow_loss(flow).item() == pytest.approx(40.0, abs=1e-3)


def test_a_zero_border_makes_moving_the_image_cost_and_bounds_the_certificates_norm():
    """With the flow taken as zero outside the image, L_flow >= ||N vec(r)||_2 (N of
    advsal.certify): a flow within the attack's budget is within the certificate's set."""
    n = torch.as_tensor(difference_operator(5, 6), dtype=torch.float32)
    shift = torch.full((1, 2, 5, 6), 0.5)  # moving everything: free without a border, not in N
    assert flow_loss(shift).item() < 1e-4 < (shift.flatten(2) @ n.T).norm().item()
    assert flow_loss(shift, "zero").item() >= (shift.flatten(2) @ n.T).norm().item()
    g = torch.Generator().manual_seed(0)
    flows = torch.randn(200, 2, 5, 6, generator=g) * torch.rand(200, 1, 1, 1, generator=g)
    norm = (flows.flatten(2) @ n.T).pow(2).sum((1, 2)).sqrt()
    assert (flow_loss(flows, "zero") >= norm - 1e-4).all()
    with pytest.raises(ValueError, match="border"):
        flow_loss(shift, "reflect")


@pytest.fixture(scope="module")
def two_layer(mnist_small):
    model = train_small("two_layer", mnist_small, epochs=5, lr=3e-3, hidden=64)
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def test_two_layer_net_is_v_relu_wx(two_layer):
    names = [n for n, _ in two_layer.named_children()]
    assert names == ["flatten", "hidden", "relu", "out"]
    pooled = build("two_layer", (1, 28, 28), hidden=8, pool=4)
    assert pooled.hidden.in_features == 49 and pooled(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_stadv_reaches_random_targets_within_the_flow_budget(two_layer, mnist_small):
    x, y = as_float(mnist_small.x["test"][:40]), mnist_small.y["test"][:40]
    with torch.no_grad():
        pred = two_layer(x).argmax(1)
    stadv = ATTACKS.get("stadv")
    atk = stadv(two_layer, eps=400.0, binary_search_steps=2, steps=60, label="true")
    x_adv = atk(x, y)
    with torch.no_grad():
        adv_pred = two_layer(x_adv).argmax(1)
    moved = (x_adv - x).flatten(1).abs().amax(1) > 0
    assert moved.float().mean() > 0.5  # most images reach their target within the budget
    assert (adv_pred[moved] != y[moved]).all()  # a target is never the label
    tv = atk.last_flow_loss
    assert (tv[moved] <= 400.0).all() and torch.isinf(tv[~moved]).all()
    torch.testing.assert_close(x_adv[~moved], x[~moved])  # failures come back unchanged
    # a tighter budget succeeds less often
    tight = stadv(two_layer, eps=30.0, binary_search_steps=2, steps=60, label="true")
    t_moved = (tight(x, y) - x).flatten(1).abs().amax(1) > 0
    assert t_moved.sum() < moved.sum()
    assert (pred == y).float().mean() > 0.6
    with pytest.raises(ValueError, match="target must be"):
        stadv(two_layer, eps=7.0, target="least")


def test_stadv_images_are_independent_of_their_batch(two_layer, mnist_small):
    """Images that reach their target within the budget stop being forwarded (their flow can
    no longer move); the rest of the batch must not notice: one batch of 24 gives what three
    batches of 8 give, image by image."""
    x, y = as_float(mnist_small.x["test"][:24]), mnist_small.y["test"][:24]
    atk = ATTACKS.get("stadv")(
        two_layer, eps=300.0, binary_search_steps=2, steps=40, target="next", label="true"
    )
    whole = atk(x, y)
    flow_whole = atk.last_flow_loss
    parts, flows = [], []
    for i in range(0, 24, 8):
        parts.append(atk(x[i : i + 8], y[i : i + 8]))
        flows.append(atk.last_flow_loss)
    moved = (whole - x).flatten(1).abs().amax(1) > 0
    assert 0 < moved.sum() < 24  # some reach their target early, some never
    torch.testing.assert_close(torch.cat(parts), whole, atol=1e-5, rtol=0)
    torch.testing.assert_close(torch.cat(flows), flow_whole, atol=1e-3, rtol=1e-4)


class _Counting(torch.nn.Module):
    """The model, counting the images it is shown."""

    def __init__(self, model):
        super().__init__()
        self.model, self.rows = model, 0

    def forward(self, x):
        self.rows += len(x)
        return self.model(x)


def test_stadv_searches_tau_only_where_the_budget_binds(two_layer, mnist_small):
    """tau weighs only flow beyond the budget: with a budget no flow reaches, a second and third
    round would repeat the first exactly. Images found in round 1 are settled (the same
    adversarial as with one round, and never forwarded again); the others restart from a random
    flow, which reaches more targets."""
    x, y = as_float(mnist_small.x["test"][:32]), mnist_small.y["test"][:32]
    kw = dict(eps=1e6, steps=15, lr=0.1, target="next", label="true")
    one = ATTACKS.get("stadv")(_Counting(two_layer), binary_search_steps=1, **kw)
    three = ATTACKS.get("stadv")(_Counting(two_layer), binary_search_steps=3, **kw)
    x1, x3 = one(x, y), three(x, y)
    found1 = torch.isfinite(one.last_flow_loss)
    found3 = torch.isfinite(three.last_flow_loss)
    assert 0 < found1.sum() < len(x)  # the short first round leaves some short of their target
    torch.testing.assert_close(x3[found1], x1[found1], atol=1e-6, rtol=0)
    assert (found3 >= found1).all() and found3.sum() > found1.sum()
    # rounds 2 and 3 forward only the images round 1 did not settle
    per_round = one.model.rows
    assert (
        three.model.rows <= per_round + 2 * (len(x) - found1.sum().item()) * (kw["steps"] + 1) + 2
    )


def test_stadv_restart_zero_settles_stuck_images(two_layer, mnist_small):
    x, y = as_float(mnist_small.x["test"][:32]), mnist_small.y["test"][:32]
    kw = dict(eps=1e6, steps=15, lr=0.1, target="next", label="true", restart=0.0)
    one = ATTACKS.get("stadv")(_Counting(two_layer), binary_search_steps=1, **kw)
    three = ATTACKS.get("stadv")(_Counting(two_layer), binary_search_steps=3, **kw)
    torch.testing.assert_close(three(x, y), one(x, y), atol=1e-6, rtol=0)
    assert three.model.rows == one.model.rows  # no second round: nothing left to try
    with pytest.raises(ValueError, match="restart must be"):
        ATTACKS.get("stadv")(two_layer, eps=7.0, restart=-1.0)
