"""Attack constraints and agreement with torchattacks (an independent implementation)."""

from __future__ import annotations

import pytest
import torch

from advsal.attacks import ATTACKS, perturbation_stats

torchattacks = pytest.importorskip("torchattacks")


def _run(name, model, x, y, **kw):
    return ATTACKS.get(name)(model, label="true", **kw)(x, y)


@pytest.mark.parametrize(
    "name,kw",
    [("fgsm", {"eps": 0.1}), ("bim", {"eps": 0.1, "steps": 5, "rel_stepsize": 0.3})],
)
def test_linf_attacks_respect_the_ball_and_the_box(trained_model, images, name, kw):
    x, y = images
    x_adv = _run(name, trained_model, x, y, **kw)
    assert x_adv.shape == x.shape
    assert (x_adv - x).abs().max() <= kw["eps"] + 1e-6
    assert x_adv.min() >= 0 and x_adv.max() <= 1


def test_l2_attack_respects_the_ball_and_the_box(trained_model, images):
    x, y = images
    x_adv = _run("bim_l2", trained_model, x, y, eps=1.5, steps=5, rel_stepsize=0.5)
    assert (x_adv - x).flatten(1).norm(dim=1).max() <= 1.5 + 1e-5
    assert x_adv.min() >= 0 and x_adv.max() <= 1


def test_fgsm_matches_torchattacks(trained_model, images):
    x, y = images
    ours = _run("fgsm", trained_model, x, y, eps=0.2)
    ref = torchattacks.FGSM(trained_model, eps=0.2)(x, y)
    assert (ours - ref).abs().max() <= 1e-5


def test_bim_matches_torchattacks(trained_model, images):
    x, y = images
    ours = _run("bim", trained_model, x, y, eps=0.15, steps=10, abs_stepsize=0.015)
    ref = torchattacks.BIM(trained_model, eps=0.15, alpha=0.015, steps=10)(x, y)
    assert (ours - ref).abs().max() <= 1e-5


def test_iterative_l2_matches_torchattacks_pgdl2(trained_model, images):
    x, y = images
    ours = _run("bim_l2", trained_model, x, y, eps=2.0, steps=10, abs_stepsize=0.5)
    ref = torchattacks.PGDL2(trained_model, eps=2.0, alpha=0.5, steps=10, random_start=False)(x, y)
    assert (ours - ref).abs().max() <= 1e-5


def test_batching_does_not_change_the_result(trained_model, images):
    x, y = images
    atk = ATTACKS.get("bim_l2")(trained_model, eps=2.0, steps=3, label="true")
    whole = atk(x, y)
    pieces = atk.run(x, y, batch_size=5, progress=False)
    assert (whole - pieces).abs().max() <= 1e-5


def test_fgsm_uses_the_predicted_label_by_default(trained_model, images):
    x, y = images
    with torch.no_grad():
        pred = trained_model(x).argmax(1)
    wrong = (y + 1) % 10  # a label the default must ignore
    default = ATTACKS.get("fgsm")(trained_model, eps=0.1)(x, wrong)
    on_pred = ATTACKS.get("fgsm")(trained_model, eps=0.1, label="true")(x, pred)
    assert torch.equal(default, on_pred)


def test_attacks_lower_accuracy_and_stats_are_consistent(trained_model, images):
    x, y = images
    x_adv = _run("bim", trained_model, x, y, eps=0.3, steps=10, rel_stepsize=0.25)
    st = perturbation_stats(trained_model, x, x_adv, y)
    assert st["accuracy_adv"] < st["accuracy_clean"] - 0.3
    assert st["linf"] == pytest.approx((x_adv - x).flatten(1).abs().amax(1).mean().item())
    assert 0 < st["l0_frac"] <= 1 and st["success_rate"] > 0.5


def test_bad_parameters_are_refused(trained_model):
    with pytest.raises(ValueError, match="eps"):
        ATTACKS.get("fgsm")(trained_model, eps=0)
    with pytest.raises(ValueError, match="steps"):
        ATTACKS.get("bim")(trained_model, eps=0.1, steps=0)


def test_attacks_freeze_the_weights_and_give_them_back(trained_model, images):
    x, y = images
    seen, before = (
        [],
        [None if p.grad is None else p.grad.clone() for p in trained_model.parameters()],
    )
    hook = trained_model.register_forward_hook(
        lambda m, i, o: seen.append(any(p.requires_grad for p in m.parameters()))
    )
    try:
        for name, kw in [("cw", {"steps": 3, "binary_search_steps": 1}), ("bim", {"eps": 0.1})]:
            ATTACKS.get(name)(trained_model, **kw)(x[:4], y[:4])
    finally:
        hook.remove()
    assert seen and not any(seen)  # no weight gradient is ever computed while attacking
    for p, grad in zip(trained_model.parameters(), before, strict=True):
        assert p.requires_grad  # given back
        assert (p.grad is None and grad is None) or torch.equal(p.grad, grad)  # never written


def test_cw_stops_each_image_on_its_own_and_keeps_the_best(trained_model, images):
    x, y = images
    calls = []
    hook = trained_model.register_forward_hook(lambda m, i, o: calls.append(len(i[0])))
    try:
        kw = {"steps": 40, "binary_search_steps": 2, "lr": 0.1, "initial_const": 1.0}
        x_adv = ATTACKS.get("cw")(trained_model, label="true", **kw)(x[:16], y[:16])
        full = ATTACKS.get("cw")(trained_model, label="true", abort_early=False, **kw)
        calls_aborting, calls[:] = list(calls), []
        x_full = full(x[:16], y[:16])
    finally:
        hook.remove()
    # with early abort the batch shrinks as images stop; without it every step sees all 16
    assert min(calls_aborting) < 16 and sum(calls_aborting) < sum(calls)
    assert set(calls) == {16}
    for adv in (x_adv, x_full):
        with torch.no_grad():
            fooled = trained_model(adv).argmax(1) != y[:16]
        assert fooled.float().mean() >= 0.75
        assert torch.equal(adv[~fooled], x[:16][~fooled])
