"""Stage 7, the figures that need tensors: Zhang Fig. 1 for every attack of a classifier."""

from __future__ import annotations

from advsal.plots import examples_figure as draw
from advsal.stages.common import load_adv, load_classifier, load_saliency, load_splits, split_xy
from advsal.tables import read_table
from advsal.training import predict


def examples_figure(saliency, data, model, chosen_csv, sal_clean, adv, sal_adv, out, plots):
    """Clean and adversarial test images with their saliency, every attack at its chosen eps.

    ``adv`` / ``sal_adv`` map (attack, eps token) -> file; only the chosen eps are read."""
    chosen = read_table(chosen_csv).set_index("attack")
    attacks = [a for a in dict.fromkeys(a for a, _ in adv) if a in chosen.index]
    n = plots["n_examples"]
    x = split_xy(load_splits(data), "test")[0][:n]
    clf = load_classifier(model)
    rows = [("clean", x, load_saliency(sal_clean)["test"][:n])]
    for a in attacks:
        eps = chosen.loc[a, "eps"]
        rows.append(
            (
                f"{a}\n(eps {eps})" if eps != "none" else a,
                load_adv(adv[(a, eps)])[:n],
                load_saliency(sal_adv[(a, eps)])["test"][:n],
            )
        )
    labels = [[int(p) for p in predict(clf, [r[1]]).argmax(1)] for r in rows]
    draw(rows, labels, out, plots, title=f"saliency {saliency!r}: clean vs adversarial (test)")
