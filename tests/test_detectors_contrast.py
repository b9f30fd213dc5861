"""Nguyen 2018 Sec. 3: the contrastive detector (f1 vs f2 on the attention mask), its one
attack-agnostic fit, the paired Tables 1-4 and their config."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from torch import nn

from advsal.config import ConfigError, resolve
from advsal.detectors import DETECTORS, load_detector, save_detector
from advsal.plan.instances import complete
from advsal.stages.paired import pair_rows
from advsal.tables.detection import _spread_agnostic
from tests.helpers import config_with


class _Fixed(nn.Module):
    """A 'classifier' whose logits are given per image (its input's first pixel is the index)."""

    def __init__(self, logits):
        super().__init__()
        self.register_buffer("table", logits)

    def forward(self, x):
        return self.table[x.flatten(1)[:, 0].long()]


def _masks(n=200, seed=0):
    """Masks whose class is written as a bright square at one of 4 positions."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (n,), generator=g)
    s = torch.rand(n, 1, 12, 12, generator=g) * 0.2
    for i, c in enumerate(y.tolist()):
        r, col = divmod(c, 2)
        s[i, 0, 6 * r : 6 * r + 4, 6 * col : 6 * col + 4] += 0.8
    return s, y


def test_score_is_positive_exactly_when_f2_disagrees_with_f1():
    torch.manual_seed(0)
    n = 64
    f1 = _Fixed(torch.randn(n, 4))
    det = DETECTORS.get("lan_contrast")((1, 12, 12), classifier=f1, n_classes=4).eval()
    x = torch.zeros(n, 1, 12, 12)
    x.view(n, -1)[:, 0] = torch.arange(n, dtype=torch.float)
    s = torch.rand(n, 1, 12, 12)
    with torch.no_grad():
        score = det(x, s)
        disagree = f1(x).argmax(1) != det.mask_logits(s).argmax(1)
    assert disagree.any() and (~disagree).any()
    assert torch.equal(score > 0, disagree)
    with pytest.raises(ValueError, match="attention mask"):
        det(x)


def test_fit_clean_trains_the_mask_classifier_and_round_trips(tmp_path):
    s, y = _masks()
    sv, yv = _masks(80, seed=1)
    torch.manual_seed(0)
    f1 = nn.Sequential(nn.Flatten(), nn.Linear(144, 4))
    det = DETECTORS.get("lan_contrast")((1, 12, 12), classifier=f1, n_classes=4)
    assert det.attack_agnostic and not DETECTORS.get("jsd").attack_agnostic
    before = (det.mask_logits(sv).argmax(1) == yv).float().mean()
    hist = det.fit_clean(s, y, sv, yv, epochs=8, lr=3e-3, batch_size=25, device="cpu", seed=0)
    after = (det.mask_logits(sv).argmax(1) == yv).float().mean()
    assert hist[-1]["val_acc"] >= 0.95 and after >= 0.95 > before
    assert all(not p.requires_grad for p in f1.parameters())  # f1 stays frozen
    save_detector(tmp_path / "d.pt", "lan_contrast", det)
    again = load_detector(tmp_path / "d.pt", classifier=f1)
    torch.testing.assert_close(again.mask_logits(sv), det.mask_logits(sv))


def test_pair_rows_keep_only_successful_pairs_and_filter_on_the_clean_mask():
    y = torch.tensor([0, 1, 2, 3, 4, 5])
    # f1 right on all clean images but 5; its adversarials fool f1 on 0-3 and 5 (image 4 fails)
    clean = (torch.tensor([0, 1, 2, 3, 4, 0]), torch.tensor([0, 1, 9, 3, 4, 5]),
             torch.tensor([-1.0, -1.0, 2.0, -1.0, -1.0, 1.0]))  # fmt: skip
    adv = (torch.tensor([7, 7, 7, 7, 4, 7]), torch.tensor([0, 7, 9, 3, 4, 5]),
           torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, 1.0]))  # fmt: skip
    every, filtered = pair_rows(y, clean, adv)
    assert every["subset"] == "all" and every["n_pairs"] == 4  # images 0, 1, 2, 3
    assert every["mask_keeps_class"] == pytest.approx(3 / 4)  # 1's mask moved to f1's new class
    assert every["recovery"] == pytest.approx(2 / 4)  # 0 and 3 keep the true class (2 says 9)
    assert every["tp"] == pytest.approx(3 / 4) and every["tn"] == pytest.approx(3 / 4)
    assert filtered["n_pairs"] == 3  # image 2's clean mask is labelled 9: filtered out
    assert filtered["tn"] == 1.0 and filtered["tp"] == pytest.approx(2 / 3)
    none = pair_rows(y, clean, clean)[0]  # no adversarial fools f1: no pairs, no numbers
    assert none["n_pairs"] == 0 and none["tp"] != none["tp"]


def test_the_one_agnostic_fit_stands_for_every_attack_in_the_tables():
    cells = pd.DataFrame(
        [
            {"detector": "c", "attack_fit": "clean", "eps_fit": "none", "attack_test": a,
             "eps_test": e, "accuracy": acc}
            for a, e, acc in (("fgsm", "0.1", 0.7), ("fgsm", "0.2", 0.8), ("cw", "none", 0.6))
        ]
        + [{"detector": "jsd", "attack_fit": "cw", "eps_fit": "none", "attack_test": "cw",
            "eps_test": "none", "accuracy": 0.9}]
    )  # fmt: skip
    out = _spread_agnostic(cells)
    mine = out[out["detector"] == "c"]
    assert (
        len(mine) == 9
        and mine["agnostic"].all()
        and not out[out["detector"] == "jsd"]["agnostic"].any()
    )
    assert "clean" not in set(mine["attack_fit"])
    for (a, e), grp in mine.groupby(["attack_fit", "eps_fit"]):  # each fit: the same 3 cells
        assert sorted(grp["accuracy"]) == [0.6, 0.7, 0.8], (a, e)


def test_contrast_config_is_one_clean_fit_and_its_errors_name_the_key(tmp_path):
    cfg = complete(resolve(config_with(tmp_path)))
    spec = cfg["detectors"]["lan_contrast"]
    assert spec["fitted_to"] == [["clean", "none"]] and spec["saliency"] == "lan"
    assert "lan_contrast" not in cfg["attacks"]["dynamic"]["against"]

    def contrast(**spec):
        return {"detectors": {"lan_contrast": spec}}

    bad = [
        (contrast(fit_on={"fgsm": 0.2}), r"lan_contrast\.fit_on: .*clean"),
        (contrast(paired={"nope": 0.2}), r"paired\.nope: 'nope' is not"),
        (contrast(paired={"fgsm": 0.5}), r"paired\.fgsm: .*no budget 0\.5"),
        ({"detectors": {"jsd": {"paired": {"fgsm": 0.2}}}}, r"jsd\.paired: 'jsd' has no mask"),
        ({"attacks": {"clean": {"type": "fgsm", "eps": [0.1]}}}, r"attacks\.clean: .*reserved"),
        ({"attacks": {"dynamic": {"against": ["lan_contrast"]}}}, r"against: .*agnostic"),
    ]
    for sections, message in bad:
        with pytest.raises(ConfigError, match=message):
            resolve(config_with(tmp_path, **sections))
