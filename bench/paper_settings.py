"""What model_based_saliency2020 App. B's attack settings do to this project's f: DeepFool at 2
iterations (the paper) and more, JSMA at gamma 0.05 (App. B's "eps = 0.05" read as gamma) and
more. The paper's Table 4 has f at 0.0091 accuracy under DeepFool and 0.0605 under JSMA, and its
Table 2 JSMA changing 13% of the pixels (L0 / m), more than gamma 0.05 allows.

    python bench/paper_settings.py [results/mnist5k]   # a finished run: its f and test digits

Writes bench/paper_settings.csv: per setting, f's accuracy on the adversarials and L0 / m.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
import torch

from advsal.attacks import ATTACKS, perturbation_stats
from advsal.stages.common import load_classifier, load_splits, split_xy

HERE = Path(__file__).parent
SETTINGS = [
    ("deepfool", {"steps": 2, "overshoot": 0.02, "candidates": 10}, 0.0091),
    ("deepfool", {"steps": 3, "overshoot": 0.02, "candidates": 10}, 0.0091),
    ("deepfool", {"steps": 5, "overshoot": 0.02, "candidates": 10}, 0.0091),
    ("deepfool", {"steps": 50, "overshoot": 0.02, "candidates": 10}, 0.0091),
    ("jsma", {"theta": 1.0, "gamma": 0.05, "target": "random"}, 0.0605),
    ("jsma", {"theta": 1.0, "gamma": 0.1, "target": "random"}, 0.0605),
    ("jsma", {"theta": 1.0, "gamma": 0.2, "target": "random"}, 0.0605),
]


def main(run: Path) -> None:
    torch.set_num_threads(2)
    model = load_classifier(run / "classifiers" / "mnist_net" / "model.pt")
    x, y = split_xy(load_splits(run / "data" / "splits.pt"), "test")
    rows = []
    for kind, settings, published in SETTINGS:
        torch.manual_seed(0)
        atk = ATTACKS.get(kind)(model, label="predicted", **settings)
        start = time.perf_counter()
        x_adv = atk.run(x, y, batch_size=500, device="cpu", progress=False)
        seconds = time.perf_counter() - start
        stats = perturbation_stats(model, x, x_adv, y)
        rows.append(
            {
                "attack": kind,
                **settings,
                "accuracy_adv": stats["accuracy_adv"],
                "published_accuracy_adv": published,
                "l0_frac": stats["l0_frac"],
                "seconds": round(seconds, 1),
            }
        )
        print(rows[-1], flush=True)
    pd.DataFrame(rows).to_csv(HERE / "paper_settings.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "results/mnist5k"))
