"""Stage 7, what the figures that show tensors read: Zhang Fig. 1's rows (the clean test images
and each attack's adversarials at its chosen eps, with their saliency maps and f's labels),
drawn by :func:`advsal.plots.images.examples_figure`."""

from __future__ import annotations

from advsal.plots.base import eps_label
from advsal.stages.common import (
    build_saliency,
    load_adv,
    load_classifier,
    load_splits,
    split_xy,
)
from advsal.tables import read_table
from advsal.training import predict


def example_rows(data, classifier, chosen_csv, adv, n: int, saliency: dict, state=None):
    """``(rows, labels)``: a row per attack on f at its chosen eps (the first row clean), each
    ``(name, images, maps)`` of the first ``n`` test images, and f's label of every image.

    ``adv`` maps (attack, eps token) -> file; only the chosen eps are read. The maps of these
    few images are made here, on the CPU, by the ``saliency`` instance's settings (and a
    trained method's ``state``): the same maps its saliency jobs would make, without a job
    per attack for a figure."""
    chosen = read_table(chosen_csv).set_index("attack")
    attacks = [a for a in dict.fromkeys(a for a, _ in adv) if a in chosen.index]
    x = split_xy(load_splits(data), "test")[0][:n]
    clf = load_classifier(classifier)
    method = build_saliency(saliency, clf, state)
    images = [("clean", x)]
    for a in attacks:
        eps = chosen.loc[a, "eps"]
        name = f"{a}\n(eps {eps_label(eps)})" if eps != "none" else a
        images.append((name, load_adv(adv[(a, eps)])[:n]))
    rows = [
        (name, xs, method.run(xs, batch_size=max(len(xs), 1), progress=False))
        for name, xs in images
    ]
    labels = [[int(p) for p in predict(clf, [r[1]]).argmax(1)] for r in rows]
    return rows, labels
