"""Detectors: binary classifiers D(x, s) -> logit of "adversarial".

Each detector kind is a small ``nn.Module`` subclass registered by name. It says whether it reads
a saliency map and builds its network from the image shape. Kinds that read the frozen
classifier's features at a named layer (Metzen et al.) receive ``classifier=`` and use
:func:`advsal.models.features_at`; the training and evaluation code is the same for all kinds,
but for attack-agnostic kinds, which train on clean data alone (``fit_clean``).
"""

from __future__ import annotations

import torch
from torch import nn

from advsal.io import load_tensors, save_tensors
from advsal.registry import Registry

DETECTORS: Registry[type[Detector]] = Registry("detector")


class Detector(nn.Module):
    needs_saliency: bool = False
    needs_classifier: bool = False
    attaches: bool = False  # reads f's features at an attachment point AD(i)
    # fitted on clean data alone (``fit_clean``), so one fit serves every attack
    attack_agnostic: bool = False
    # classifies the saliency mask itself (``score`` gives f2's logits): scored pair by pair
    # against f's label (Nguyen 2018 Tables 1-4, a detector's ``paired``)
    contrasts: bool = False
    title: str = ""

    def __init__(self, in_shape, **params):
        super().__init__()
        self.in_shape = tuple(in_shape)
        self.params = dict(params)

    def frozen(self) -> nn.Module | None:
        """The part of the detector that never trains, as a module of its inputs (Metzen's
        frozen classifier up to the attachment point), or None. Training and scoring compute
        its output once per image set and run only :meth:`on_frozen` on it
        (:func:`advsal.training.fit_detector`)."""
        return None

    def on_frozen(self, f: torch.Tensor) -> torch.Tensor:
        """The logit from :meth:`frozen`'s output: ``forward(x) == on_frozen(frozen()(x))``."""
        raise NotImplementedError

    def fit_normalizer(self, x: torch.Tensor, s: torch.Tensor | None) -> None:
        """Set input statistics from the training data (a no-op unless a kind needs them)."""

    def forward(self, x: torch.Tensor, s: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def fit_clean(self, s, y, s_val, y_val, **kw) -> list[dict]:
        """An attack-agnostic kind's training on the clean split's maps and labels."""
        raise NotImplementedError


class OnFrozen(nn.Module):
    """A detector run on its frozen part's output (:meth:`Detector.frozen`): what trains and
    scores when that output is computed once per image set. Its parameters and state are the
    detector's."""

    def __init__(self, det: Detector) -> None:
        super().__init__()
        self.det = det

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return self.det.on_frozen(f)


def save_detector(path, name: str, det: Detector, extra: dict | None = None) -> None:
    state = {k: v for k, v in det.state_dict().items() if not k.startswith("classifier.")}
    save_tensors(
        path,
        {
            "detector": name,
            "in_shape": list(det.in_shape),
            "params": det.params,
            "state_dict": state,
            "extra": dict(extra or {}),
        },
    )


def load_detector(path, classifier: nn.Module | None = None, device="cpu") -> Detector:
    ckpt = load_tensors(path, expect=("detector", "in_shape", "params", "state_dict"))
    cls = DETECTORS.get(ckpt["detector"])
    kw = {"classifier": classifier} if cls.needs_classifier else {}
    det = cls(ckpt["in_shape"], **ckpt["params"], **kw)
    det.load_state_dict(ckpt["state_dict"], strict=not cls.needs_classifier)
    return det.to(device).eval()
