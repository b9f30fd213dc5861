"""Jacobian-based saliency map attack (Papernot et al. 2016), batched over images."""

from __future__ import annotations

import math

import torch

from advsal.attacks.base import ATTACKS, Attack, pick_targets


@ATTACKS.register("jsma")
class JSMA(Attack):
    """Targeted l_0 attack: change the pixel pair that most raises the target logit while
    lowering the others (theta = +1 raises pixels), until f predicts the target or a fraction
    gamma of the features has changed.

    ``target``: "next" ((y + 1) mod C) or "random" (another class, drawn from the image itself so
    the result never depends on batching). ``search`` limits the pair map to the pixels with the
    largest linear gain (target logit up, the others down); ``null`` searches every pair, as the
    paper. Inputs with more than ``max_features`` features are refused: the pair map is quadratic
    in the feature count (the papers skip JSMA on ImageNet).
    """

    uses_eps = False
    norm = "l0"
    title = "JSMA"

    def __init__(
        self,
        model,
        theta: float = 1.0,
        gamma: float = 0.1,
        target: str = "random",
        search: int | None = 128,
        max_features: int = 3 * 64 * 64,
        pair_budget: int = 16_000_000,
        **kw,
    ):
        super().__init__(model, **kw)
        if not 0 < gamma <= 1 or theta == 0:
            raise ValueError(f"need 0 < gamma <= 1 and theta != 0, got {gamma}, {theta}")
        if target not in ("random", "next"):
            raise ValueError(f"target must be 'random' or 'next', got {target!r}")
        self.theta, self.gamma, self.target = float(theta), float(gamma), target
        self.max_features, self.pair_budget = int(max_features), int(pair_budget)
        if search is not None and search < 2:
            raise ValueError(f"search must be >= 2 or null (every pixel), got {search}")
        self.search = search

    def check_shape(self, shape) -> None:
        n = math.prod(shape)
        if n > self.max_features:
            raise ValueError(
                f"JSMA refuses {n} features per image (limit max_features={self.max_features}): "
                "its pixel-pair map grows with the square of the image size"
            )

    def targets(self, x, y, n_classes: int):
        return pick_targets(x, y, n_classes, self.target)

    def _width(self, n_features: int) -> int:
        """How many candidate pixels the pair map is built from."""
        return n_features if self.search is None else min(self.search, n_features)

    def perturb(self, x, y):
        self.check_shape(x.shape[1:])
        chunk = max(1, self.pair_budget // self._width(math.prod(x.shape[1:])) ** 2)
        return torch.cat(
            [self._chunk(x[i : i + chunk], y[i : i + chunk]) for i in range(0, len(x), chunk)]
        )

    def _chunk(self, x, y):
        f = math.prod(x.shape[1:])
        with torch.no_grad():
            n_classes = self.model(x[:1]).shape[1]
        t = self.targets(x, y, n_classes)
        flat = x.flatten(1).clone()
        raising = self.theta > 0
        # pixels within 1% of the bound can barely move: leave them out of the search
        domain = flat < 0.99 if raising else flat > 0.01
        max_iters = math.ceil(f * self.gamma / 2)
        k = self._width(f)
        off_diag = ~torch.eye(k, dtype=torch.bool, device=x.device)
        live = torch.arange(len(x), device=x.device)  # images still being changed
        for _ in range(max_iters):
            xa = flat[live].view(-1, *x.shape[1:]).detach().requires_grad_(True)
            logits = self.logits(xa, y[live])
            keep = (logits.argmax(1) != t[live]) & (domain[live].sum(1) >= 2)
            if not keep.any():
                break
            target_logit = logits.gather(1, t[live].view(-1, 1)).sum()
            (ga,) = torch.autograd.grad(target_logit, xa, retain_graph=True)
            (gall,) = torch.autograd.grad(logits.sum(), xa)
            idx = live[keep]
            a = ga.flatten(1)[keep]
            b = gall.flatten(1)[keep] - a  # the other classes together
            dom = domain[idx]
            sign = 1.0 if raising else -1.0
            gain = torch.where(dom, sign * (a - b), torch.full((), -torch.inf, device=x.device))
            cand = gain.topk(k, dim=1).indices  # (n, k) pixels the pairs are drawn from
            a, b, dom = a.gather(1, cand), b.gather(1, cand), dom.gather(1, cand)
            alpha = a.unsqueeze(2) + a.unsqueeze(1)
            beta = b.unsqueeze(2) + b.unsqueeze(1)
            in_dom = (dom.unsqueeze(2) & dom.unsqueeze(1)) & off_diag
            strict = in_dom & (sign * alpha > 0) & (sign * beta < 0)
            score = torch.where(strict, alpha * beta.abs(), torch.zeros((), device=x.device))
            # where no pair satisfies both conditions, take the pair with the largest linear gain
            # alpha - beta (target up, others down) instead of giving up on the image
            pair_gain = torch.where(
                in_dom, sign * (alpha - beta), torch.full((), -torch.inf, device=x.device)
            )
            loose = ~strict.flatten(1).any(1)
            arg = torch.where(loose, pair_gain.flatten(1).argmax(1), score.flatten(1).argmax(1))
            stuck = ~in_dom.flatten(1).any(1)
            domain[idx[stuck]] = False  # fewer than two pixels left to change
            go = idx[~stuck]
            rows = cand[~stuck]
            p = rows.gather(1, (arg[~stuck] // k).view(-1, 1)).squeeze(1)
            q = rows.gather(1, (arg[~stuck] % k).view(-1, 1)).squeeze(1)
            for col in (p, q):
                flat[go, col] = (flat[go, col] + self.theta).clamp(0.0, 1.0)
                domain[go, col] = False
            live = go  # finished and stuck images cost nothing from here on
        return flat.view_as(x)
