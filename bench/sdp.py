"""Solve time of the certificate's SDP (Nguyen 2018 Eq. 13, SCS) against problem size: one
(image, other class) pair of a two-layer network on MNIST digits average-pooled to a side of
4 ... 14 pixels (the matrix is 1 + hidden + side^2 square). Beside it, in the same run, the
bounds the pipeline computes for every image: the interval bound and the dual bound tightened
by ``tighten`` (its time and how far above the SDP it stays). Prints and writes a CSV.

    .venv/bin/python bench/sdp.py [--sides 4 7 10 14] [--hidden 20] [--eps 0.5] [--steps 100]
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
import torch

from advsal.certify import (
    flow_box,
    gershgorin,
    pair_matrix,
    pixel_bounds,
    sdp_value,
    tighten,
    two_layer_weights,
)
from advsal.data import load_dataset
from advsal.models import build
from advsal.training import as_float


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sides", type=int, nargs="+", default=[4, 7, 10, 14])
    ap.add_argument("--hidden", type=int, default=20)
    ap.add_argument("--eps", type=float, default=0.5)
    ap.add_argument("--steps", type=int, default=100, help="tighten's Adam steps")
    ap.add_argument("--out", default="bench/sdp.csv")
    args = ap.parse_args()
    s = load_dataset("mnist5k", {"split": {"train": 100, "val": 10, "test": 10}}, seed=0)
    digit = as_float(s.x["test"][:1])
    rows = []
    for side in args.sides:
        torch.manual_seed(0)
        x = torch.nn.functional.adaptive_avg_pool2d(digit, side)[0]
        model = build("two_layer", tuple(x.shape), hidden=args.hidden).eval()  # untrained
        w, _, v, _ = two_layer_weights(model, tuple(x.shape))
        rho = torch.as_tensor(flow_box(side, side, args.eps), dtype=x.dtype)
        p = pair_matrix(w, v[1] - v[0], pixel_bounds(x, rho).flatten())
        value, seconds = sdp_value(p)
        t0 = time.perf_counter()
        dual = float(tighten(p, steps=args.steps))
        rows.append(
            {
                "side": side,
                "pixels": side * side,
                "matrix": p.shape[0],
                "seconds": seconds,
                "sdp": value,
                "interval": float(gershgorin(p).sum()),
                "dual": dual,
                "dual_seconds": time.perf_counter() - t0,
            }
        )
        print(rows[-1], flush=True)
    frame = pd.DataFrame(rows)
    print(frame.to_string(index=False))
    frame.to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
