"""Adam and SGD with momentum, step for step the updates of ``torch.optim`` on the CPU.

Why not ``torch.optim``: constructing any of its optimisers imports ``torch._dynamo`` (its
methods are wrapped to keep the compiler out), which costs ~1.5 s, more than many of the
pipeline's training jobs spend training. These classes apply the same arithmetic as torch's
single-tensor code paths (its default on the CPU), so a job trains to the same parameters bit
for bit (tested against ``torch.optim`` as the oracle); ``param_groups[0]["lr"]`` is the learning
rate a schedule sets.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

__all__ = ["SGD", "Adam", "step_lr"]


class _Optimizer:
    def __init__(self, params: Iterable[torch.Tensor], **group):
        self.params = [p for p in params]
        if not self.params:
            raise ValueError("the optimiser got no parameters")
        self.param_groups = [dict(group, params=self.params)]
        self.state: dict[int, dict] = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is not None:
                self._update(p, p.grad, self.state.setdefault(i, {}))

    def _update(self, p: torch.Tensor, grad: torch.Tensor, state: dict) -> None:
        raise NotImplementedError


class Adam(_Optimizer):
    """torch.optim.Adam (no amsgrad; L2 ``weight_decay`` added to the gradient)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)

    def _update(self, p, grad, state):
        group = self.param_groups[0]
        beta1, beta2 = group["betas"]
        if not state:
            state.update(step=0, exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
        state["step"] += 1
        if group["weight_decay"]:
            grad = grad.add(p, alpha=group["weight_decay"])
        state["exp_avg"].lerp_(grad, 1 - beta1)
        state["exp_avg_sq"].mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        step = float(state["step"])
        step_size = group["lr"] / (1 - beta1**step)
        denom = (state["exp_avg_sq"].sqrt() / (1 - beta2**step) ** 0.5).add_(group["eps"])
        p.addcdiv_(state["exp_avg"], denom, value=-step_size)


class SGD(_Optimizer):
    """torch.optim.SGD with (non-Nesterov, undampened) momentum and L2 ``weight_decay``."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def _update(self, p, grad, state):
        group = self.param_groups[0]
        if group["weight_decay"]:
            grad = grad.add(p, alpha=group["weight_decay"])
        if group["momentum"]:
            if "buf" not in state:
                state["buf"] = grad.detach().clone()
            else:
                state["buf"].mul_(group["momentum"]).add_(grad)
            grad = state["buf"]
        p.add_(grad, alpha=-group["lr"])


def step_lr(opt: _Optimizer, epoch: int, milestones=(), gamma: float = 0.1) -> None:
    """torch's MultiStepLR.step() at the end of ``epoch``: the rate times gamma for each time
    ``epoch`` is listed in ``milestones`` (multiplied in place, as torch does)."""
    times = list(milestones).count(epoch)
    if times:
        opt.param_groups[0]["lr"] = opt.param_groups[0]["lr"] * gamma**times
