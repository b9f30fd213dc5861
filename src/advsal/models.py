"""Network architectures by name, built as named ``nn.Sequential`` stacks.

Named layers let a detector read a frozen classifier's features at a layer (Metzen et al.) and a
layer study pick Grad-CAM targets by name: ``features_at(model, "relu2")``.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Callable

import torch
from torch import nn

from advsal.io import load_tensors, save_tensors
from advsal.registry import Registry

ARCHS: Registry[Callable[..., nn.Sequential]] = Registry("architecture")
# AD(0), AD(1), ... of the architectures that number their detector attachment points
ATTACHMENT_POINTS = {
    "resnet": ("input", "stem", "stage1", "stage2", "stage3"),
    "vgg16": ("input", "pool1", "pool2", "pool3", "pool4", "pool5"),
}


def _flat_size(body: OrderedDict, in_shape) -> int:
    """Width of the flattened output of ``body`` for one input of ``in_shape`` (a dry run; on
    the CPU, with an uninitialised copy where ``body`` is built on the meta device)."""
    net = nn.Sequential(body)
    if any(p.is_meta for p in net.parameters()):
        net = on_cpu_uninitialised(copy.deepcopy(net))
    with torch.no_grad():
        return net(torch.zeros(1, *in_shape, device="cpu")).flatten(1).shape[1]


def on_cpu_uninitialised(net: nn.Module) -> nn.Module:
    """``net`` (built on the meta device) with CPU storage that is allocated but never written,
    and zero buffers (a buffer of class indices must index): for shape checks. A forward on
    the meta device itself costs more: torch imports its compiler (~2 s) for the meta kernels
    of relu and clamp."""
    net = net.to_empty(device="cpu")
    for buf in net.buffers():
        buf.zero_()
    return net


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
def mnist_net(in_shape, n_out: int = 10, dropout: float = 0.6, width: int = 64) -> nn.Sequential:
    """MNIST-NET (model_based_saliency2020 App. A; cleverhans' basic CNN): 64k8-128k6-128k3
    (``width`` scales the three widths: w, 2w, 2w; the paper's is 64)."""
    c = in_shape[0]
    body = OrderedDict(
        conv1=nn.Conv2d(c, width, 8, stride=2, padding=3),
        relu1=nn.ReLU(),
        conv2=nn.Conv2d(width, 2 * width, 6, stride=2),
        relu2=nn.ReLU(),
        conv3=nn.Conv2d(2 * width, 2 * width, 3),
        relu3=nn.ReLU(),
    )
    return _with_head(body, in_shape, n_out, dropout)


def _conv_pairs(in_shape, widths) -> OrderedDict:
    """Per width: two 3x3 convolutions with ReLU, then a 2x2 max-pool (App. A's blocks)."""
    body: OrderedDict = OrderedDict()
    c = in_shape[0]
    for block, width in enumerate(widths, start=1):
        for i in (1, 2):
            body[f"conv{block}_{i}"] = nn.Conv2d(c, width, 3, padding=1)
            body[f"relu{block}_{i}"] = nn.ReLU()
            c = width
        body[f"pool{block}"] = nn.MaxPool2d(2)
    return body


@ARCHS.register("cifar_net")
def cifar_net(in_shape, n_out: int = 10, dropout: float = 0.6, width: int = 32) -> nn.Sequential:
    """CIFAR-NET (App. A): 2x32, pool, 2x64, pool, 2x128, pool, dense 128, dense 10 (``width``
    scales the convolutions: w, 2w, 4w)."""
    body = _conv_pairs(in_shape, (width, 2 * width, 4 * width))
    return _with_head(body, in_shape, n_out, dropout, hidden=(128,))


@ARCHS.register("vgg_like")
def vgg_like(
    in_shape, n_out: int = 10, dropout: float = 0.5, widths=(16, 32, 64), hidden: int = 128
) -> nn.Sequential:
    """Nguyen 2018 Sec. 3.3's second classifier ("VGG-like", a modified VGG): VGG's blocks of
    two 3x3 convolutions and a max-pool per width, then one dense layer (the transferred
    setting's adversarials are crafted on it)."""
    body = _conv_pairs(in_shape, tuple(widths))
    return _with_head(body, in_shape, n_out, dropout, hidden=(hidden,))


@ARCHS.register("lenet")
def lenet(in_shape, n_out: int = 10, dropout: float = 0.0) -> nn.Sequential:
    """LeNet-5 (LeCun et al. 1998): 6 5x5 convolutions (padded), pool, 16 5x5, pool, dense 120,
    dense 84, dense n_out. Nguyen 2018's mask classifier f2 (Sec. 3.3)."""
    body = OrderedDict(
        conv1=nn.Conv2d(in_shape[0], 6, 5, padding=2),
        relu1=nn.ReLU(),
        pool1=nn.MaxPool2d(2),
        conv2=nn.Conv2d(6, 16, 5),
        relu2=nn.ReLU(),
        pool2=nn.MaxPool2d(2),
    )
    return _with_head(body, in_shape, n_out, dropout, hidden=(120, 84))


@ARCHS.register("alexnet_cifar")
def alexnet_cifar(in_shape, n_out: int = 10, dropout: float = 0.0) -> nn.Sequential:
    """Krizhevsky's AlexNet-style net for 32x32 images (cuda-convnet's layers-18pct, as in
    TensorFlow's CIFAR-10 model): 64 5x5 convolutions, 3x3 max-pool of stride 2, local response
    normalisation, 64 5x5, normalisation, pool, dense 384, dense 192, dense n_out. Nguyen 2018's
    f1 on CIFAR-10 (Sec. 3.3)."""
    body = OrderedDict(
        conv1=nn.Conv2d(in_shape[0], 64, 5, padding=2),
        relu1=nn.ReLU(),
        pool1=nn.MaxPool2d(3, stride=2, padding=1),
        norm1=nn.LocalResponseNorm(4, alpha=0.001 / 9.0, beta=0.75, k=1.0),
        conv2=nn.Conv2d(64, 64, 5, padding=2),
        relu2=nn.ReLU(),
        norm2=nn.LocalResponseNorm(4, alpha=0.001 / 9.0, beta=0.75, k=1.0),
        pool2=nn.MaxPool2d(3, stride=2, padding=1),
    )
    return _with_head(body, in_shape, n_out, dropout, hidden=(384, 192))


@ARCHS.register("assira_net")
def assira_net(in_shape, n_out: int = 2, dropout: float = 0.6, width: int = 64) -> nn.Sequential:
    """ASSIRA's net (model_based_saliency2020 App. A, 112x112 cats vs dogs): 2x64, pool,
    2x128, pool, 2x256, pool, 2x512, pool, dense 256, dense 256, dense 2 (``width`` scales
    the convolutions: w, 2w, 4w, 8w)."""
    body = _conv_pairs(in_shape, (width, 2 * width, 4 * width, 8 * width))
    return _with_head(body, in_shape, n_out, dropout, hidden=(256, 256))


@ARCHS.register("two_layer")
def two_layer(in_shape, n_out: int = 10, hidden: int = 500, pool: int = 1) -> nn.Sequential:
    """Nguyen 2018 Sec. 4 (after Raghunathan et al. 2018): f(x) = V relu(W x + b) + c, one
    hidden layer; ``pool`` > 1 average-pools the input first (a smaller image keeps the
    certificate's SDP small)."""
    layers: OrderedDict = OrderedDict()
    if pool > 1:
        layers["pool"] = nn.AvgPool2d(pool)
    layers["flatten"] = nn.Flatten()
    n_in = _flat_size(OrderedDict(layers), in_shape)
    layers["hidden"] = nn.Linear(n_in, hidden)
    layers["relu"] = nn.ReLU()
    layers["out"] = nn.Linear(hidden, n_out)
    return nn.Sequential(layers)


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


class ResBlock(nn.Module):
    """He et al. (2016): conv3x3-BN-ReLU-conv3x3-BN plus the shortcut, then ReLU. A block that
    halves the resolution does it by a strided convolution; a wider one has a 1x1-conv shortcut."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


@ARCHS.register("resnet")
def resnet(
    in_shape, n_out: int = 10, blocks: int = 5, width: int = 16, dropout: float = 0.0
) -> nn.Sequential:
    """Metzen et al. (2017) Fig. 1: conv(w) - Res x n (w) - Res x n (2w, /2) - Res x n (4w, /2) -
    GAP - dense; 6n + 2 layers (``blocks=5``: the paper's ResNet-32, ``width=16``).

    Its attachment points AD(0)..AD(4) (``model.attachment_points``) are the input, the first
    convolution and the three residual stages: AD(0)-AD(2) at full resolution, AD(3) at half and
    AD(4) at a quarter, which is why the detector drops one max-pool at AD(3) and both at AD(4).
    """
    if blocks < 1:
        raise ValueError(f"blocks must be >= 1, got {blocks}")
    body: OrderedDict = OrderedDict(
        stem=nn.Sequential(
            nn.Conv2d(in_shape[0], width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(),
        )
    )
    c = width
    for stage, mult in enumerate((1, 2, 4), start=1):
        layers = []
        for b in range(blocks):
            stride = 2 if stage > 1 and b == 0 else 1
            layers.append(ResBlock(c, width * mult, stride))
            c = width * mult
        body[f"stage{stage}"] = nn.Sequential(*layers)
    body["gap"] = nn.AdaptiveAvgPool2d(1)
    body["flatten"] = nn.Flatten()
    body["dropout"] = nn.Dropout(dropout)
    body["logits"] = nn.Linear(c, n_out)
    model = nn.Sequential(body)
    model.attachment_points = ATTACHMENT_POINTS["resnet"]
    return model


@ARCHS.register("vgg16")
def vgg16(
    in_shape, n_out: int = 10, classes=None, weights: str | None = None, dropout: float = 0.5
) -> nn.Sequential:
    """torchvision's VGG16 as named layers (``pool1``..``pool5``, Metzen Sec. 4.2 attaches the
    detector after ``pool4``). ``weights``: a local file of torchvision's ImageNet state dict
    (never fetched at run time); ``classes``: ImageNet indices whose logits are kept (the
    paper's layer that selects the 10 relevant entries), else a fresh ``n_out``-way head."""
    from torchvision.models import vgg16 as tv_vgg16

    net = tv_vgg16(weights=None, dropout=dropout)
    if weights:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        net.load_state_dict(state.get("state_dict", state))
    body: OrderedDict = OrderedDict(normalize=Normalize())  # the ImageNet input statistics
    conv = pool = 0
    for layer in net.features:
        if isinstance(layer, nn.Conv2d):
            conv += 1
            name = f"conv{conv}"
        elif isinstance(layer, nn.ReLU):
            name = f"relu{conv}"
        else:
            pool += 1
            name = f"pool{pool}"
        body[name] = layer
    body["avgpool"] = net.avgpool
    body["flatten"] = nn.Flatten()
    head = list(net.classifier)
    if classes is None:
        head[-1] = nn.Linear(head[-1].in_features, n_out)
    for i, layer in enumerate(head):
        body[f"fc{i}"] = layer
    if classes is not None:
        if len(classes) != n_out:
            raise ValueError(f"classes lists {len(classes)} ImageNet indices for {n_out} classes")
        body["logits"] = Select(classes)
    model = nn.Sequential(body)
    model.attachment_points = ATTACHMENT_POINTS["vgg16"]
    return model


class Normalize(nn.Module):
    """(x - mean) / std with ImageNet's channel statistics, so f takes images in [0, 1]."""

    def __init__(self, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225)):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class Select(nn.Module):
    """Keep the logits of the listed classes (a 1000-way net used as a 10-way classifier)."""

    def __init__(self, classes):
        super().__init__()
        self.register_buffer("index", torch.as_tensor(list(classes), dtype=torch.long))

    def forward(self, z):
        return z.index_select(1, self.index)


def attachment_point(model: nn.Sequential, layer) -> str:
    """A layer name: ``layer`` itself, or AD(i) of an architecture with attachment points."""
    if isinstance(layer, int):
        points = getattr(model, "attachment_points", None)
        if points is None:
            raise ValueError("this architecture has no numbered attachment points: name a layer")
        if not 0 <= layer < len(points):
            raise ValueError(f"attachment point AD({layer}) not in AD(0)..AD({len(points) - 1})")
        return points[layer]
    return layer


def build(arch: str, in_shape, **kwargs) -> nn.Sequential:
    return ARCHS.get(arch)(tuple(in_shape), **kwargs)


def layer_names(model: nn.Sequential) -> list[str]:
    return [name for name, _ in model.named_children()]


def features_at(model: nn.Sequential, layer: str) -> nn.Sequential:
    """The prefix of ``model`` up to and including ``layer`` (shares its parameters); the
    layer ``"input"`` is the image itself (an empty prefix)."""
    if layer == "input":
        return nn.Sequential()
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
