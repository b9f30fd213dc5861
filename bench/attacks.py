"""Images per second of every advsal attack against peer libraries, side by side in one run.

Same model (MNIST-NET trained briefly on the shipped digits, its parameters left trainable as a
user's model would be), same images, batch and device. On each batch the libraries take turns
``--repeats`` times and each keeps its fastest time, so a slow spell of a noisy machine slows
them alike. Beside the speed: the success rate (f's prediction changed; for stAdv, targeted at
the next class: f predicts it) and the mean norm of the successful adversarials in the attack's
own norm (stAdv's: pixel l_2), so a faster attack is not a weaker one.
Prints a ratio table (ours / fastest peer) and writes it as CSV.

    .venv/bin/python bench/attacks.py [--n 512] [--n-slow 128] [--batch 256] [--repeats 5]
"""

from __future__ import annotations

import argparse
import importlib
import time

import pandas as pd
import torch

from advsal.attacks import ATTACKS
from advsal.data import load_dataset
from advsal.models import build
from advsal.runtime import pick_device, seed_everything
from advsal.training import as_float, fit_classifier


def _model(device):
    s = load_dataset("mnist5k", {"split": {"train": 2000, "val": 200, "test": 1000}}, seed=0)
    model = build("mnist_net", (1, 28, 28), dropout=0.0)
    fit_classifier(
        model,
        s.x["train"],
        s.y["train"],
        s.x["val"],
        s.y["val"],
        epochs=2,
        lr=1e-3,
        batch_size=50,
        device=device,
        seed=0,
    )
    return model.to(device).eval(), as_float(s.x["test"])


def _peers(model, device):
    """name -> {library: callable(x, y)} at the settings of our attack of the same name."""
    import foolbox as fb
    import torchattacks as ta

    fmodel = fb.PyTorchModel(model, bounds=(0, 1), device=device)

    def fbrun(attack, **kw):
        return lambda x, y: attack.run(fmodel, x, fb.criteria.Misclassification(y), **kw)

    return {
        "fgsm": {
            "torchattacks": ta.FGSM(model, eps=0.2),
            "foolbox": fbrun(fb.attacks.FGSM(), epsilon=0.2),
        },
        "bim": {
            "torchattacks": ta.BIM(model, eps=0.15, alpha=0.015, steps=10),
            "foolbox": fbrun(
                fb.attacks.LinfBasicIterativeAttack(
                    abs_stepsize=0.015, steps=10, random_start=False
                ),
                epsilon=0.15,
            ),
        },
        "bim_l2": {
            "torchattacks": ta.PGDL2(model, eps=2.0, alpha=0.5, steps=10, random_start=False),
            "foolbox": fbrun(
                fb.attacks.L2BasicIterativeAttack(abs_stepsize=0.5, steps=10, random_start=False),
                epsilon=2.0,
            ),
        },
        "mim": {"torchattacks": ta.MIFGSM(model, eps=0.15, alpha=0.015, steps=10, decay=1.0)},
        "deepfool": {
            "foolbox": fbrun(fb.attacks.L2DeepFoolAttack(steps=50, candidates=10)),
            "torchattacks": ta.DeepFool(model, steps=50, overshoot=0.02),
        },
        "deepfool_linf": {"foolbox": fbrun(fb.attacks.LinfDeepFoolAttack(steps=50, candidates=10))},
        "cw": {
            "foolbox": fbrun(
                fb.attacks.L2CarliniWagnerAttack(
                    binary_search_steps=4, steps=50, stepsize=0.1, initial_const=1e-2
                )
            )
        },
        "jsma": {"torchattacks": ta.JSMA(model, theta=1.0, gamma=0.1)},
        "stadv": {"advertorch": _advertorch_stadv(model)},
    }


def _advertorch_stadv(model):
    """advertorch's SpatialTransformAttack (L-BFGS over the batch's flow, targeted) at the next
    class, 5 searches x 100 iterations like ours. advertorch 0.2.3 (its last release, 2020)
    imports ``torch.autograd.gradcheck.zero_gradients``, which torch has since removed: the bench
    puts a copy back before importing it (its FAB attack uses it, stAdv does not)."""
    # the module, not torch.autograd's function of the same name
    gradcheck = importlib.import_module("torch.autograd.gradcheck")
    if not hasattr(gradcheck, "zero_gradients"):

        def zero_gradients(x):
            if isinstance(x, torch.Tensor):
                if x.grad is not None:
                    x.grad.detach_().zero_()
            else:
                for part in x:
                    zero_gradients(part)

        gradcheck.zero_gradients = zero_gradients
    from advertorch.attacks import SpatialTransformAttack

    atk = SpatialTransformAttack(
        model, num_classes=10, search_steps=5, max_iterations=100, targeted=True
    )
    return lambda x, y: atk.perturb(x, _next(y))


def _next(y):
    return (y + 1) % 10


OURS = {
    "fgsm": {"eps": 0.2},
    "bim": {"eps": 0.15, "steps": 10, "abs_stepsize": 0.015},
    "bim_l2": {"eps": 2.0, "steps": 10, "abs_stepsize": 0.5},
    "mim": {"eps": 0.15, "steps": 10, "abs_stepsize": 0.015},
    "deepfool": {"steps": 50},
    "deepfool_linf": {"steps": 50},
    "cw": {"binary_search_steps": 4, "steps": 50, "lr": 0.1, "initial_const": 1e-2},
    "jsma": {"theta": 1.0, "gamma": 0.1, "target": "next"},
    # a flow budget (L_flow, pixel units) that binds on no image: advertorch has none (only a
    # penalty), so both search the same unbounded flows, 5 x 100 steps, towards the next class
    "stadv": {"eps": 1e4, "binary_search_steps": 5, "steps": 100, "target": "next"},
}
SLOW = {"jsma", "cw", "deepfool", "deepfool_linf", "stadv"}  # fewer images: some peers loop
TARGETED = {"stadv"}  # success: f predicts the next class (not merely another one)


def _timed(fns, x, y, batch, device, repeats) -> tuple[dict, dict]:
    """Images per second and adversarials (on the CPU) per library. Batch by batch, the libraries
    take turns ``repeats`` times (the order rotating), each keeping its fastest time on that
    batch: a slow spell on a noisy machine then hits every library alike."""
    best = {lib: 0.0 for lib in fns}
    outs = {lib: [] for lib in fns}
    libs = list(fns)
    for i in range(0, len(x), batch):
        xb, yb = x[i : i + batch].to(device), y[i : i + batch].to(device)
        fastest = {lib: float("inf") for lib in libs}
        for r in range(repeats):
            for lib in libs[r % len(libs) :] + libs[: r % len(libs)]:
                start = time.perf_counter()
                out = fns[lib](xb, yb)
                if device.type == "cuda":
                    torch.cuda.synchronize()
                fastest[lib] = min(fastest[lib], time.perf_counter() - start)
                if r == 0:
                    outs[lib].append(out.detach().cpu())
        for lib in libs:
            best[lib] += fastest[lib]
    rates = {lib: len(x) / best[lib] for lib in libs}
    return rates, {lib: torch.cat(o) for lib, o in outs.items()}


def _quality(model, x, x_adv, y, norm, device, targeted=False) -> dict:
    """Success rate (targeted: f predicts the next class) and mean norm of the successful
    adversarials, in the attack's norm (a flow's: pixel l_2)."""
    with torch.no_grad():
        pred = model(x_adv.to(device)).argmax(1).cpu()
    ok = pred == _next(y) if targeted else pred != y
    p = {"linf": float("inf"), "l2": 2.0, "l0": 0.0, "flow": 2.0}[norm]
    delta = (x_adv - x).flatten(1)
    sizes = (delta.abs() > 1e-6).float().sum(1) if p == 0 else delta.norm(p=p, dim=1)
    return {"success": ok.float().mean().item(), "norm": sizes[ok].mean().item()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--n-slow", type=int, default=128)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=5, help="timed turns of the fast attacks")
    ap.add_argument("--repeats-slow", type=int, default=1, help="... of the slow ones")
    ap.add_argument("--attacks", nargs="*", default=list(OURS))
    ap.add_argument("--out", default="bench/attacks.csv")
    args = ap.parse_args()
    seed_everything(0)
    device = pick_device()
    model, x_all = _model(device)
    with torch.no_grad():
        y_all = model(x_all.to(device)).argmax(1).cpu()
    peers = _peers(model, device)
    rows = []
    for name in args.attacks:
        n = args.n_slow if name in SLOW else args.n
        x, y = x_all[:n], y_all[:n]
        ours = ATTACKS.get(name)(model, label="true", **OURS[name])
        fns = {"advsal": ours, **peers.get(name, {})}
        repeats = args.repeats_slow if name in SLOW else args.repeats
        rates, advs = _timed(fns, x, y, args.batch, device, repeats)
        quality = {
            lib: _quality(model, x, a, y, ours.norm, device, name in TARGETED)
            for lib, a in advs.items()
        }
        best_lib = max((k for k in rates if k != "advsal"), key=rates.get, default=None)
        row = {"attack": name, "images": n, "device": device.type, "norm": ours.norm}
        for lib in fns:
            row |= {
                f"{lib}_img_s": rates[lib],
                f"{lib}_success": quality[lib]["success"],
                f"{lib}_norm": quality[lib]["norm"],
            }
        row["fastest_peer"] = best_lib
        row["ratio_vs_fastest_peer"] = rates["advsal"] / rates[best_lib] if best_lib else None
        rows.append(row)
        print(
            f"{name:14s} "
            + "  ".join(
                f"{lib} {rates[lib]:7.1f} img/s (success {quality[lib]['success']:.2f}, "
                f"{ours.norm} {quality[lib]['norm']:.3f})"
                for lib in fns
            ),
            flush=True,
        )
    frame = pd.DataFrame(rows)
    frame.to_csv(args.out, index=False)
    cols = ["attack", "images", "fastest_peer", "ratio_vs_fastest_peer", "advsal_success"]
    cols += ["advsal_norm"]
    libs = ("foolbox", "torchattacks", "advertorch")
    peer_cols = [f"{lib}_{k}" for lib in libs for k in ("success", "norm")]
    print(frame[cols + [c for c in peer_cols if c in frame]].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
