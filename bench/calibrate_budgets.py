"""Zhang et al. give their Fig. 3 budgets only as positions 1-4; what they do publish is f's
accuracy at the position the 30% rule chooses (Table 1's f_adv: FGSM 0.12, iterative l_inf
0.05, iterative l_2 0.04 on MNIST). This measures f's accuracy on the validation split (where
the rule chooses) over a fine range of budgets for each attack, then scores evenly spaced grids
d, 2d, 3d, 4d: the rule picks the first position below 30%, and a grid fits when f's accuracy
there is the published one (the position before it is >= 0.3 by the rule).

    python bench/calibrate_budgets.py [results/mnist5k]   # a finished run: its f and data

Writes bench/calibrate_budgets.csv (accuracy per budget) and prints the best grids.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from advsal.attacks import ATTACKS
from advsal.stages.common import load_classifier, load_splits, split_xy

HERE = Path(__file__).parent
# attack instance -> (type, constructor settings as in config.yaml, budgets to try, Table 1 f_adv)
ATTACKS_TRIED = {
    "fgsm": ("fgsm", {}, np.round(np.arange(0.025, 0.501, 0.025), 3), 0.12),
    "bim": (
        "bim",
        {"steps": 10, "rel_stepsize": 0.25},
        np.round(np.arange(0.025, 0.501, 0.025), 3),
        0.05,
    ),
    "bim_l2": (
        "bim_l2",
        {"steps": 10, "rel_stepsize": 0.25},
        np.round(np.arange(0.25, 6.01, 0.25), 2),
        0.04,
    ),
}


def accuracy_curve(model, x, y, kind, settings, budgets) -> pd.DataFrame:
    rows = []
    for eps in budgets:
        torch.manual_seed(0)
        atk = ATTACKS.get(kind)(model, eps=float(eps), label="predicted", **settings)
        x_adv = atk.run(x, y, batch_size=500, device="cpu", progress=False)
        with torch.no_grad():
            acc = float((model(x_adv).argmax(1) == y).float().mean())
        rows.append({"eps": float(eps), "accuracy": acc})
    return pd.DataFrame(rows)


def best_grids(curve: pd.DataFrame, target: float, threshold: float = 0.3, top: int = 3):
    """Grids d..4d whose points all lie on the measured curve; the rule's pick and its fit."""
    acc = dict(zip(curve["eps"].round(4), curve["accuracy"], strict=True))
    out = []
    for d in curve["eps"]:
        grid = [round(d * k, 4) for k in range(1, 5)]
        if not all(g in acc for g in grid):
            continue
        below = [g for g in grid if acc[g] < threshold]
        if not below:
            continue
        chosen = below[0]
        out.append(
            {"grid": grid, "chosen": chosen, "f_adv": acc[chosen], "off": abs(acc[chosen] - target)}
        )
    return sorted(out, key=lambda r: r["off"])[:top]


def main(run: Path) -> None:
    torch.set_num_threads(2)
    model = load_classifier(run / "classifiers" / "mnist_net" / "model.pt")
    x, y = split_xy(load_splits(run / "data" / "splits.pt"), "val")
    curves = []
    for name, (kind, settings, budgets, target) in ATTACKS_TRIED.items():
        curve = accuracy_curve(model, x, y, kind, settings, budgets).assign(attack=name)
        curves.append(curve)
        print(f"{name}: published f_adv at the chosen position {target}")
        for g in best_grids(curve, target):
            print(f"  grid {g['grid']}: rule picks {g['chosen']} with f {g['f_adv']:.3f}")
    pd.concat(curves).to_csv(HERE / "calibrate_budgets.csv", index=False)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "results/mnist5k"))
