"""model_based_saliency2020 App. C: the white-box attack (classifier, saliency and detector at
once), its config (no sigma, a fit at another budget, seeds) and Table 3 over seeds."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch import nn

from advsal.attacks import ATTACKS
from advsal.config import ConfigError, resolve
from advsal.detectors import DETECTORS
from advsal.plan import Plan
from advsal.plan.instances import against_fit
from advsal.saliency import SALIENCY
from advsal.tables.retraining import whitebox_table
from tests.helpers import paper_rows


class LinearDetector(nn.Module):
    """D(x) = w . x + b: flags an image when its logit is positive."""

    needs_saliency = False

    def __init__(self, w, b=0.0):
        super().__init__()
        self.w, self.b = w, b

    def forward(self, x, s=None):
        return (x.flatten(1) * self.w.flatten()).sum(1) + self.b


def _whitebox(model, det, sal=None, **kw):
    return ATTACKS.get("whitebox")(
        model, **{"eps": 1.0, "abs_stepsize": 0.1, **kw}, detector=det, saliency=sal
    )


def test_whitebox_fools_f_and_the_detector_where_fgsm_fools_only_f(trained_model, images):
    x, y = images
    w = torch.randn(1, 28, 28, generator=torch.Generator().manual_seed(3))
    # a detector that flags every image FGSM perturbs: positive on the FGSM noise direction
    fgsm = ATTACKS.get("fgsm")(trained_model, eps=0.2)(x)
    det = LinearDetector(w, b=0.0)
    det.b = -float(det(x).max()) - 1e-3  # clean images are never flagged
    atk = _whitebox(trained_model, det, steps=5)
    x_adv = atk(x)
    with torch.no_grad():
        f_acc = (trained_model(x_adv).argmax(1) == trained_model(x).argmax(1)).float().mean()
    assert f_acc < 0.2
    assert (det(x_adv) <= 0).float().mean() >= 0.9  # nearly all unflagged
    assert (x_adv >= 0).all() and (x_adv <= 1).all()
    # with a ball the steps stay inside it
    x_ball = _whitebox(trained_model, det, eps=0.15, abs_stepsize=0.1)(x)
    assert (x_ball - x).abs().max() <= 0.15 + 1e-6
    assert not torch.equal(fgsm, x_adv)


def test_each_step_runs_only_while_its_target_is_not_fooled(trained_model, images):
    """The appendix's per-image 'if not fooled': with a detector that never flags, only f's
    steps run, and each image stops once f's prediction has changed."""
    x, y = images
    never = LinearDetector(torch.zeros(1, 28, 28), b=-1.0)
    x_adv = _whitebox(trained_model, never, steps=5, abs_stepsize=0.05)(x)
    with torch.no_grad():
        pred0 = trained_model(x).argmax(1)
        pred = trained_model(x_adv).argmax(1)
    moved = (x_adv - x).abs().flatten(1).amax(1)
    # an image that needed k f-steps moved at most k * 0.05 (clipping may shorten a step)
    one = _whitebox(trained_model, never, steps=1, abs_stepsize=0.05)(x)
    with torch.no_grad():
        fooled_after_one = trained_model(one).argmax(1) != pred0
    assert fooled_after_one.any()
    torch.testing.assert_close(x_adv[fooled_after_one], one[fooled_after_one])
    assert (moved <= 5 * 0.05 + 1e-6).all()
    assert (pred != pred0).float().mean() > 0.5
    # an always-flagging linear detector: its step is -alpha * sign(w) on the images it sees
    w = torch.randn(1, 28, 28, generator=torch.Generator().manual_seed(2))
    always = LinearDetector(torch.zeros_like(w), b=1.0)
    always.w = w * 1e-9  # flags everything, gradient sign(w)
    x_d = _whitebox(trained_model, always, steps=1, abs_stepsize=0.05)(x)
    x_f = _whitebox(trained_model, never, steps=1, abs_stepsize=0.05)(x)
    torch.testing.assert_close(x_d, (x_f - 0.05 * w.sign()).clamp(0, 1))


def test_through_input_steps_along_the_detector_input_gradient(trained_model, images):
    """App. C as written: SMD's step is the sign of d's gradient w.r.t. the map itself, SPD's
    w.r.t. the salient pixels, JSD's w.r.t. the image channels of [x, s], all with the map held;
    'saliency' differentiates through the map instead and differs."""
    x = images[0][:6]
    torch.manual_seed(0)
    sal = SALIENCY.get("gradient")(trained_model)
    for kind in ("smd", "spd", "jsd", "id"):
        det = DETECTORS.get(kind)((1, 28, 28), width=4).eval()
        if kind == "jsd":
            det.fit_normalizer(x, sal.attribute(x))
        atk = _whitebox(trained_model, det, sal, through="input")
        s = sal.attribute(x)
        inp = det.net_input(x, s).detach().requires_grad_(True)
        (g,) = torch.autograd.grad(nn.functional.softplus(-det.net(inp).squeeze(1)).sum(), inp)
        torch.testing.assert_close(atk.grad_detector(x), g[:, :1])
    smooth = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.Tanh(), nn.Linear(16, 10))
    sal = SALIENCY.get("gradient")(smooth)
    det = DETECTORS.get("smd")((1, 28, 28), width=4).eval()
    exact = _whitebox(smooth, det, sal).grad_detector(x)
    paper = _whitebox(smooth, det, sal, through="input").grad_detector(x)
    assert not torch.allclose(exact, paper)
    with pytest.raises(ValueError, match="through must be one of saliency, input"):
        _whitebox(smooth, det, sal, through="map")
    with pytest.raises(ValueError, match="needs the detector it attacks"):
        ATTACKS.get("whitebox")(smooth, eps=0.3)(x)


def _config(tmp_path, attack: dict, detectors=None):
    import yaml

    cfg = {
        "dataset": {"name": "mnist5k"},
        "classifiers": {"net": {}},
        "attacks": {"bim": {"eps": [0.1, 0.2]}, "wb": {"type": "whitebox", **attack}},
        "saliency": {"grad": {"method": "gradient"}},
        "detectors": detectors or {"spd": {"fit_on": {"bim": 0.2}}},
    }
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_whitebox_config_takes_seeds_a_fit_budget_and_no_sigma(tmp_path):
    given = {"eps": [1.0], "against_fit": {"bim": 0.2}, "seeds": 3}
    plan = Plan(resolve([_config(tmp_path, given)]))
    spec = plan.done["attacks"]["wb"]
    assert spec["against"] == ["spd"] and "sigma" not in spec
    assert against_fit(spec, "1.0") == ("bim", "0.2")
    assert plan.whitebox == [("wb", "1.0", "spd", k) for k in range(3)]
    assert plan.dynamic == []
    with pytest.raises(ConfigError, match=r"attacks.wb.sigma: 'whitebox' takes no sigma"):
        resolve([_config(tmp_path, {"eps": [0.2], "sigma": [0.5]})])
    with pytest.raises(ConfigError, match=r"attacks.wb: 'spd' is not fitted to 'bim' at 0.1"):
        resolve([_config(tmp_path, {"eps": [1.0], "against_fit": {"bim": 0.1}})])
    # without a budget the fit is at the attack's own eps
    with pytest.raises(ConfigError, match=r"attacks.wb.eps\[0\]: 'spd' is not fitted to 'bim' at"):
        resolve([_config(tmp_path, {"eps": [1.0]})])
    with pytest.raises(ConfigError, match=r"attacks.bim.seeds: only a retraining attack"):
        resolve([_seeds_on_bim(tmp_path)])


def _seeds_on_bim(tmp_path):
    import yaml

    path = tmp_path / "s.yaml"
    cfg = {
        "dataset": {"name": "mnist5k"},
        "classifiers": {"net": {}},
        "attacks": {"bim": {"eps": [0.2], "seeds": 2}},
        "detectors": {"id": {}},
    }
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_table3_is_mean_and_std_over_seeds_and_lands_in_the_comparison(tmp_path):
    rows = []
    for seed, (acc, flag) in enumerate([(0.0, 0.1), (0.1, 0.3), (0.2, 0.2)]):
        for version, shift in (("static", 0.0), ("retrained", 0.5)):
            rows.append(
                {
                    "attack": "whitebox",
                    "eps": "1.0",
                    "detector": "spd",
                    "version": version,
                    "seed": seed,
                    "sigma": float("nan"),
                    "n": 200,
                    "accuracy_adv": acc,
                    "detector_flags_adv": flag + shift,
                    "detector_flags_clean": 0.05,
                    "detectability": 0.5 + shift / 2,
                    "fools_both": 1 - flag - shift,
                }
            )
    paths = []
    for i, r in enumerate(rows):
        p = tmp_path / f"{i}.csv"
        pd.DataFrame([r]).to_csv(p, index=False)
        paths.append(p)
    out = whitebox_table(paths, tmp_path / "whitebox.csv")
    before = out[out["version"] == "static"].iloc[0]
    after = out[out["version"] == "retrained"].iloc[0]
    assert before["n_seeds"] == 3 and before["n"] == 200  # test images per seed
    assert before["detection_rate_mean"] == pytest.approx(0.2)
    assert before["detection_rate_std"] == pytest.approx(0.1)  # sample std over 3 seeds
    assert after["detection_rate_mean"] == pytest.approx(0.7)
    assert before["accuracy_adv_std"] == pytest.approx(0.1)
    assert before["false_alarms_mean"] == pytest.approx(0.05)
    item = {
        "kind": "cells",
        "table": "whitebox",
        "tolerance": 0.1,
        "tolerance_reason": "two of the paper's standard deviations",
        "cells": [
            {"match": {"detector": "spd", "version": "retrained"}, "detection_rate_mean": 0.79}
        ],
    }
    setting = {"attacks": {}, "detectors": {}, "classifiers": {}, "dataset": "mnist"}
    (got,) = paper_rows(item, {"whitebox": out}, setting)
    assert got["published"] == 0.79 and got["reproduced"] == pytest.approx(0.7)
    assert got["verdict"] == "holds"  # within 0.1 of the published 0.79
