"""Images per second of the learnt saliency model (one forward pass) against gradient saliency
(one forward and one backward pass of f), side by side in one run on the same images.

Same classifier (MNIST-NET trained briefly on the shipped digits), same batch and device; the
saliency model is trained for one short epoch (its speed does not depend on how well it is
trained). Prints images/second and the ratio, and writes them as CSV.

    .venv/bin/python bench/saliency.py [--n 2048] [--batch 256] [--repeat 5]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from advsal.data import load_dataset
from advsal.models import build
from advsal.runtime import pick_device, seed_everything
from advsal.saliency import SALIENCY
from advsal.training import as_float, fit_classifier


def _setup(device, n, widths):
    s = load_dataset("mnist5k", {"split": {"train": 2000, "val": 200, "test": 2000}}, seed=0)
    model = build("mnist_net", (1, 28, 28), dropout=0.0)
    kw = dict(lr=1e-3, batch_size=50, device=device, seed=0)
    fit_classifier(model, s.x["train"], s.y["train"], s.x["val"], s.y["val"], epochs=1, **kw)
    model.to(device).eval()
    methods = {"gradient": SALIENCY.get("gradient")(model)}
    x_tr, y_tr = as_float(s.x["train"][:500]), s.y["train"][:500]
    for w in widths:
        learnt = SALIENCY.get("model")(model, width=w)
        learnt.fit(x_tr, y_tr, x_tr[:100], y_tr[:100], device=device, epochs=1)
        methods[f"model (width {w})"] = learnt.to(device)
    return methods, as_float(s.x["test"][:n])


def _time(method, x, batch, device, repeat):
    method.run(x[:batch], batch_size=batch, device=device, progress=False)  # warm-up
    best = float("inf")
    for _ in range(repeat):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        method.run(x, batch_size=batch, device=device, progress=False)
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t)
    return len(x) / best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--widths", default="8,16", help="masking-model widths (default config: 16)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default="bench/saliency.csv")
    args = ap.parse_args()
    seed_everything(0)
    device = pick_device(args.device)
    methods, x = _setup(device, args.n, [int(w) for w in args.widths.split(",")])
    rows = []
    for name, method in methods.items():
        rate = _time(method, x, args.batch, device, args.repeat)
        rows.append({"method": name, "images_per_s": rate, "device": str(device)})
    frame = pd.DataFrame(rows)
    frame["ratio_to_gradient"] = frame["images_per_s"] / frame.loc[0, "images_per_s"]
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    frame.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
