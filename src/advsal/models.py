"""Network architectures by name, built as named ``nn.Sequential`` stacks.

Named layers let a detector read a frozen classifier's features at a layer (Metzen et al.) and a
layer study pick Grad-CAM targets by name: ``features_at(model, "relu2")``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn

from advsal.io import load_tensors, save_tensors
from advsal.registry import Registry

ARCHS: Registry[Callable[..., nn.Sequential]] = Registry("architecture")


def _flat_size(body: OrderedDict, in_shape) -> int:
    """Width of the flattened output of ``body`` for one input of ``in_shape`` (a dry run)."""
    with torch.no_grad():
        return nn.Sequential(body)(torch.zeros(1, *in_shape)).flatten(1).shape[1]


def _with_head(body: OrderedDict, in_shape, n_out: int, dropout: float, hidden=()) -> nn.Sequential:
    """Flatten, then (dropout, dense, relu) per hidden width, then dropout and the output layer."""
    width = _flat_size(body, in_shape)
    body["flatten"] = nn.Flatten()
    for i, h in enumerate(hidden, start=1):
        body[f"dropout_fc{i}"] = nn.Dropout(dropout)
        body[f"fc{i}"] = nn.Linear(width, h)
        body[f"relu_fc{i}"] = nn.ReLU()
        width = h
    body["dropout"] = nn.Dropout(dropout)
    body["logits"] = nn.Linear(width, n_out)
    return nn.Sequential(body)


@ARCHS.register("mnist_net")
def mnist_net(in_shape, n_out: int = 10, dropout: float = 0.6) -> nn.Sequential:
    """MNIST-NET (model_based_saliency2020 App. A; cleverhans' basic CNN): 64k8-128k6-128k3."""
    c = in_shape[0]
    body = OrderedDict(
        conv1=nn.Conv2d(c, 64, 8, stride=2, padding=3),
        relu1=nn.ReLU(),
        conv2=nn.Conv2d(64, 128, 6, stride=2),
        relu2=nn.ReLU(),
        conv3=nn.Conv2d(128, 128, 3),
        relu3=nn.ReLU(),
    )
    return _with_head(body, in_shape, n_out, dropout)


@ARCHS.register("cifar_net")
def cifar_net(in_shape, n_out: int = 10, dropout: float = 0.6) -> nn.Sequential:
    """CIFAR-NET (App. A): 2x32, pool, 2x64, pool, 2x128, pool, dense 128, dense 10."""
    body: OrderedDict = OrderedDict()
    c = in_shape[0]
    for block, width in enumerate((32, 64, 128), start=1):
        for i in (1, 2):
            body[f"conv{block}_{i}"] = nn.Conv2d(c, width, 3, padding=1)
            body[f"relu{block}_{i}"] = nn.ReLU()
            c = width
        body[f"pool{block}"] = nn.MaxPool2d(2)
    return _with_head(body, in_shape, n_out, dropout, hidden=(128,))


@ARCHS.register("detector_net")
def detector_net(in_shape, n_out: int = 1, width: int = 16, dropout: float = 0.5) -> nn.Sequential:
    """The binary detector D: smaller than f (Zhang et al.: fewer, narrower layers)."""
    c = in_shape[0]
    body = OrderedDict(
        conv1=nn.Conv2d(c, width, 3, padding=1),
        relu1=nn.ReLU(),
        pool1=nn.MaxPool2d(2),
        conv2=nn.Conv2d(width, 2 * width, 3, padding=1),
        relu2=nn.ReLU(),
        pool2=nn.MaxPool2d(2),
    )
    return _with_head(body, in_shape, n_out, dropout)


def build(arch: str, in_shape, **kwargs) -> nn.Sequential:
    return ARCHS.get(arch)(tuple(in_shape), **kwargs)


def layer_names(model: nn.Sequential) -> list[str]:
    return [name for name, _ in model.named_children()]


def features_at(model: nn.Sequential, layer: str) -> nn.Sequential:
    """The prefix of ``model`` up to and including ``layer`` (shares its parameters)."""
    names = layer_names(model)
    if layer not in names:
        raise KeyError(f"layer {layer!r} not in model (layers: {', '.join(names)})")
    return model[: names.index(layer) + 1]


def save_model(path, model: nn.Sequential, arch: str, in_shape, kwargs: dict, extra=None) -> None:
    save_tensors(
        path,
        {
            "arch": arch,
            "in_shape": list(in_shape),
            "kwargs": dict(kwargs),
            "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "extra": dict(extra or {}),
        },
    )


def load_model(path, device: torch.device | str = "cpu") -> tuple[nn.Sequential, dict]:
    """Rebuild a saved model in eval mode (``weights_only=True`` load); returns (model, meta)."""
    ckpt = load_tensors(path, expect=("arch", "in_shape", "kwargs", "state_dict"))
    model = build(ckpt["arch"], ckpt["in_shape"], **ckpt["kwargs"])
    model.load_state_dict(ckpt["state_dict"])
    return model.to(device).eval(), ckpt
