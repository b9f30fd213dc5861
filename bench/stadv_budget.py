"""stAdv success against its flow budget (Nguyen 2018 Eq. 14), on the same test images, for
MNIST-NET and the two-layer network, each trained briefly on the shipped digits. Not a speed
benchmark: it measures what the thesis's budget of 7.0 means in this implementation's pixel
units (and in grid_sample's [-1, 1] units, 13.5x larger on 28x28 images). Prints a table and
writes it as CSV.

    .venv/bin/python bench/stadv_budget.py [--n 100] [--eps 7 30 95 200 400]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from advsal.attacks import ATTACKS
from advsal.data import load_dataset
from advsal.models import build
from advsal.runtime import seed_everything
from advsal.training import as_float, fit_classifier


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="test images attacked")
    ap.add_argument("--eps", type=float, nargs="+", default=[7.0, 30.0, 95.0, 200.0, 400.0])
    ap.add_argument("--out", default="bench/stadv_budget.csv")
    args = ap.parse_args()
    seed_everything(0)
    s = load_dataset("mnist5k", {"split": {"train": 4400, "val": 150, "test": 300}}, seed=0)
    x, y = as_float(s.x["test"][: args.n]), s.y["test"][: args.n]
    rows = []
    for arch, params in (("mnist_net", {"dropout": 0.0}), ("two_layer", {"hidden": 100})):
        torch.manual_seed(0)
        model = build(arch, (1, 28, 28), **params)
        kw = dict(lr=1e-3, batch_size=50, device="cpu", seed=0)
        fit_classifier(model, s.x["train"], s.y["train"], s.x["val"], s.y["val"], epochs=5, **kw)
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        with torch.no_grad():
            acc = (model(x).argmax(1) == y).float().mean().item()
        for eps in args.eps:
            atk = ATTACKS.get("stadv")(model, eps=eps, binary_search_steps=2, steps=100)
            t0 = time.perf_counter()
            x_adv = atk(x, y)
            moved = (x_adv - x).flatten(1).abs().amax(1) > 0
            rows.append(
                {
                    "classifier": arch,
                    "accuracy_clean": acc,
                    "eps": eps,
                    "success": moved.float().mean().item(),
                    "median_flow_loss": atk.last_flow_loss[moved].median().item()
                    if moved.any()
                    else float("nan"),
                    "seconds": time.perf_counter() - t0,
                }
            )
            print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False))
    frame.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
