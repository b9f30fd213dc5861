"""The one training loop (:func:`fit`: minibatches, a per-batch loss hook, model selection on
the validation split) and the one batching helper (:func:`batched`) of advsal. The classifier,
detector, saliency-model, LAN, dynamic-training, depth-sweep and certified trainings all run
through :func:`fit`; :func:`fit_supervised` is it on fixed tensors."""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from advsal.meter import steps
from advsal.optim import SGD, Adam, step_lr
from advsal.runtime import progress

log = logging.getLogger(__name__)


def as_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float in [0, 1]; float tensors pass through."""
    return x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()


def _on(t: torch.Tensor, device) -> torch.Tensor:
    """A batch on ``device``; uint8 images become float in [0, 1]."""
    return (as_float(t) if t.dtype == torch.uint8 else t).to(device)


def batched(
    fn,
    tensors: Sequence[torch.Tensor],
    batch_size: int,
    device="cpu",
    *,
    grad: bool = False,
    desc: str | None = None,
    empty=None,
):
    """``fn(*batch)`` over consecutive batches of ``tensors`` (on ``device``; uint8 images as
    float), its outputs concatenated on the CPU (a tensor, or a dict of tensors): every predict,
    score and attack-a-whole-split loop of advsal. ``grad=True`` where ``fn`` needs gradients
    (an attack, a gradient saliency map); ``desc`` shows a progress bar; ``empty`` is returned
    for zero rows."""
    outs = []
    starts = range(0, len(tensors[0]), batch_size)
    with torch.enable_grad() if grad else torch.no_grad():
        for i in steps(starts, desc):
            outs.append(fn(*[_on(t[i : i + batch_size], device) for t in tensors]))
    if not outs:
        return torch.zeros(0) if empty is None else empty
    if isinstance(outs[0], dict):
        return {k: torch.cat([o[k].cpu() for o in outs]) for k in outs[0]}
    return torch.cat([o.cpu() for o in outs])


def predict(model: nn.Module, inputs: Sequence[torch.Tensor], batch_size=512, device="cpu"):
    """Concatenated outputs of ``model(*inputs)`` in eval mode, on the CPU."""
    model.eval()
    return batched(model, inputs, batch_size, device)


def make_optimizer(
    params,
    *,
    lr: float,
    optimizer: str = "adam",
    betas=(0.9, 0.999),
    momentum: float = 0.9,
    weight_decay: float = 0.0,
):
    """Adam, or SGD with momentum (Metzen's schedule), over the parameters that need a grad."""
    params = [p for p in params if p.requires_grad]
    if optimizer == "sgd":
        return SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if optimizer == "adam":
        return Adam(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")


# which validation number picks the kept epoch: its start and whether a new value is better
SELECT = {
    "val_acc": (-math.inf, lambda new, best: new > best),
    "val_loss": (math.inf, lambda new, best: new < best),
}


def _epoch(opt, n: int, step, gen: torch.Generator, batch_size: int, desc: str) -> dict:
    """One pass over a fresh permutation of the ``n`` rows, an optimiser step per batch: the
    epoch's mean training loss and, where ``step`` counts correct answers, its accuracy."""
    idx = torch.randperm(n, generator=gen)
    tot_loss, tot_ok = 0.0, None
    for b in steps(range(math.ceil(n / batch_size)), desc, lines=False):
        rows = idx[b * batch_size : (b + 1) * batch_size]
        loss, ok = step(rows, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        tot_loss += loss.item() * len(rows)
        if ok is not None:
            tot_ok = (tot_ok or 0.0) + ok
    row = {"train_loss": tot_loss / n}
    if tot_ok is not None:
        row["train_acc"] = tot_ok / n
    return row


def fit(
    model: nn.Module,
    n: int,
    step: Callable[[torch.Tensor, torch.Generator], tuple[torch.Tensor, float | None]],
    val_metrics: Callable[[], dict],
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    seed: int,
    params=None,
    select: str | None = "val_acc",
    milestones=(),
    gamma: float = 0.1,
    desc: str = "train",
    report: bool = False,
    **optimizer,
) -> list[dict]:
    """The one training loop of advsal: every epoch a fresh permutation of the ``n`` training
    rows (drawn from a generator seeded with ``seed``), minibatches of ``batch_size``, one
    optimiser step per batch, then ``val_metrics()``; the epoch with the best ``select`` value
    (``val_acc``: highest; ``val_loss``: lowest) is kept. Returns the history, a row per epoch.

    ``step(rows, gen)`` puts what it trains in train mode, and returns the batch's loss and its
    number of correct answers (None where there is no accuracy); ``gen`` is the loop's own
    generator, for any draw the batch needs (noise, which images to attack), drawn in order.
    ``val_metrics()`` runs with ``model`` in eval mode and returns the ``val_*`` numbers; with
    ``select=None`` no epoch is picked (``val_metrics`` may keep what it likes). ``params``: what
    the optimiser moves (default: the model's); ``optimizer``: :func:`make_optimizer`'s
    settings; the learning rate drops by ``gamma`` at each epoch of ``milestones``.
    ``report`` puts a line per epoch on the console (the job's log always has it)."""
    opt = make_optimizer(model.parameters() if params is None else params, lr=lr, **optimizer)
    gen = torch.Generator().manual_seed(seed)
    best, better = SELECT[select] if select else (None, None)
    history, best_state = [], None
    for epoch in range(1, epochs + 1):
        cpu = time.process_time()
        row = {"epoch": epoch, **_epoch(opt, n, step, gen, batch_size, f"{desc} {epoch}/{epochs}")}
        step_lr(opt, epoch, milestones, gamma)
        train_cpu = time.process_time() - cpu  # bench/preset_resources.py scales it by epochs
        model.eval()
        row.update(val_metrics())
        history.append(row)
        numbers = ", ".join(f"{k} {v:.4f}" for k, v in row.items() if k != "epoch")
        (progress if report else log).info(
            "%s epoch %d/%d: %s (training cpu %.2f s)", desc, epoch, epochs, numbers, train_cpu
        )
        if select is not None and better(row[select], best):
            best, best_state = row[select], copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def fit_supervised(
    model: nn.Module,
    inputs: Sequence[torch.Tensor],
    target: torch.Tensor,
    val_inputs: Sequence[torch.Tensor],
    val_target: torch.Tensor,
    *,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    correct: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    device,
    **kw,
) -> list[dict]:
    """:func:`fit` on fixed tensors: ``model(*inputs)`` against ``target`` (uint8 images are
    made float batch by batch), validation loss and accuracy on the validation split."""
    model.to(device)

    def step(rows, _gen):
        model.train()
        *xb, yb = [_on(t[rows], device) for t in (*inputs, target)]
        out = model(*xb)
        return loss(out, yb), correct(out.detach(), yb).sum().item()

    def val_metrics():
        out = predict(model, val_inputs, device=device)
        return {
            "val_loss": loss(out, val_target).item(),
            "val_acc": correct(out, val_target).float().mean().item(),
        }

    return fit(model, len(target), step, val_metrics, **kw)


def fit_classifier(model, x, y, x_val, y_val, desc="classifier", **kw) -> list[dict]:
    return fit_supervised(
        model,
        [x],
        y,
        [x_val],
        y_val,
        loss=lambda out, t: F.cross_entropy(out, t),
        correct=lambda out, t: out.argmax(1) == t,
        desc=desc,
        report=True,
        **kw,
    )


def on_frozen(det, *input_sets, device, batch_size: int = 256):
    """The module to train or score and the input sets it takes: for a detector with a frozen
    part (:meth:`advsal.detectors.base.Detector.frozen`), that part's output computed once per
    set (batch by batch on ``device``, kept on the CPU) and the detector's trainable rest; else
    the detector and the sets as they are."""
    from advsal.detectors.base import OnFrozen

    part = det.frozen()
    if part is None:
        return (det, *input_sets)
    part.to(device).eval()
    cpu = time.process_time()
    feats = [[batched(part, inputs, batch_size, device)] for inputs in input_sets]
    n = sum(len(inputs[0]) for inputs in input_sets)
    # bench/preset_resources.py scales this part by the images only (not by the epochs)
    log.info("frozen part: %d images once, cpu %.1f s", n, time.process_time() - cpu)
    return (OnFrozen(det), *feats)


def fit_detector(
    det, inputs, is_adv, val_inputs, val_is_adv, *, cache_frozen: bool = True, **kw
) -> list[dict]:
    """``is_adv`` is a float tensor of 0 (clean) / 1 (adversarial). A detector on a frozen
    network trains on that network's output computed once (``cache_frozen``): the same weights
    as pushing every batch through it every epoch, to float tolerance
    (tests/test_detectors_metzen.py)."""
    model = det
    if cache_frozen:
        model, inputs, val_inputs = on_frozen(det, inputs, val_inputs, device=kw["device"])
    return fit_supervised(
        model,
        inputs,
        is_adv,
        val_inputs,
        val_is_adv,
        loss=lambda out, t: F.binary_cross_entropy_with_logits(out, t),
        correct=lambda out, t: (out > 0).float() == t,
        desc="detector",
        **kw,
    )
