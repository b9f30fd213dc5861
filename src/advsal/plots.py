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


def _eps_label(token) -> str:
    """A budget for a tick label: at most 4 significant digits (the token itself is exact)."""
    try:
        return f"{float(token):.4g}"
    except ValueError:
        return str(token)


ACCURACY = "detector accuracy on the balanced clean + adversarial test set"
SCALE = {"vmin": 0.5, "vmax": 1.0}  # chance .. perfect, the same on every heatmap


def _grid(n: int, width: float, height: float, max_cols: int = 4):
    cols = min(n, max_cols)
    rows = -(-n // cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(width * cols + 1.2, height * rows + 0.8),
        squeeze=False,
        layout="constrained",
    )
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _heat(ax, mat, cmap, title, fmt_ticks=None):
    sns.heatmap(mat, annot=True, fmt=".2f", cmap=cmap, cbar=False, ax=ax, square=True, **SCALE)
    ax.set_title(title)
    if fmt_ticks:
        ax.set_xticklabels([fmt_ticks(t.get_text()) for t in ax.get_xticklabels()])
        ax.set_yticklabels([fmt_ticks(t.get_text()) for t in ax.get_yticklabels()], rotation=0)


def _colorbar(fig, axes, cmap):
    mappable = plt.cm.ScalarMappable(plt.Normalize(**SCALE), cmap=cmap)
    bar = fig.colorbar(mappable, ax=axes, shrink=0.8, pad=0.02)
    bar.set_label("detector accuracy (0.5 = chance)")


def eps_matrix_figure(csv, detector: str, out, opts: dict, value: str = "accuracy") -> None:
    """Zhang Fig. 3: one panel per attack with several budgets, eps_test rows x eps_fit columns."""
    _style(opts)
    frame = read_table(csv)
    frame = frame[frame["detector"] == detector]
    sizes = frame.groupby("attack", sort=False)["eps_fit"].nunique()
    attacks = [a for a, k in sizes.items() if k > 1]  # a single budget is no matrix
    if not attacks:
        raise ValueError(f"detector {detector!r}: no attack with several budgets to plot")
    fig, axes = _grid(len(attacks), 3.0, 2.9)
    for ax, attack in zip(axes, attacks, strict=True):
        sub = frame[frame["attack"] == attack]
        mat = sub.pivot_table(index="eps_test", columns="eps_fit", values=value, aggfunc="mean")
        mat = mat.reindex(index=_order(sub["eps_test"]), columns=_order(sub["eps_fit"]))
        _heat(ax, mat, opts["cmap"], attack, _eps_label)
        ax.set_xlabel(r"$\epsilon$ fitted to")
        ax.set_ylabel(r"$\epsilon$ tested on")
    _colorbar(fig, axes, opts["cmap"])
    fig.suptitle(f"{detector}: {ACCURACY}")
    _save(fig, out, opts)


def _flagged(names, met: dict) -> list[str]:
    return [f"{n} *" if not met.get(n, True) else n for n in names]


ROW_CELLS = 30  # heat-map columns per row of panels before the next panel wraps to a new row


def _wrapped_panels(widths: list[int], heights: list[int]):
    """Panels of ``widths`` x ``heights`` cells in rows of at most ``ROW_CELLS`` columns (a
    panel wider than that gets a row of its own), every cell the same size: a row that is
    narrower than the widest is padded with empty space, not stretched."""
    rows: list[list[int]] = [[]]
    for i, w in enumerate(widths):
        if rows[-1] and sum(widths[j] for j in rows[-1]) + w > ROW_CELLS:
            rows.append([])
        rows[-1].append(i)
    total = max(sum(widths[j] for j in row) for row in rows)
    per_row = max(len(row) for row in rows)
    row_heights = [0.6 * max(heights[j] for j in row) + 2.4 for row in rows]
    fig = plt.figure(
        figsize=(0.6 * total + 1.9 * per_row + 1.2, sum(row_heights)), layout="constrained"
    )
    subfigs = fig.subfigures(len(rows), 1, height_ratios=row_heights, squeeze=False)[:, 0]
    axes = [None] * len(widths)
    for sub, row in zip(subfigs, rows, strict=True):
        ratios = [widths[j] for j in row]
        pad = total - sum(ratios)
        row_axes = sub.subplots(
            1, len(row) + bool(pad), width_ratios=ratios + [pad] * bool(pad), squeeze=False
        )[0]
        if pad:
            row_axes[-1].set_axis_off()
        for j, ax in zip(row, row_axes, strict=False):
            axes[j] = ax
    return fig, axes


def cross_attack_figure(csv, out, opts: dict, value: str = "accuracy") -> None:
    """Zhang Fig. 4 / Metzen Fig. 4: one panel per detector, attack_test x attack_fit, each
    attack at its chosen eps. An attack marked * never met the accuracy rule."""
    _style(opts)
    frame = read_table(csv)
    dets = list(dict.fromkeys(frame["detector"]))
    subs = [_one_fit_if_agnostic(frame[frame["detector"] == d]) for d in dets]
    sizes = [sub["attack_fit"].nunique() for sub in subs]
    fig, axes = _wrapped_panels(sizes, [sub["attack_test"].nunique() for sub in subs])
    met = {
        **dict(zip(frame["attack_fit"], frame["rule_met_fit"], strict=True)),
        **dict(zip(frame["attack_test"], frame["rule_met_test"], strict=True)),
    }
    for ax, det, sub in zip(axes, dets, subs, strict=True):
        mat = sub.pivot_table(
            index="attack_test", columns="attack_fit", values=value, aggfunc="mean"
        )
        mat = mat.reindex(
            index=list(dict.fromkeys(sub["attack_test"])),
            columns=list(dict.fromkeys(sub["attack_fit"])),
        )
        mat.index, mat.columns = _flagged(mat.index, met), _flagged(mat.columns, met)
        _heat(ax, mat, opts["cmap"], det)
        ax.set_xlabel("detector fitted to")
        ax.set_ylabel("tested on")
        ax.tick_params(axis="x", labelrotation=60)
        ax.tick_params(axis="y", labelrotation=0)
    first_row = axes[0].figure  # the subfigure of the first row of panels
    _colorbar(first_row, [ax for ax in axes if ax.figure is first_row], opts["cmap"])
    title = f"Cross-attack: {ACCURACY}"
    if not all(met.values()):
        title += "\n* the eps grid never brought f's accuracy below the threshold"
    fig.suptitle(title)
    _save(fig, out, opts)


AGNOSTIC_FIT = "clean only\n(attack-agnostic)"


def _one_fit_if_agnostic(sub):
    """An attack-agnostic detector's cells repeat one fit under every attack: show it once."""
    if "agnostic" not in sub or not sub["agnostic"].any():
        return sub
    return sub[sub["attack_fit"] == sub["attack_fit"].iloc[0]].assign(attack_fit=AGNOSTIC_FIT)


def _show_image(ax, img) -> None:
    arr = img.permute(1, 2, 0).clamp(0, 1).numpy()
    ax.imshow(arr.squeeze(-1) if arr.shape[-1] == 1 else arr, cmap="gray", vmin=0, vmax=1)


def examples_figure(rows, labels, out, opts: dict, title: str = "") -> None:
    """Zhang Fig. 1: a row per attack (the first row clean), for each example the image (with
    f's label) and its saliency, every map on one shared, symmetric colour scale."""
    import numpy as np

    _style(opts)
    n = min(opts["n_examples"], len(rows[0][1]))
    maps = [s[:n].sum(1).numpy() for _, _, s in rows]  # channels summed, sign kept
    vmax = float(np.percentile(np.abs(np.concatenate([m.ravel() for m in maps])), 99)) or 1.0
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
            shown = ax_sal.imshow(m[i], cmap="RdBu_r", vmin=-vmax, vmax=vmax)
            for ax in (ax_img, ax_sal):
                ax.set_xticks([])
                ax.set_yticks([])
        axes[r][0].set_ylabel(name, fontsize=8, rotation=0, ha="right", va="center")
    bar = fig.colorbar(shown, ax=axes, shrink=0.6, pad=0.01)
    bar.set_label("saliency (shared scale, clipped at the 99th percentile of |s|)")
    fig.suptitle(title)
    _save(fig, out, opts)


def detectability_figure(csv, out, opts: dict) -> None:
    """Metzen Fig. 2 (left): detectability vs f's accuracy, one line per attack over its eps."""
    _style(opts)
    frame = read_table(csv)
    dets = list(dict.fromkeys(frame["detector"]))
    fig, axes = _grid(len(dets), 4.2, 3.8, max_cols=2)
    attacks = list(dict.fromkeys(frame["attack"]))
    palette = dict(zip(attacks, sns.color_palette("tab10", len(attacks)), strict=True))
    shapes = "osD^vP*Xp<>h"
    markers = {a: shapes[i % len(shapes)] for i, a in enumerate(attacks)}
    for ax, det in zip(axes, dets, strict=True):
        sub = frame[frame["detector"] == det].copy()
        sub["_order"] = pd.to_numeric(sub["eps"], errors="coerce")
        sub = sub.sort_values(["attack", "_order"])
        for attack, grp in sub.groupby("attack", sort=False):
            ax.plot(
                grp["accuracy_adv"],
                grp["accuracy"],
                marker=markers[attack],
                color=palette[attack],
                markersize=6,
                lw=1.2,
            )
        for attack, grp in sub.groupby("attack", sort=False):
            if len(grp) > 1:  # label the smallest and largest budget of each line
                for _, r in grp.iloc[[0, -1]].iterrows():
                    ax.annotate(
                        _eps_label(r["eps"]),
                        (r["accuracy_adv"], r["accuracy"]),
                        fontsize=6,
                        color=palette[attack],
                        xytext=(4, -8),
                        textcoords="offset points",
                    )
        ax.set_xlabel("f's accuracy on the adversarial test images")
        ax.set_ylabel("detectability (detector accuracy)")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(0.45, 1.02)
        ax.axhline(0.5, color="grey", lw=0.6, ls=":")
        ax.set_title(det)
    handles = [plt.Line2D([], [], color=palette[a], marker=markers[a], label=a) for a in attacks]
    fig.legend(handles=handles, title="attack (eps labelled at both ends)", loc="outside right")
    fig.suptitle("Detectability vs classifier accuracy, one point per (attack, eps)")
    _save(fig, out, opts)


def training_curve_figure(history_csv, out, opts: dict, title: str = "classifier f") -> None:
    _style(opts)
    h = pd.read_csv(history_csv).melt("epoch", ["train_acc", "val_acc"], "split", "accuracy")
    fig, ax = plt.subplots(figsize=(4, 3), layout="constrained")
    sns.lineplot(h, x="epoch", y="accuracy", hue="split", marker="o", ax=ax)
    ax.set_title(title)
    _save(fig, out, opts)


def depth_sweep_figure(csv, out, opts: dict) -> None:
    """Metzen Fig. 2 (right): detectability per attack for the detector at AD(0)..AD(k)."""
    _style(opts)
    frame = read_table(csv)
    frame["depth"] = [
        f"AD({a})\n{layer}" for a, layer in zip(frame["ad"], frame["layer"], strict=True)
    ]
    frame["attack (eps)"] = [
        f"{a} ({_eps_label(e)})" if e != "none" else a
        for a, e in zip(frame["attack"], frame["eps"], strict=True)
    ]
    n_att = frame["attack"].nunique()
    fig, ax = plt.subplots(figsize=(1.2 + 1.1 * n_att * 1.2, 3.6), layout="constrained")
    sns.barplot(frame, x="attack (eps)", y="accuracy", hue="depth", palette="crest", ax=ax)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set_ylim(0.4, 1.02)
    ax.set_ylabel("detectability (test accuracy)")
    ax.set_xlabel("attack at its chosen eps")
    ax.legend(title="attached at", loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    det = frame["detector"].iloc[0] if len(frame) else ""
    ax.set_title(f"Detector {det!r} by attachment depth")
    _save(fig, out, opts)


def dynamic_figure(csv, out, opts: dict) -> None:
    """Metzen Fig. 5: detectability vs f's accuracy of the dynamic adversary over sigma,
    static vs dynamically trained detector, one panel per (attack, eps, detector)."""
    _style(opts)
    frame = read_table(csv)
    keys = list(dict.fromkeys(zip(frame["attack"], frame["eps"], frame["detector"], strict=True)))
    fig, axes = _grid(len(keys), 3.8, 3.4, max_cols=3)
    colours = {"static": "tab:red", "dynamic": "tab:blue"}
    for ax, (attack, eps, det) in zip(axes, keys, strict=True):
        sub = frame[
            (frame["attack"] == attack) & (frame["eps"] == eps) & (frame["detector"] == det)
        ]
        for version, grp in sub.groupby("version", sort=False):
            grp = grp.sort_values("sigma")
            ax.plot(
                grp["accuracy_adv"],
                grp["detectability"],
                marker="o",
                ms=4,
                lw=1.2,
                color=colours.get(version),
                label=f"{version} detector",
            )
            for _, r in grp.iterrows():
                ax.annotate(
                    f"{r['sigma']:g}",
                    (r["accuracy_adv"], r["detectability"]),
                    fontsize=6,
                    color=colours.get(version),
                    xytext=(3, 3),
                    textcoords="offset points",
                )
        ax.axhline(0.5, color="grey", lw=0.6, ls=":")
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(0.0, 1.02)
        ax.set_xlabel("f's accuracy on the adversarial test images")
        ax.set_ylabel("detectability (kept adversarials)")
        ax.set_title(f"{det} vs {attack} (eps {_eps_label(eps)})", fontsize=9)
    if axes:
        axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("Dynamic adversary: one point per sigma (labelled); dotted: chance")
    _save(fig, out, opts)


def whitebox_figure(csv, out, opts: dict) -> None:
    """model_based_saliency2020 Table 3 as bars: per white-box attack, f's accuracy and the
    detector's accuracy on the adversarials, before (static) and after adversarial training,
    mean and std over seeds as error bars."""
    _style(opts)
    frame = read_table(csv)
    attacks = list(dict.fromkeys(zip(frame["attack"], frame["eps"], strict=True)))
    metrics = {
        "accuracy_adv": "classifier accuracy",
        "detection_rate": "detector accuracy (adversarials flagged)",
    }
    fig, axes = _grid(len(attacks) * len(metrics), 4.2, 3.2, max_cols=len(metrics))
    versions = {"static": ("before", "tab:red"), "dynamic": ("after", "tab:blue")}
    for i, (attack, eps) in enumerate(attacks):
        sub = frame[(frame["attack"] == attack) & (frame["eps"] == eps)]
        dets = list(dict.fromkeys(sub["detector"]))
        for j, (col, label) in enumerate(metrics.items()):
            ax = axes[i * len(metrics) + j]
            for k, (version, (name, colour)) in enumerate(versions.items()):
                v = sub[sub["version"] == version].set_index("detector").reindex(dets)
                xs = [d + (k - 0.5) * 0.38 for d in range(len(dets))]
                ax.bar(
                    xs,
                    v[f"{col}_mean"],
                    width=0.36,
                    yerr=v[f"{col}_std"].fillna(0.0),
                    capsize=3,
                    color=colour,
                    label=f"{name} adversarial training",
                )
                if col == "detection_rate":  # a detector that flags everything scores 1 here
                    ax.scatter(
                        xs,
                        v["false_alarms_mean"],
                        marker="x",
                        color="black",
                        zorder=3,
                        label="clean images flagged" if k == 0 else None,
                    )
            ax.set_xticks(range(len(dets)), dets)
            ax.set_ylim(0.0, 1.05)
            n = int(sub["n_seeds"].max()) if len(sub) else 0
            ax.set_title(f"{attack} (eps {_eps_label(eps)}): {label}, {n} seeds", fontsize=8)
    for ax in axes[: len(metrics)]:
        ax.legend(fontsize=7, loc="upper right")
    fig.suptitle("White-box attacks: before vs after adversarial training (bars: mean, lines: std)")
    _save(fig, out, opts)


def paired_figure(csv, out, opts: dict) -> None:
    """Nguyen 2018 Tables 1-4 as bars: per setting (direct, transferred) and attack, the share
    of adversarial masks that keep their class, TP and TN on all pairs, and TP / TN on the
    filtered pairs (clean mask classified correctly); n pairs under each group."""
    _style(opts)
    frame = read_table(csv)
    settings = list(dict.fromkeys(frame["setting"]))
    bars = [
        ("all", "mask_keeps_class", "mask keeps its class", "tab:gray", None),
        ("all", "tp", "TP (adversarial flagged)", "tab:red", None),
        ("all", "tn", "TN (clean passed)", "tab:blue", None),
        ("filtered", "tp", "TP, filtered", "tab:red", "//"),
        ("filtered", "tn", "TN, filtered", "tab:blue", "//"),
    ]
    fig, axes = _grid(len(settings), 5.0, 3.4, max_cols=2)
    width = 0.8 / len(bars)
    for ax, setting in zip(axes, settings, strict=True):
        sub = frame[frame["setting"] == setting]
        attacks = list(dict.fromkeys(sub["attack"]))
        for k, (subset, col, label, colour, hatch) in enumerate(bars):
            v = sub[sub["subset"] == subset].set_index("attack").reindex(attacks)
            xs = [i + (k - (len(bars) - 1) / 2) * width for i in range(len(attacks))]
            ax.bar(xs, v[col], width=width, color=colour, hatch=hatch, label=label)
        n = sub.pivot_table(index="attack", columns="subset", values="n_pairs").reindex(attacks)
        ticks = [
            f"{a}\n{int(n.loc[a, 'all'])} / {int(n.loc[a, 'filtered'])} pairs" for a in attacks
        ]
        ax.set_xticks(range(len(attacks)), ticks, fontsize=7)
        ax.set_ylim(0.0, 1.05)
        ax.set_title(f"{setting} (crafted on {', '.join(dict.fromkeys(sub['crafted_on']))})")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=len(bars), fontsize=7)
    row = frame.iloc[0]
    fig.suptitle(
        f"Contrastive detection, paired (f1 {row['f1_clean']:.2f}, f2 on clean masks "
        f"{row['f2_clean']:.2f} on test)"
    )
    _save(fig, out, opts)


def fit_test_figure(csv, out, opts: dict, titles: dict | None = None) -> None:
    """model_based_saliency2020 Fig. 2: one panel per training attack, bars per detector over
    the test attacks (each attack at the budget the detectors are fitted to)."""
    _style(opts)
    frame = read_table(csv)
    titles = titles or {}
    frame["detector "] = [titles.get(d, d) for d in frame["detector"]]
    for side in ("fit", "test"):
        frame[side] = [
            f"{a} ({_eps_label(e)})" if e != "none" else a
            for a, e in zip(frame[f"attack_{side}"], frame[f"eps_{side}"], strict=True)
        ]
    fits = list(dict.fromkeys(frame["fit"]))
    tests = list(dict.fromkeys(frame["test"]))
    hue = list(dict.fromkeys(frame["detector "]))
    fig, axes = _grid(len(fits), 0.5 + 0.55 * len(tests), 3.0, max_cols=3)
    for ax, fit in zip(axes, fits, strict=True):
        sub = frame[frame["fit"] == fit]
        sns.barplot(sub, x="test", y="accuracy", hue="detector ", order=tests, hue_order=hue, ax=ax)
        ax.axhline(0.5, color="grey", lw=0.6, ls=":")
        ax.set_ylim(0.0, 1.02)
        ax.set_xlabel("test attack")
        ax.set_ylabel("detector accuracy")
        ax.tick_params(axis="x", rotation=45, labelsize=7)
        ax.set_title(f"trained on {fit}", fontsize=9)
        if ax is not axes[0] and ax.get_legend() is not None:
            ax.get_legend().remove()
    if axes and axes[0].get_legend() is not None:
        axes[0].legend(fontsize=7, loc="lower left", title=None)
    fig.suptitle("Detector accuracy, fitted to one attack (panel) and tested on each (bars)")
    _save(fig, out, opts)


def layer_study_figure(csv, maps, out, opts: dict) -> None:
    """Zhang Fig. 7 measured: left, per attack the correlation between clean and adversarial
    Grad-CAM maps at each layer (dotted: two different clean images); right, example maps."""
    import torch

    _style(opts)
    frame = read_table(csv)
    saved = torch.load(maps, weights_only=True)
    roles = list(saved["layers"])
    examples = saved["examples"]
    rows = list(examples)
    n_img = len(examples["clean"]["x"])
    fig = plt.figure(figsize=(4.2 + 1.3 * n_img * (1 + len(roles)), 0.4 + 1.25 * len(rows)))
    grid = fig.add_gridspec(len(rows), 1 + n_img * (1 + len(roles)), wspace=0.08, hspace=0.25)
    ax = fig.add_subplot(grid[:, 0])
    label = {r: f"{r}\n({saved['layers'][r]})" for r in roles}
    for attack, grp in frame.groupby("attack", sort=False):
        grp = grp.set_index("role").loc[roles]
        style = {"ls": ":", "color": "grey"} if attack == "different images" else {"marker": "o"}
        ax.plot([label[r] for r in roles], grp["correlation"], label=attack, **style)
    ax.set_ylabel("correlation of Grad-CAM maps, clean vs adversarial")
    ax.set_ylim(-0.1, 1.02)
    ax.legend(fontsize=6, loc="lower left")
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
    _save(fig, out, opts)


def certified_figure(csv, certificates: dict, out, opts: dict) -> None:
    """Nguyen 2018 Fig. 6: stAdv's successes on the plain and the certified two-layer net (same
    test images), and beside it each model's certificate per image: the share of images whose
    worst bound on f_j - f_y lies below each value (certified left of 0)."""
    _style(opts)
    frame = read_table(csv)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.6), layout="constrained")
    colours = dict(zip(frame["model"], sns.color_palette("deep", len(frame)), strict=True))
    bars = left.bar(frame["model"], frame["fooled"], color=[colours[m] for m in frame["model"]])
    left.bar_label(
        bars,
        [
            f"{f} / {n}\nacc {a:.2f}"
            for f, n, a in zip(*(frame[c] for c in ("fooled", "attacked", "test_acc")), strict=True)
        ],
        fontsize=7,
    )
    left.set_ylabel("successful stAdv adversarials")
    left.set_title(f"stAdv, flow budget {frame['attack_eps'].iloc[0]:g}")
    left.margins(y=0.25)
    for model, path in certificates.items():
        worst = pd.read_csv(path)["worst"].sort_values()
        share = [(k + 1) / len(worst) for k in range(len(worst))]
        right.step(worst, share, where="post", color=colours.get(model), label=model)
    right.axvline(0.0, color="black", lw=0.8, ls="--")
    right.set_xscale("symlog", linthresh=1.0)
    right.set_xlabel("worst certified bound on f_j - f_y (< 0: certified)")
    right.set_ylabel("share of test images")
    right.set_title(f"certificate, ||N r||_2 <= {frame['cert_eps'].iloc[0]:g}")
    right.legend(fontsize=7)
    fig.suptitle(
        f"Plain vs certified two-layer net ({frame['side'].iloc[0]}x{frame['side'].iloc[0]} digits)"
    )
    _save(fig, out, opts)


VERDICT_COLOURS = {"holds": "#2a9d55", "fails": "#d1495b", "not comparable": "#8d99ae"}


def _comparison_kind(row) -> str:
    if row["verdict"] in ("holds", "fails"):
        return "like-for-like"
    return (
        "proxy" if str(row["reason"]).startswith("proxy") else "construction / extension / context"
    )


def _tolerance_bars(data, color=None, **kwargs) -> None:
    """Per facet: y = x and, at each published value, the interval its tolerance allows."""
    ax = plt.gca()
    lo = min(data["published"].min(), data["reproduced"].min(), data["lower"].min(skipna=True))
    hi = max(data["published"].max(), data["reproduced"].max(), data["upper"].max(skipna=True))
    pad = 0.05 * (hi - lo or 1.0)
    lim = (lo - pad, hi + pad)
    ax.plot(lim, lim, ls="--", lw=0.8, color="0.3", zorder=0)
    bars = data.dropna(subset=["lower", "upper"])
    ax.vlines(
        bars["published"], bars["lower"], bars["upper"], color="0.75", lw=4, alpha=0.6, zorder=0
    )
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_aspect("equal", adjustable="box")


def paper_figure(csv, paper: str, out, opts: dict) -> None:
    """One paper's published cells against ours: a panel per table or figure of the paper, y = x
    dashed, each cell's tolerance as a grey bar at its published value; colour the verdict,
    marker like-for-like / proxy / other."""
    _style(opts)
    frame = pd.read_csv(csv)
    cells = frame[(frame["paper"] == paper) & (frame["row"] == "cell")]
    cells = cells.dropna(subset=["published", "reproduced"]).copy()
    if cells.empty:
        fig, ax = plt.subplots(figsize=(5, 2))
        ax.text(
            0.5,
            0.5,
            f"{paper}: no published cell has a reproduced value in this run",
            ha="center",
            va="center",
        )
        ax.set_axis_off()
        _save(fig, out, opts)
        return
    cells["comparison"] = cells.apply(_comparison_kind, axis=1)
    cells["verdict"] = pd.Categorical(cells["verdict"], list(VERDICT_COLOURS))
    pooled = cells[cells["pooled"].astype(bool)]
    mean = pooled["difference"].abs().mean()
    grid = sns.relplot(
        cells,
        x="published",
        y="reproduced",
        col="target",
        col_wrap=min(4, cells["target"].nunique()),
        hue="verdict",
        palette=VERDICT_COLOURS,
        hue_order=list(VERDICT_COLOURS),
        style="comparison",
        style_order=["like-for-like", "proxy", "construction / extension / context"],
        s=40,
        height=3.0,
        facet_kws={"sharex": False, "sharey": False},
    )
    grid.map_dataframe(_tolerance_bars)
    grid.set_titles("{col_name}")
    summary = (
        f"{len(pooled)} like-for-like cells, mean |reproduced - published| {mean:.3f}"
        if len(pooled)
        else "no like-for-like cell: all are proxies or context"
    )
    grid.figure.suptitle(
        f"{paper}: published vs reproduced; {summary}\n"
        "dashed: y = x; grey bar: the interval a cell's tolerance allows",
        y=1.05,
    )
    _save(grid.figure, out, opts)
