"""One supervised training loop (Adam, minibatches, model selection on the validation split)."""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from advsal.optim import SGD, Adam, step_lr
from advsal.runtime import progress

log = logging.getLogger(__name__)


def as_float(x: torch.Tensor) -> torch.Tensor:
    """uint8 images -> float in [0, 1]; float tensors pass through."""
    return x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()


def _batches(tensors: Sequence[torch.Tensor], idx: torch.Tensor, batch_size: int, device):
    for b in range(math.ceil(len(idx) / batch_size)):
        sel = idx[b * batch_size : (b + 1) * batch_size]
        yield [(as_float(t[sel]) if t.dtype == torch.uint8 else t[sel]).to(device) for t in tensors]


@torch.no_grad()
def predict(model: nn.Module, inputs: Sequence[torch.Tensor], batch_size=512, device="cpu"):
    """Concatenated outputs of ``model(*inputs)`` in eval mode, on the CPU."""
    model.eval()
    idx = torch.arange(len(inputs[0]))
    return torch.cat([model(*b).cpu() for b in _batches(inputs, idx, batch_size, device)])


def fit(
    model: nn.Module,
    inputs: Sequence[torch.Tensor],
    target: torch.Tensor,
    val_inputs: Sequence[torch.Tensor],
    val_target: torch.Tensor,
    *,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    correct: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    epochs: int,
    lr: float,
    batch_size: int,
    device,
    seed: int,
    betas=(0.9, 0.999),
    optimizer: str = "adam",
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    milestones=(),
    gamma: float = 0.1,
    desc: str = "train",
    report: bool = False,
) -> list[dict]:
    """Train with Adam (or SGD with momentum, Metzen's schedule: lr times ``gamma`` at each of
    the ``milestones`` epochs); keep the epoch with the best validation accuracy. Returns the
    history. ``report`` puts a line per epoch on the console (the job's log always has it)."""
    model.to(device)
    params = [p for p in model.parameters() if p.requires_grad]
    if optimizer == "sgd":
        opt = SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    elif optimizer == "adam":
        opt = Adam(params, lr=lr, betas=tuple(betas), weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    gen = torch.Generator().manual_seed(seed)
    history, best_acc, best_state = [], -1.0, None
    for epoch in range(1, epochs + 1):
        model.train()
        idx = torch.randperm(len(target), generator=gen)
        tot_loss = tot_ok = 0.0
        n_batches = math.ceil(len(idx) / batch_size)
        bar = tqdm(
            _batches([*inputs, target], idx, batch_size, device),
            total=n_batches,
            desc=f"{desc} {epoch}/{epochs}",
            mininterval=5,
        )
        for *xb, yb in bar:
            out = model(*xb)
            batch_loss = loss(out, yb)
            opt.zero_grad(set_to_none=True)
            batch_loss.backward()
            opt.step()
            tot_loss += batch_loss.item() * len(yb)
            tot_ok += correct(out.detach(), yb).sum().item()
        step_lr(opt, epoch, milestones, gamma)
        val_out = predict(model, val_inputs, device=device)
        row = {
            "epoch": epoch,
            "train_loss": tot_loss / len(target),
            "train_acc": tot_ok / len(target),
            "val_loss": loss(val_out, val_target).item(),
            "val_acc": correct(val_out, val_target).float().mean().item(),
        }
        history.append(row)
        (progress if report else log).info(
            "%s epoch %d/%d: train acc %.4f, val acc %.4f",
            desc,
            epoch,
            epochs,
            row["train_acc"],
            row["val_acc"],
        )
        if row["val_acc"] > best_acc:
            best_acc, best_state = row["val_acc"], copy.deepcopy(model.state_dict())
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def fit_classifier(model, x, y, x_val, y_val, desc="classifier", **kw) -> list[dict]:
    return fit(
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


def fit_detector(det, inputs, is_adv, val_inputs, val_is_adv, **kw) -> list[dict]:
    """``is_adv`` is a float tensor of 0 (clean) / 1 (adversarial)."""
    return fit(
        det,
        inputs,
        is_adv,
        val_inputs,
        val_is_adv,
        loss=lambda out, t: F.binary_cross_entropy_with_logits(out, t),
        correct=lambda out, t: (out > 0).float() == t,
        desc="detector",
        **kw,
    )
