"""Nguyen 2018 Sec. 3.2: classification-interpretation contrastive detection.

The image classifier f1 (the frozen classifier under attack) labels x; an attention model g (a
saliency instance, the thesis's LAN) gives the mask m = G(x); a mask classifier f2 (LeNet)
labels m. x is called adversarial when the two labels differ. f2 is trained on the training
set's clean masks with their labels, never on adversarials, so one fit serves every attack
(``attack_agnostic``: its matrix rows are one fit, repeated).

The score is max_{c != y1} log p2(c | m) - log p2(y1 | m) with y1 = argmax f1(x): positive
exactly when f2's label differs from f1's, and graded (ROC-AUC) by how far f2 is from f1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from advsal.detectors.base import DETECTORS, Detector
from advsal.models import build


@DETECTORS.register("lan_contrast")
class ContrastDetector(Detector):
    needs_saliency = True
    needs_classifier = True
    attack_agnostic = True
    contrasts = True
    title = "LAN contrast"

    def __init__(self, in_shape, classifier=None, arch: str = "lenet", n_classes: int = 10):
        super().__init__(in_shape, arch=arch, n_classes=n_classes)
        self.classifier = classifier
        if classifier is not None:
            classifier.requires_grad_(False).eval()
        self.mask_net = build(arch, self.in_shape, n_out=n_classes)

    def mask_logits(self, s: torch.Tensor) -> torch.Tensor:
        """f2's logits on the masks."""
        return self.mask_net(s)

    @staticmethod
    def score(z1: torch.Tensor, z2: torch.Tensor) -> torch.Tensor:
        """The detector's output from f1's logits on the images and f2's on their masks."""
        y1 = z1.argmax(1, keepdim=True)
        lp = F.log_softmax(z2, 1)
        own = lp.gather(1, y1).squeeze(1)
        return lp.scatter(1, y1, float("-inf")).amax(1) - own

    def forward(self, x, s=None):
        if s is None:
            raise ValueError("the contrastive detector needs the attention mask")
        return self.score(self.classifier(x), self.mask_logits(s))

    def fit_clean(self, s, y, s_val, y_val, **kw) -> list[dict]:
        """Train f2 on clean masks with the images' labels (f1 stays frozen)."""
        from advsal.training import fit_classifier

        return fit_classifier(self.mask_net, s, y, s_val, y_val, desc="mask classifier", **kw)
