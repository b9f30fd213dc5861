"""Nguyen 2018 Fig. 6: stAdv against the plain and the certified two-layer net, and each net's
certificate per test image as an empirical CDF (seaborn's ecdfplot)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from advsal.plots.base import save, style
from advsal.tables import read_table


def certified_figure(csv, certificates: dict, out, opts: dict) -> None:
    """Left: stAdv's successes on each net (same test images), labelled with the count and the
    net's test accuracy. Right: the share of test images whose worst bound on f_j - f_y lies
    below each value (certified left of 0)."""
    style(opts)
    frame = read_table(csv)
    colours = dict(zip(frame["model"], sns.color_palette("deep", len(frame)), strict=True))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.6), layout="constrained")
    sns.barplot(frame, x="model", y="fooled", hue="model", palette=colours, ax=left)
    for container, (_, r) in zip(left.containers, frame.iterrows(), strict=True):
        left.bar_label(
            container, [f"{r['fooled']} / {r['attacked']}\nacc {r['test_acc']:.2f}"], fontsize=7
        )
    left.set_ylabel("successful stAdv adversarials")
    left.set_title(f"stAdv, flow budget {frame['attack_eps'].iloc[0]:g}")
    left.margins(y=0.25)
    worst = pd.concat(
        [pd.read_csv(p)[["worst"]].assign(model=m) for m, p in certificates.items()],
        ignore_index=True,
    )
    sns.ecdfplot(worst, x="worst", hue="model", palette=colours, ax=right)
    right.axvline(0.0, color="black", lw=0.8, ls="--")
    right.set_xscale("symlog", linthresh=1.0)
    right.set_xlabel("worst certified bound on f_j - f_y (< 0: certified)")
    right.set_ylabel("share of test images")
    right.set_title(f"certificate, ||N r||_2 <= {frame['cert_eps'].iloc[0]:g}")
    side = frame["side"].iloc[0]
    fig.suptitle(f"Plain vs certified two-layer net ({side}x{side} digits)")
    save(fig, out, opts)
