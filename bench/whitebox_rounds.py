"""The 2020 paper's white-box adversarial training (Sec. 4.3, App. C), epoch by epoch: what the
detector does on the mixed validation set (share of adversarials, clean and adversarial mean
logit and share flagged, the adversarials' L_inf), then Table 3's row for the trained detector.
Reads a finished run's files; writes nothing into it.

    python bench/whitebox_rounds.py --config config.yaml --detectors smd spd --seed 0 \
        [--set training.epochs=8 ...]   # try another setting of the white-box attack
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from advsal.config import load
from advsal.plan import Plan
from advsal.stages.retraining import Retraining, retrain_detector, retraining_attack


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", nargs="+", default=["config.yaml"])
    ap.add_argument("--attack", default="whitebox")
    ap.add_argument("--detectors", nargs="+", default=["smd", "spd"])
    ap.add_argument("--seed", type=int, default=0, help="seed index (the run's seed + this)")
    ap.add_argument("--set", nargs="*", default=[], help="attack settings, key=value (yaml)")
    args = ap.parse_args()
    plan = Plan(load(args.config, {}))
    settings = plan.attack_settings(args.attack)
    for kv in args.set:
        key, value = kv.split("=", 1)
        *path, last = key.split(".")
        node = settings
        for k in path:
            node = node[k]
        node[last] = yaml.safe_load(value)
    runtime = {"seed": plan.config["seed"] + args.seed, "device": plan.config["device"]}
    options = plan.config["attack_options"]
    eps = next(e for a, e, _, _ in plan.whitebox + plan.dynamic if a == args.attack)
    out = Path(tempfile.mkdtemp(prefix="whitebox_rounds_"))
    rows = []
    for det in args.detectors:
        files = plan.inputs.retrain(args.attack, eps, det, args.seed).files
        job = Retraining(
            args.attack,
            eps,
            det,
            settings,
            files,
            options,
            **runtime,
            detector_settings=plan.detector_settings(det),
            saliency=plan.saliency_settings(plan.saliency_of(det)),
        )
        history = retrain_detector(job, out / f"{det}.pt", out / f"{det}_history.csv")
        print(f"\n{det}: adversarial training, epoch by epoch (mixed validation set)")
        print(pd.DataFrame(history).round(3).to_string(index=False))
        for version, model in (("static", files["detector"]), ("retrained", out / f"{det}.pt")):
            frame = retraining_attack(job, version, model, out / f"{det}_{version}.csv")
            rows.append(frame)
    table = pd.concat(rows, ignore_index=True)
    cols = ["detector", "version", "accuracy_adv", "detector_flags_adv", "detector_flags_clean"]
    print("\nTable 3 on the test images (flags: the share the detector calls adversarial)")
    print(table[[*cols, "detectability", "linf"]].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
