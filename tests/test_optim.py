"""advsal.optim against torch.optim as the oracle: the same parameters bit for bit, without the
~1.5 s import of torch._dynamo that constructing a torch.optim optimiser costs."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from advsal.optim import SGD, Adam, step_lr


def _net(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def _train(make_opt, epochs=4, steps=5, milestones=(), gamma=0.1, torch_sched=False):
    net = _net()
    opt = make_opt(net.parameters())
    sched = (
        torch.optim.lr_scheduler.MultiStepLR(opt, list(milestones), gamma) if torch_sched else None
    )
    gen = torch.Generator().manual_seed(1)
    lrs = []
    for epoch in range(1, epochs + 1):
        for _ in range(steps):
            x, y = torch.randn(16, 6, generator=gen), torch.randint(0, 3, (16,), generator=gen)
            loss = nn.functional.cross_entropy(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        sched.step() if sched else step_lr(opt, epoch, milestones, gamma)
        lrs.append(opt.param_groups[0]["lr"])
    return [p.detach() for p in net.parameters()], lrs


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda p: Adam(p, lr=1e-2), lambda p: torch.optim.Adam(p, lr=1e-2)),
        (
            lambda p: Adam(p, lr=3e-3, betas=(0.8, 0.99), weight_decay=1e-3),
            lambda p: torch.optim.Adam(p, lr=3e-3, betas=(0.8, 0.99), weight_decay=1e-3),
        ),
        (
            lambda p: SGD(p, lr=0.1, momentum=0.9, weight_decay=5e-4),
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=5e-4),
        ),
        (lambda p: SGD(p, lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05)),
    ],
)
def test_updates_equal_torch_optim_bit_for_bit(ours, theirs):
    kw = {"milestones": (2, 3, 3), "gamma": 0.3}
    mine, my_lrs = _train(ours, **kw)
    ref, ref_lrs = _train(theirs, torch_sched=True, **kw)
    assert my_lrs == ref_lrs
    assert all(torch.equal(a, b) for a, b in zip(mine, ref, strict=True))
    assert not torch.equal(mine[0], _net()[0].weight.detach())  # it did train


def test_training_never_imports_the_compiler():
    code = (
        "import sys, torch\n"
        "from advsal.training import fit_classifier\n"
        "net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 2))\n"
        "x, y = torch.rand(8, 1, 2, 2), torch.randint(0, 2, (8,))\n"
        "fit_classifier(net, x, y, x, y, epochs=2, lr=1e-2, batch_size=4, device='cpu', seed=0)\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False"


def test_an_empty_parameter_list_is_refused():
    with pytest.raises(ValueError, match="no parameters"):
        Adam([], lr=1e-3)
