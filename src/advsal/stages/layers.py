"""Zhang et al. Sec. 5 / Fig. 7: Grad-CAM (captum's ``LayerGradCam``) at a shallow, a middle and a
deep layer of f, clean vs adversarial, with a number per layer so that "shallow layers are robust,
middle layers start to extract wrong features" is measured, not only shown.

For each test image whose adversarial changes f's prediction, the Grad-CAM maps of the clean image
and of its adversarial, both for f's clean prediction (what the layer contributes to the class the
image shows), are upsampled to the image size and compared by Pearson correlation; the same
correlation between the clean maps of two different images (a seeded derangement) is the level
of a map that no longer relates to its image.
"""

from __future__ import annotations

import pandas as pd
import torch

from advsal import io
from advsal.runtime import progress, setup
from advsal.stages.common import Job, load_adv, load_classifier, load_splits, split_xy
from advsal.stages.saliency import different_partner
from advsal.tables import read_table
from advsal.training import batched, predict


def gradcam(model, layer: str, x, target, batch_size: int = 256):
    """Grad-CAM of ``target`` at ``layer``, upsampled to x's size: the feature maps weighted by the
    spatial mean of their gradient, summed, without Selvaraju et al.'s final ReLU (Zhang's
    "weighted summation of feature maps"; the ReLU leaves most shallow maps all zero)."""
    from captum.attr import LayerAttribution, LayerGradCam

    model.eval()
    cam = LayerGradCam(model, dict(model.named_children())[layer])

    def maps(xb, tb):
        a = cam.attribute(xb, target=tb, relu_attributions=False)
        return LayerAttribution.interpolate(a, tuple(x.shape[-2:]), "bilinear").detach()

    out = batched(maps, [x, target], batch_size, x.device, grad=True, empty=None)
    # on x's device, as the masks the caller indexes them with (batched returns CPU tensors)
    return (out[:, 0] if len(out) else torch.zeros(0, *x.shape[-2:])).to(x.device)


def correlation(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Pearson correlation per pair of maps; NaN where a map is constant (all zero after ReLU)."""
    a, b = a.flatten(1), b.flatten(1)
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    den = a.norm(dim=1) * b.norm(dim=1)
    r = (a * b).sum(1) / den
    return torch.where(den > 1e-12, r, torch.full_like(r, float("nan")))


def layer_study(job: Job, adv, out_csv, out_maps) -> pd.DataFrame:
    """``job``: the study of one classifier (``name``), its settings ``layers`` ({role: layer
    name}: shallow, middle, deep) and ``n_examples``, reading ``data``, ``classifier`` and the
    ``chosen`` eps table; ``adv``: (attack, eps) -> test file (only each attack's chosen eps
    is read). Writes the table and the example maps."""
    name, seed = job.name, job.seed
    layers, n_examples = job.settings["layers"], job.settings["n_examples"]
    dev = setup(seed, job.device, job.threads, "layer_study", name)
    clf = load_classifier(job.files["classifier"], dev)
    x = split_xy(load_splits(job.files["data"]), "test")[0].to(dev)
    chosen = read_table(job.files["chosen"]).set_index("attack")["eps"].to_dict()
    pred = predict(clf, [x], device=dev).argmax(1).to(dev)
    partner = different_partner(len(x), seed)
    rows, examples = [], {"clean": {"x": x[:n_examples].cpu()}}
    clean_maps = {}
    for role, layer in layers.items():
        clean_maps[role] = gradcam(clf, layer, x, pred)
        r = correlation(clean_maps[role], clean_maps[role][partner])
        rows.append(_row(name, role, layer, "different images", "", r))
        examples["clean"][role] = clean_maps[role][:n_examples].cpu()
    for (attack, eps), path in adv.items():
        if chosen.get(attack) != eps:
            continue
        x_adv = load_adv(path).to(dev)
        adv_pred = predict(clf, [x_adv], device=dev).argmax(1).to(dev)
        changed = (adv_pred != pred).cpu()
        examples[attack] = {"x": x_adv[:n_examples].cpu(), "eps": eps}
        for role, layer in layers.items():
            maps = gradcam(clf, layer, x_adv, pred)  # for the same class as the clean map
            r = correlation(clean_maps[role], maps)[changed.to(dev)]
            rows.append(_row(name, role, layer, attack, eps, r))
            examples[attack][role] = maps[:n_examples].cpu()
        progress.info("layer study %s: %s eps=%s done", name, attack, eps)
    frame = pd.DataFrame(rows)
    io.write_csv(out_csv, frame)
    io.save_tensors(out_maps, {"layers": layers, "examples": examples})
    return frame


def _row(name, role, layer, attack, eps, r):
    r = r[~torch.isnan(r)].cpu()
    return {
        "classifier": name,
        "role": role,
        "layer": layer,
        "attack": attack,
        "eps": eps,
        "n": int(len(r)),
        "correlation": float(r.mean()) if len(r) else float("nan"),
        "correlation_std": float(r.std()) if len(r) > 1 else float("nan"),
    }
