from __future__ import annotations

import pytest
import torch

from advsal.detectors import DETECTORS, load_detector, save_detector
from advsal.io import CheckpointError
from advsal.training import fit_detector, predict


def _separable(n=120, seed=0):
    """Clean: noise images; 'adversarial': the same plus a fixed stripe pattern."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, 12, 12, generator=g) * 0.5
    pattern = torch.zeros(1, 1, 12, 12)
    pattern[..., ::3] = 0.4
    x_adv = (x + pattern).clamp(0, 1)
    s, s_adv = x * 0.01, (x_adv - x) * 0.01  # saliency channel carries the signal too
    return x, s, x_adv, s_adv


@pytest.mark.parametrize("name", ["id", "jsd"])
def test_detector_learns_a_separable_case(name, tmp_path):
    torch.manual_seed(0)
    x, s, xa, sa = _separable()
    cls = DETECTORS.get(name)
    det = cls((1, 12, 12), width=8)
    inputs = [torch.cat([x, xa])] + ([torch.cat([s, sa])] if cls.needs_saliency else [])
    labels = torch.cat([torch.zeros(len(x)), torch.ones(len(xa))])
    det.fit_normalizer(*inputs) if cls.needs_saliency else None
    hist = fit_detector(
        det, inputs, labels, inputs, labels, epochs=15, lr=3e-3, batch_size=32, device="cpu", seed=0
    )
    assert hist[-1]["val_acc"] >= 0.95
    save_detector(tmp_path / "d.pt", name, det)
    again = load_detector(tmp_path / "d.pt")
    torch.testing.assert_close(predict(again, inputs), predict(det, inputs))


def test_jsd_refuses_to_run_without_saliency():
    det = DETECTORS.get("jsd")((1, 12, 12), width=4)
    with pytest.raises(ValueError, match="saliency"):
        det(torch.zeros(2, 1, 12, 12))


def test_corrupted_checkpoint_gives_a_clear_error(tmp_path):
    bad = tmp_path / "model.pt"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(CheckpointError, match="corrupted or unreadable"):
        load_detector(bad)


def test_jsd_reads_the_raw_map_unless_asked_to_standardise():
    x, s = torch.rand(4, 1, 12, 12), 0.01 * torch.randn(4, 1, 12, 12)
    raw = DETECTORS.get("jsd")((1, 12, 12), width=8)
    raw.fit_normalizer(x, s)
    torch.testing.assert_close(raw.net_input(x, s)[:, 1:], s)  # the papers' JSD: as it is
    std = DETECTORS.get("jsd")((1, 12, 12), width=8, scale="standardised")
    std.fit_normalizer(x, s)
    assert std.net_input(x, s)[:, 1:].std().item() == pytest.approx(1.0, rel=1e-4)
    with pytest.raises(ValueError, match="scale must be one of raw, standardised"):
        DETECTORS.get("jsd")((1, 12, 12), scale="max")
