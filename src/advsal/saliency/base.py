"""Saliency methods share captum's call shape: ``Method(model, **params).attribute(x, target)``.

``attribute(..., create_graph=True)`` keeps the map differentiable in x, so an attack can go
through the saliency a detector reads. A method that is itself a trained model (learnt
saliency, attention masks) sets ``trainable``: the pipeline's ``train_saliency`` rule calls
:meth:`fit` on the training split and saves :meth:`state`; the saliency rules and the attacks
restore it with :meth:`load_state` before calling ``attribute``.
"""

from __future__ import annotations

import torch
from torch import nn

from advsal.registry import Registry
from advsal.training import batched, fit

SALIENCY: Registry[type[SaliencyMethod]] = Registry("saliency method")


class SaliencyMethod:
    trainable: bool = False

    def __init__(self, model: nn.Module, **params):
        self.model = model
        self.params = params

    # -- trained methods only ---------------------------------------------------------------
    def fit(self, x, y, x_val, y_val, device="cpu", seed: int = 0, **training) -> list[dict]:
        """Train on (x, y), select on the validation split; returns the history rows."""
        raise NotImplementedError(f"{type(self).__name__} is not trained")

    def state(self) -> dict:
        raise NotImplementedError(f"{type(self).__name__} has no trained state")

    def load_state(self, state: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no trained state")

    def to(self, device) -> SaliencyMethod:
        """Move what the method owns besides f (a trained method's network)."""
        return self

    # -- every method -----------------------------------------------------------------------
    def attribute(
        self,
        inputs: torch.Tensor,
        target: torch.Tensor | None = None,
        create_graph: bool = False,
    ) -> torch.Tensor:
        """A map with the shape of ``inputs``; ``target`` defaults to f's predicted class."""
        raise NotImplementedError

    def run(self, x, batch_size: int = 256, device="cpu", progress: bool = True) -> torch.Tensor:
        self.model.eval()
        desc = type(self).__name__ if progress else None
        empty = torch.zeros_like(x)
        return batched(self.attribute, [x], batch_size, device, grad=True, desc=desc, empty=empty)


class TrainedSaliency(SaliencyMethod):
    """A method that is a network of its own (``self.net``), trained with f frozen. A subclass
    writes ``_build(in_shape, n_classes)`` (sets ``net`` and ``meta``), ``loss(x, y, gen)`` ->
    (mean loss, terms) and ``val_losses(x, y, device)`` -> ``{"val_loss": ..., "val_<term>": ...}``;
    the training (:func:`advsal.training.fit`, the epoch with the lowest validation loss kept),
    the state and the device are shared here."""

    trainable = True
    title = "saliency network"

    def __init__(self, model, **params):
        super().__init__(model, **params)
        self.net: nn.Module | None = None
        self.meta: dict = {}

    def _build(self, in_shape, n_classes) -> None:
        raise NotImplementedError

    def loss(self, x, y, gen=None) -> tuple[torch.Tensor, dict]:
        raise NotImplementedError

    def val_losses(self, x, y, device, batch_size=256) -> dict:
        raise NotImplementedError

    @torch.no_grad()
    def _add_terms(self, sums: dict, x, y, device, batch_size=256, **loss_kw) -> None:
        """Add the loss and its terms, times the batch size, over (x, y) to ``sums``; the noise
        comes from a fresh generator, so every epoch draws the same."""
        self.net.eval()
        gen = torch.Generator().manual_seed(0)
        for i in range(0, len(x), batch_size):
            xb, yb = x[i : i + batch_size].to(device), y[i : i + batch_size].to(device)
            loss, terms = self.loss(xb, yb, gen, **loss_kw)
            for k, v in {"loss": loss.item(), **terms}.items():
                sums[k] = sums.get(k, 0.0) + v * len(xb)

    def fit(self, x, y, x_val, y_val, device="cpu", seed=0, epochs=5, lr=1e-3, batch_size=64, **_):
        """Train the method's own net on (x, y) with f frozen; keep the epoch of the lowest
        validation loss (:func:`advsal.training.fit`)."""
        torch.manual_seed(seed)
        with torch.no_grad():
            n_classes = self.model(x[:1].to(device)).shape[1]
        self._build(x.shape[1:], n_classes)
        self.net.to(device)
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.model.eval()

        def step(rows, gen):
            self.net.train()
            return self.loss(x[rows].to(device), y[rows].to(device), gen)[0], None

        return fit(
            self.net,
            len(x),
            step,
            lambda: self.val_losses(x_val, y_val, device),
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            seed=seed,
            select="val_loss",
            desc=self.title,
            report=True,
        )

    def state(self) -> dict:
        return {**self.meta, "net": {k: v.cpu() for k, v in self.net.state_dict().items()}}

    def load_state(self, state: dict) -> None:
        self._build(state["in_shape"], state["n_classes"])
        self.net.load_state_dict(state["net"])
        self.net.eval()

    def to(self, device):
        if self.net is not None:
            self.net.to(device)
        return self

    def _trained(self) -> nn.Module:
        if self.net is None:
            raise RuntimeError(f"the {self.title} is not trained: fit it or load its state")
        self.net.eval()
        return self.net
