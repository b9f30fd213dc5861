"""Figures (seaborn): annotated heatmaps of every matrix and the Fig. 1 example grid."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from advsal import io  # noqa: E402
from advsal.tables import read_table  # noqa: E402


def _style(opts: dict) -> None:
    sns.set_theme(context="paper", style="white", font_scale=opts["font_scale"])


def _save(fig, path, opts: dict) -> None:
    with io.atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=opts["dpi"], bbox_inches="tight", format=opts["format"])
    plt.close(fig)


def _order(values: pd.Series) -> list:
    """eps tokens in numeric order; anything else in order of appearance."""
    uniq = list(dict.fromkeys(values))
    numeric = pd.to_numeric(pd.Series(uniq), errors="coerce")
    return [uniq[i] for i in numeric.argsort()] if numeric.notna().all() else uniq


def _heat(ax, frame, index, columns, value, cmap, title):
    mat = frame.pivot_table(index=index, columns=columns, values=value, aggfunc="mean")
    mat = mat.reindex(index=_order(frame[index]), columns=_order(frame[columns]))
    sns.heatmap(
        mat, annot=True, fmt=".2f", vmin=0.5, vmax=1.0, cmap=cmap, cbar=False, ax=ax, square=True
    )
    ax.set_title(title)
    return mat


def eps_matrix_figure(csv, detector: str, out, opts: dict, value: str = "accuracy") -> None:
    """Zhang Fig. 3: one panel per attack, eps_test rows x eps_fit columns."""
    _style(opts)
    frame = read_table(csv)
    frame = frame[frame["detector"] == detector]
    attacks = list(dict.fromkeys(frame["attack"]))
    fig, axes = plt.subplots(1, len(attacks), figsize=(3.4 * len(attacks), 3.2), squeeze=False)
    for ax, attack in zip(axes[0], attacks, strict=True):
        _heat(
            ax,
            frame[frame["attack"] == attack],
            "eps_test",
            "eps_fit",
            value,
            opts["cmap"],
            f"{detector.upper()}: {attack}",
        )
        ax.set_xlabel(r"$\epsilon_{fit}$")
        ax.set_ylabel(r"$\epsilon_{test}$")
    _save(fig, out, opts)


def cross_attack_figure(csv, out, opts: dict, value: str = "accuracy") -> None:
    """Zhang Fig. 4 / Metzen Fig. 4: one panel per detector, attack_test x attack_fit."""
    _style(opts)
    frame = read_table(csv)
    dets = list(dict.fromkeys(frame["detector"]))
    fig, axes = plt.subplots(1, len(dets), figsize=(3.8 * len(dets), 3.6), squeeze=False)
    for ax, det in zip(axes[0], dets, strict=True):
        _heat(
            ax,
            frame[frame["detector"] == det],
            "attack_test",
            "attack_fit",
            value,
            opts["cmap"],
            f"{det.upper()} ({value})",
        )
        ax.set_xlabel("adversary (fit)")
        ax.set_ylabel("adversary (test)")
    _save(fig, out, opts)


def examples_figure(x, x_adv, s, s_adv, labels, out, opts: dict, title: str = "") -> None:
    """Zhang Fig. 1: clean / adversarial image (top) and their saliency (bottom) per example."""
    _style(opts)
    n = min(opts["n_examples"], len(x))
    fig, axes = plt.subplots(4, n, figsize=(1.5 * n, 6.2), squeeze=False)
    rows = [
        ("clean", x),
        ("adversarial", x_adv),
        ("saliency (clean)", s),
        ("saliency (adv)", s_adv),
    ]
    for r, (name, data) in enumerate(rows):
        for i in range(n):
            ax = axes[r][i]
            img = data[i]
            if r < 2:
                ax.imshow(
                    img.permute(1, 2, 0).squeeze(-1).clamp(0, 1).numpy(),
                    cmap="gray",
                    vmin=0,
                    vmax=1,
                )
            else:
                m = img.abs().amax(0).numpy()
                ax.imshow(m, cmap="magma")
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_ylabel(name, fontsize=8)
            if r < 2:
                ax.set_title(labels[r][i], fontsize=8)
    fig.suptitle(title)
    _save(fig, out, opts)


def detectability_figure(csv, out, opts: dict) -> None:
    """Metzen Fig. 2 (left): detectability vs f's accuracy, one line per attack over its eps."""
    _style(opts)
    frame = read_table(csv)
    dets = list(dict.fromkeys(frame["detector"]))
    fig, axes = plt.subplots(1, len(dets), figsize=(4.2 * len(dets), 3.6), squeeze=False)
    for ax, det in zip(axes[0], dets, strict=True):
        sub = frame[frame["detector"] == det].copy()
        sub["_order"] = pd.to_numeric(sub["eps"], errors="coerce")
        sub = sub.sort_values(["attack", "_order"])
        sns.lineplot(
            sub,
            x="accuracy_adv",
            y="accuracy",
            hue="attack",
            marker="o",
            sort=False,
            estimator=None,
            ax=ax,
        )
        for _, r in sub.iterrows():
            if r["eps"] != "none":
                ax.annotate(
                    r["eps"],
                    (r["accuracy_adv"], r["accuracy"]),
                    fontsize=6,
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        ax.set_xlabel("classifier accuracy on adversarial test images")
        ax.set_ylabel("detectability (detector accuracy)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_title(det.upper())
    _save(fig, out, opts)


def training_curve_figure(history_csv, out, opts: dict) -> None:
    _style(opts)
    h = pd.read_csv(history_csv).melt("epoch", ["train_acc", "val_acc"], "split", "accuracy")
    fig, ax = plt.subplots(figsize=(4, 3))
    sns.lineplot(h, x="epoch", y="accuracy", hue="split", marker="o", ax=ax)
    ax.set_title("classifier f")
    _save(fig, out, opts)
