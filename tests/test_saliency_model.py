"""model_based_saliency2020: the learnt saliency model, the SMD / SPD detectors, detectors fitted
to a chosen set of attacks or to all of them at once, and Table 1's saliency shift."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from advsal.config import ConfigError, resolve
from advsal.detectors import DETECTORS
from advsal.io import save_tensors
from advsal.metrics import choose_eps
from advsal.plan.instances import complete
from advsal.saliency import SALIENCY
from advsal.stages.common import Job
from advsal.stages.detector import mixed_sources, pick_rows
from advsal.stages.saliency import different_partner, rms_distance, saliency_shift
from advsal.tables.detection import build_tables
from advsal.training import as_float
from tests.helpers import paper_rows


@pytest.fixture(scope="module")
def fitted_model_saliency(trained_model, mnist_small):
    s = mnist_small
    method = SALIENCY.get("model")(trained_model, width=4, area=2.0, destroy=2.0)
    x, y = as_float(s.x["train"]), s.y["train"]
    xv, yv = as_float(s.x["val"][:50]), s.y["val"][:50]
    history = method.fit(x, y, xv, yv, epochs=5, lr=3e-3, batch_size=25, seed=0)
    return method, history


def test_saliency_model_learns_eq2_and_gives_masks_in_one_forward(fitted_model_saliency, images):
    method, history = fitted_model_saliency
    best = min(history, key=lambda h: h["val_loss"])
    assert best["val_loss"] < history[0]["val_loss"] - 0.3
    x, _ = images
    m = method.attribute(x)
    assert m.shape == x.shape and m.min() >= 0 and m.max() <= 1
    # the kept model's mask covers part of the image, and what it keeps f still recognises
    # better than what is left when the mask is removed
    assert best["val_area"] < 0.6 and best["val_preserve"] > 2 * best["val_destroyed"]
    assert m.mean().item() == pytest.approx(best["val_area"], abs=0.15)


def test_saliency_model_selects_fs_predicted_class_and_is_differentiable(
    fitted_model_saliency, trained_model, images
):
    method, _ = fitted_model_saliency
    x, _ = images
    pred = trained_model(x).argmax(1)
    torch.testing.assert_close(method.attribute(x), method.attribute(x, target=pred))
    other = (pred + 1) % 10
    assert not torch.allclose(method.attribute(x), method.attribute(x, target=other))
    xg = x[:4].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(method.attribute(xg, create_graph=True).sum(), xg)
    assert g.abs().sum() > 0


def test_saliency_model_state_round_trips(fitted_model_saliency, trained_model, images, tmp_path):
    method, _ = fitted_model_saliency
    save_tensors(tmp_path / "s.pt", {"state": method.state()})
    fresh = SALIENCY.get("model")(trained_model, width=4)
    fresh.load_state(torch.load(tmp_path / "s.pt", weights_only=True)["state"])
    torch.testing.assert_close(fresh.attribute(images[0]), method.attribute(images[0]))
    with pytest.raises(RuntimeError, match="not trained"):
        SALIENCY.get("model")(trained_model).attribute(images[0])
    with pytest.raises(ValueError, match="fill"):
        SALIENCY.get("model")(trained_model, fill="sepia")


def test_smd_reads_the_map_only_and_spd_the_map_times_the_image():
    torch.manual_seed(0)
    x, s = torch.rand(5, 1, 28, 28), torch.rand(5, 1, 28, 28)
    smd = DETECTORS.get("smd")((1, 28, 28), arch="mnist_net", width=4).eval()
    spd = DETECTORS.get("spd")((1, 28, 28), arch="mnist_net", width=4).eval()
    assert smd.needs_saliency and spd.needs_saliency
    torch.testing.assert_close(smd(x, s), smd(torch.rand_like(x), s))  # the image is ignored
    assert not torch.allclose(smd(x, s), smd(x, torch.rand_like(s)))
    spd.net.load_state_dict(smd.net.state_dict())
    torch.testing.assert_close(spd(x, s), smd(x, s * x))
    with pytest.raises(ValueError, match="SPD detector needs the saliency map"):
        spd(x)


def _config(tmp_path, detectors, attacks=None):
    cfg = {
        "dataset": {"name": "mnist5k"},
        "classifiers": {"net": {}},
        "attacks": attacks or {"fgsm": {"eps": [0.1, 0.2]}, "deepfool": {}},
        "saliency": {"grad": {"method": "gradient"}},
        "detectors": detectors,
    }
    path = tmp_path / "c.yaml"
    import yaml

    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_fit_on_picks_budgets_and_is_checked(tmp_path):
    det = {"type": "spd", "fit_on": {"fgsm": 0.2, "deepfool": None}, "combined": True}
    c = complete(resolve([_config(tmp_path, {"d": det, "id": {}})]))
    assert c["detectors"]["d"]["fitted_to"] == [["fgsm", "0.2"], ["deepfool", "none"]]
    assert c["detectors"]["id"]["fitted_to"] == [
        ["fgsm", "0.1"],
        ["fgsm", "0.2"],
        ["deepfool", "none"],
    ]
    bad = {"d": {"type": "id", "fit_on": {"fgsm": 0.3}}}
    with pytest.raises(ConfigError, match=r"detectors.d.fit_on.fgsm: 'fgsm' has no budget 0.3"):
        resolve([_config(tmp_path, bad)])
    with pytest.raises(ConfigError, match=r"detectors.d.fit_on.bim: no attack named 'bim'"):
        resolve([_config(tmp_path, {"d": {"type": "id", "fit_on": {"bim": None}}})])
    # an attack against a detector needs that detector fitted to its against_fit budget
    attacks = {
        "fgsm": {"eps": [0.1, 0.2]},
        "fgsm_d": {"type": "fgsm", "eps": [0.1], "against": "d"},
    }
    only_02 = {"d": {"type": "id", "fit_on": {"fgsm": 0.2}}}
    with pytest.raises(ConfigError, match=r"attacks.fgsm_d.eps\[0\]: 'd' is not fitted to 'fgsm'"):
        resolve([_config(tmp_path, only_02, attacks)])


def test_yaml_anchors_do_not_leak_between_instances(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "dataset: {name: mnist5k}\nclassifiers: {net: {}}\nattacks: {fgsm: {eps: [0.1]}}\n"
        "detectors:\n  jsd: &base {params: {width: 8}}\n  id: *base\n"
    )
    c = complete(resolve([path]))
    assert c["detectors"]["jsd"]["type"] == "jsd" and c["detectors"]["id"]["type"] == "id"
    assert "saliency" not in c["detectors"]["id"]


def test_combined_pairs_each_clean_image_with_one_source_evenly():
    pick = mixed_sources(12, 3, seed=0)
    assert torch.bincount(pick).tolist() == [4, 4, 4]
    assert torch.equal(pick, mixed_sources(12, 3, seed=0))
    assert (mixed_sources(5, 1, seed=0) == 0).all()
    parts = [torch.full((12, 2), float(k)) for k in range(3)]
    out = pick_rows(parts, pick)
    assert torch.equal(out[:, 0].long(), pick)


def test_different_images_are_a_derangement_and_distances_are_rms():
    partner = different_partner(50, seed=3)
    assert sorted(partner.tolist()) == list(range(50))
    assert (partner != torch.arange(50)).all()
    a, b = torch.zeros(2, 1, 4, 4), torch.ones(2, 1, 4, 4)
    torch.testing.assert_close(rms_distance(a, b), torch.ones(2))
    with pytest.raises(ValueError, match="at least 2"):
        different_partner(1, 0)


class _Shift(torch.nn.Module):
    """f predicts the class from the mean brightness (so brightening changes its prediction)."""

    def forward(self, x):
        m = x.flatten(1).mean(1, keepdim=True)
        return -((m - torch.linspace(0, 1, 10).view(1, -1)) ** 2) * 100


def test_saliency_shift_finds_a_real_shift_and_none_where_there_is_none(tmp_path, monkeypatch):
    import advsal.stages.saliency as stage

    g = torch.Generator().manual_seed(0)
    x = torch.rand(60, 1, 6, 6, generator=g) * 0.3
    x_adv = (x + 0.5).clamp(0, 1)
    maps_clean = torch.rand(60, 1, 6, 6, generator=g)
    same = maps_clean + 0.001 * torch.rand(60, 1, 6, 6, generator=g)
    far = torch.rand(60, 1, 6, 6, generator=g)
    save_tensors(tmp_path / "clean.pt", {s: maps_clean for s in ("train", "val", "test")})
    save_tensors(tmp_path / "adv.pt", {"x_adv": x_adv})
    save_tensors(tmp_path / "same.pt", {"test": same})
    save_tensors(tmp_path / "far.pt", {"test": far})
    monkeypatch.setattr(stage, "load_classifier", lambda path, dev: _Shift())
    monkeypatch.setattr(stage, "load_splits", lambda path: None)
    monkeypatch.setattr(stage, "split_xy", lambda splits, split: (x, None))
    files = {"data": "data", "classifier": "model", "sal_clean": tmp_path / "clean.pt"}
    frame = saliency_shift(
        Job("s", {"method": "m"}, seed=0, device="cpu", files=files),
        {
            ("a", "0.1"): (tmp_path / "adv.pt", tmp_path / "same.pt"),
            ("b", "0.1"): (tmp_path / "adv.pt", tmp_path / "far.pt"),
        },
        tmp_path / "out.csv",
        tmp_path / "pairs.csv",
    ).set_index("attack")
    assert frame.loc["a", "n"] == 60  # every prediction changed
    assert frame.loc["a", "mean"] < 0.01 and frame.loc["a", "p_value"] < 1e-6
    # independent maps are as far apart as two different images: no significant difference
    assert frame.loc["b", "p_value"] > 0.01
    assert frame.loc["b", "ratio_to_different"] == pytest.approx(1.0, abs=0.15)
    # Table 5: a's maps (the clean ones, nearly) against b's, in both orders, as far apart as
    # b's from the clean maps
    pairs = pd.read_csv(tmp_path / "pairs.csv")
    assert list(zip(pairs["attack_a"], pairs["attack_b"], strict=True)) == [("a", "b"), ("b", "a")]
    assert pairs["mean"].nunique() == 1 and (pairs["n"] == 60).all()
    assert pairs["mean"].iloc[0] == pytest.approx(frame.loc["b", "mean"], rel=0.05)
    assert pairs["ratio_to_different"].iloc[0] == pytest.approx(
        frame.loc["b", "ratio_to_different"], rel=0.05
    )


def test_tables_split_combined_and_fit_test_cells(tmp_path):
    def cell(det, af, ef, at, et, acc):
        return dict(
            detector=det,
            attack_fit=af,
            eps_fit=ef,
            attack_test=at,
            eps_test=et,
            accuracy=acc,
            tpr=acc,
            fpr=0.0,
            auc=acc,
            n_clean=10,
            n_adv=10,
        )

    cells = [
        cell("spd", "fgsm", "0.2", "fgsm", "0.2", 0.9),
        cell("spd", "fgsm", "0.2", "fgsm", "0.1", 0.8),
        cell("spd", "fgsm", "0.2", "deepfool", "none", 0.7),
        cell("spd", "deepfool", "none", "fgsm", "0.2", 0.6),
        cell("spd", "deepfool", "none", "deepfool", "none", 0.95),
        cell("spd", "deepfool", "none", "fgsm", "0.1", 0.5),
        cell("spd", "all", "none", "fgsm", "0.2", 0.85),
        cell("spd", "all", "none", "fgsm", "0.1", 0.8),
        cell("spd", "all", "none", "all", "none", 0.88),
    ]
    pd.DataFrame(cells).to_csv(tmp_path / "cells.csv", index=False)
    summary = [
        dict(attack=a, eps=e, split=s, accuracy_clean=1.0, accuracy_adv=acc, classifier="net")
        for a, e, acc in (("fgsm", "0.1", 0.5), ("fgsm", "0.2", 0.2), ("deepfool", "none", 0.0))
        for s in ("val", "test")
    ]
    frame = pd.DataFrame(summary)
    for col in ("norm", "success_rate", "l0_frac", "l2", "linf", "l2_success"):
        frame[col] = 0.0
    frame.to_csv(tmp_path / "summary.csv", index=False)
    choose_eps(frame, 0.3, "val").to_csv(tmp_path / "chosen.csv", index=False)
    fits = {"spd": [("fgsm", "0.2"), ("deepfool", "none")]}
    t = build_tables(
        [tmp_path / "cells.csv"], tmp_path / "summary.csv", tmp_path / "chosen.csv", fits, ["spd"]
    )
    assert len(t["fit_test"]) == 4  # fits x tests among (fgsm 0.2, deepfool)
    assert set(t["combined"]["attack_test"]) == {"fgsm", "all"}  # not fgsm 0.1
    assert "all" not in set(t["table1"]["attack"]) and "all" not in set(t["eps_matrix"]["attack"])
    item = {
        "kind": "cells",
        "table": "combined",
        "where": {"attack_test": "all"},
        "tolerance": 0.05,
        "tolerance_reason": "two standard errors on the test images",
        "cells": [{"match": {"detector": "spd"}, "accuracy": 0.99}],
    }
    setting = {"attacks": {}, "detectors": {}, "classifiers": {}, "dataset": "mnist"}
    (row,) = paper_rows(item, {"combined": t["combined"]}, setting)
    assert row["reproduced"] == pytest.approx(0.88) and row["published"] == 0.99
    assert row["verdict"] == "fails"  # 0.11 below the published 0.99, outside its 0.05


def test_versus_jsd_not_better_than_id_fails_when_jsd_wins_most_attacks():
    """The 2020 paper's finding (JSD does not improve on ID) fails where the data says the
    other thing, as Zhang et al. would have it."""
    frame = pd.DataFrame(
        {
            "detector": ["id"] * 3 + ["jsd"] * 3,
            "attack": ["a", "b", "c"] * 2,
            "d_accuracy": [0.99, 0.9, 0.8, 0.98, 0.95, 0.9],
        }
    )
    item = {
        "kind": "versus",
        "table": "table1",
        "column": "d_accuracy",
        "a": "id",
        "b": "jsd",
        "margin": 0.01,
    }
    setting = {"attacks": {}, "detectors": {}, "classifiers": {}, "dataset": "mnist"}
    # without the run's image count there is no band to tell a tie from a difference: refused
    (row,) = paper_rows(item, {"table1": frame}, setting)
    assert row["verdict"] == "not run" and "no band" in row["reason"]
    (row,) = paper_rows(item, {"table1": frame}, {**setting, "test_images": 300})
    assert row["verdict"] == "fails" and row["reproduced"] == pytest.approx(1 / 3)
    assert "b (+0.05), c (+0.10)" in row["reason"]


def test_a_combined_detector_is_fitted_and_scored_on_the_mix(tmp_path):
    """train_detector on two sources at once, then evaluate_detector's extra `all` cell (an
    image-only kind: no maps anywhere)."""
    from advsal.stages.common import Job
    from advsal.stages.data import make_data
    from advsal.stages.detector import evaluate_detector, train_detector

    make_data({"name": "mnist5k", "split": {"train": 60, "val": 20, "test": 20}}, 0, tmp_path / "d")
    splits = torch.load(tmp_path / "d", weights_only=True)
    advs = {}
    for name, delta in (("a", 0.3), ("b", 0.6)):
        for split in ("train", "val", "test"):
            x = splits[f"x_{split}"].float() / 255
            save_tensors(tmp_path / f"{name}_{split}.pt", {"x_adv": (x + delta).clamp(0, 1)})
        advs[(name, "0.1")] = {s: tmp_path / f"{name}_{s}.pt" for s in ("train", "val", "test")}
    settings = {
        "type": "id",
        "params": {"width": 4},
        "epochs": 2,
        "lr": 0.01,
        "batch_size": 20,
        "betas": [0.9, 0.999],
    }
    job = Job("id", settings, seed=0, device="cpu", files={"data": tmp_path / "d"})
    fitted = {}
    for key, sources in [*((k, {k: v}) for k, v in advs.items()), (("all", "none"), advs)]:
        out = tmp_path / f"{key[0]}.pt"
        adv = {s: {k: v[s] for k, v in sources.items()} for s in ("train", "val")}
        train_detector(job, *key, adv, out, tmp_path / "h.csv")
        fitted[key] = out
    tests = {k: (v["test"], None) for k, v in advs.items()}
    frame = evaluate_detector(job, fitted, tests, tmp_path / "e.csv", combined=list(advs))
    mix = frame[frame["attack_test"] == "all"]
    assert list(mix["attack_fit"]) == ["all"] and int(mix["n_adv"].iloc[0]) == 20
    assert len(frame) == 3 * 2 + 1  # every fit on both tests, plus the mix
