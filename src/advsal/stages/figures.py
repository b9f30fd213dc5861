"""Stage 7, what the figures that show tensors read: Zhang Fig. 1's rows (the clean test images
and each attack's adversarials at its chosen eps, with their saliency maps and f's labels),
drawn by :func:`advsal.plots.images.examples_figure`."""

from __future__ import annotations

from advsal.stages.common import load_adv, load_classifier, load_saliency, load_splits, split_xy
from advsal.tables import read_table
from advsal.training import predict


def example_rows(data, classifier, chosen_csv, sal_clean, adv, sal_adv, n: int):
    """``(rows, labels)``: a row per attack on f at its chosen eps (the first row clean), each
    ``(name, images, maps)`` of the first ``n`` test images, and f's label of every image.

    ``adv`` / ``sal_adv`` map (attack, eps token) -> file; only the chosen eps are read."""
    chosen = read_table(chosen_csv).set_index("attack")
    attacks = [a for a in dict.fromkeys(a for a, _ in adv) if a in chosen.index]
    x = split_xy(load_splits(data), "test")[0][:n]
    clf = load_classifier(classifier)
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
    return rows, labels
