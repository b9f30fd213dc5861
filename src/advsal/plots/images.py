"""Figures of images and maps (not data seaborn can facet): Zhang Fig. 1 (clean and adversarial
test images with their saliency) and Fig. 7 (Grad-CAM per layer, with the correlation per layer
beside the maps)."""

from __future__ import annotations

import matplotlib.pyplot as plt

from advsal.plots.base import attack_styles, save, style
from advsal.tables import read_table


def _show_image(ax, img) -> None:
    arr = img.permute(1, 2, 0).clamp(0, 1).numpy()
    ax.imshow(arr.squeeze(-1) if arr.shape[-1] == 1 else arr, cmap="gray", vmin=0, vmax=1)


def examples_figure(rows, labels, out, opts: dict, title: str = "") -> None:
    """Zhang Fig. 1: a row per attack (the first row clean), for each example the image (with
    f's label) and its saliency, every map on one shared, symmetric colour scale."""
    import numpy as np

    style(opts)
    n = min(opts["n_examples"], len(rows[0][1]))
    maps = [s[:n].sum(1).numpy() for _, _, s in rows]  # channels summed, sign kept
    flat = np.concatenate([m.ravel() for m in maps])
    vmax = float(np.percentile(np.abs(flat), 99)) or 1.0
    # a signed map (a gradient) on a diverging scale around 0, a non-negative one (a mask) on
    # a sequential scale from 0
    signed = bool((flat < 0).any())
    cmap, vmin = ("RdBu_r", -vmax) if signed else ("viridis", 0.0)
    fig, axes = plt.subplots(
        len(rows),
        2 * n,
        figsize=(1.25 * 2 * n + 1.0, 1.4 * len(rows) + 0.6),
        squeeze=False,
        layout="constrained",
    )
    for r, ((name, x, _), m) in enumerate(zip(rows, maps, strict=True)):
        for i in range(n):
            ax_img, ax_sal = axes[r][2 * i], axes[r][2 * i + 1]
            _show_image(ax_img, x[i])
            ax_img.set_title(f"f: {labels[r][i]}", fontsize=7, pad=2)
            shown = ax_sal.imshow(m[i], cmap=cmap, vmin=vmin, vmax=vmax)
            for ax in (ax_img, ax_sal):
                ax.set_xticks([])
                ax.set_yticks([])
        axes[r][0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    bar = fig.colorbar(shown, ax=axes, shrink=0.6, pad=0.01)
    bar.set_label(
        "saliency (shared scale, clipped at the 99th percentile of |s|)"
        if signed
        else "saliency (shared scale from 0, clipped at its 99th percentile)"
    )
    fig.suptitle(title)
    save(fig, out, opts)


def layer_study_figure(csv, maps, out, opts: dict) -> None:
    """Zhang Fig. 7 measured: left, per attack the correlation between clean and adversarial
    Grad-CAM maps at each layer (dotted: two different clean images); right, example maps."""
    import torch

    style(opts)
    frame = read_table(csv)
    saved = torch.load(maps, weights_only=True)
    roles = list(saved["layers"])
    examples = saved["examples"]
    rows = list(examples)
    n_img = len(examples["clean"]["x"])
    fig = plt.figure(
        figsize=(4.2 + 1.3 * n_img * (1 + len(roles)), 0.4 + 1.25 * len(rows)),
        layout="constrained",
    )
    grid = fig.add_gridspec(len(rows), 1 + n_img * (1 + len(roles)), wspace=0.08, hspace=0.25)
    ax = fig.add_subplot(grid[:, 0])
    label = {r: f"{r}\n({saved['layers'][r]})" for r in roles}
    colours, markers = attack_styles(a for a in frame["attack"] if a != "different images")
    for attack, grp in frame.groupby("attack", sort=False):
        grp = grp.set_index("role").loc[roles]
        line = (
            {"ls": ":", "color": "grey"}
            if attack == "different images"
            else {"marker": markers[attack], "color": colours[attack]}
        )
        ax.plot([label[r] for r in roles], grp["correlation"], label=attack, **line)
    ax.set_ylabel("correlation of Grad-CAM maps, clean vs adversarial")
    ax.set_ylim(-0.1, 1.02)
    ax.legend(fontsize=6, loc="upper center", bbox_to_anchor=(0.5, -0.06), ncols=2)
    ax.set_title("per layer (changed predictions)", fontsize=9)
    for i, row in enumerate(rows):
        for j in range(n_img):
            cells = [("image", examples[row]["x"][j, 0])] + [
                (r, examples[row][r][j]) for r in roles
            ]
            for k, (what, img) in enumerate(cells):
                a = fig.add_subplot(grid[i, 1 + j * (1 + len(roles)) + k])
                a.imshow(img, cmap="gray" if what == "image" else opts["cmap"])
                a.set_xticks([])
                a.set_yticks([])
                if i == 0:
                    a.set_title(what, fontsize=7)
                if j == 0 and k == 0:
                    a.set_ylabel(row, fontsize=7)
    fig.suptitle("Grad-CAM at a shallow, a middle and a deep layer of f (Zhang et al. Fig. 7)")
    save(fig, out, opts)
