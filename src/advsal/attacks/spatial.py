"""Spatially transformed adversarial examples (stAdv, Xiao et al. 2018) as Nguyen (2018) uses
them (Sec. 2.3 and 4.2): a per-pixel flow field r moves where each output pixel reads the input
(bilinear interpolation, Eq. 4, through ``grid_sample``); the loss is

    L_adv + tau * max(L_flow - eps, 0),

L_adv the C&W margin towards a target class t (Eq. 5; t random, never the label), L_flow the
flow's total variation (Eq. 6) and eps its budget (Eq. 14, 7.0 in the thesis). tau is searched
per image in [0, tau_max] as Sec. 4.2 describes: after a round without success the upper bound
drops to tau, after a success the lower bound rises to it (less distortion). An adversarial
counts only if f predicts t and L_flow <= eps (so under the budget only the margin is optimised);
the one with the smallest L_flow is kept, and an image with none is returned unchanged. Each
image's flow takes ``steps`` normalised gradient steps of l_2 length ``lr`` pixels per tau:
independent per image, unlike one L-BFGS line search over the batch (tried: one image at its
budget stalls the others).

tau weighs only the steps beyond the budget, so an image whose flow stayed within it took the
same path whatever tau: it is not searched further. Found so, it is settled (another round would
repeat it exactly); not found, it was stuck short of its target (a flat margin, not the budget),
and its next round starts from a new smooth random flow (``restart`` pixels, doubling at each
restart) instead of repeating the same failing path from zero, as the thesis's search would;
``restart: 0`` settles it instead. An image that went beyond the budget keeps its start from
round to round, so the search on tau compares paths from one start.
"""

from __future__ import annotations

import hashlib
import math

import torch
import torch.nn.functional as F

from advsal.attacks.base import ATTACKS, Attack, margin_over, pick_targets


def warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """x resampled at (row + flow[:, 0], column + flow[:, 1]) per pixel, bilinear, in pixel
    units; positions outside the image read the nearest border pixel."""
    n, _, h, w = x.shape
    rows = torch.arange(h, device=x.device, dtype=x.dtype).view(1, h, 1)
    cols = torch.arange(w, device=x.device, dtype=x.dtype).view(1, 1, w)
    # grid_sample wants (x, y) = (column, row) in [-1, 1] (align_corners: the pixel centres)
    gx = (cols + flow[:, 1]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (rows + flow[:, 0]) * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack([gx.expand(n, h, w), gy.expand(n, h, w)], dim=-1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)


def _check_border(border: str) -> str:
    if border not in ("free", "zero"):
        raise ValueError(f"border must be 'free' or 'zero', got {border!r}")
    return border


def flow_loss(flow: torch.Tensor, border: str = "free", tiny: float = 1e-12) -> torch.Tensor:
    """Eq. 6 per image: over every pixel p and each of its 4 neighbours q,
    sqrt(||du_p - du_q||^2 + ||dv_p - dv_q||^2); every neighbouring pair counts from both ends.
    ``border="zero"`` takes the flow outside the image as zero, so moving the whole image costs
    too: then L_flow >= ||N vec(r)||_2 of :mod:`advsal.certify`, and a flow within the attack's
    budget lies within the certificate's set of the same eps."""
    _check_border(border)
    if border == "zero":
        right = torch.diff(F.pad(flow, (1, 1, 0, 0)), dim=-1)
        down = torch.diff(F.pad(flow, (0, 0, 1, 1)), dim=-2)
    else:
        right = torch.diff(flow, dim=-1)
        down = torch.diff(flow, dim=-2)
    pairs = [(d.pow(2).sum(1) + tiny).sqrt().flatten(1).sum(1) for d in (right, down)]
    return 2.0 * (pairs[0] + pairs[1])


@ATTACKS.register("stadv")
class StAdv(Attack):
    """Targeted spatial attack; ``eps`` bounds the flow's total variation (not pixels)."""

    norm = "flow"
    title = "stAdv (spatial)"

    def __init__(
        self,
        model,
        eps=None,
        binary_search_steps: int = 5,
        steps: int = 100,
        lr: float = 0.2,
        tau_max: float = 1000.0,
        confidence: float = 0.0,
        target: str = "random",
        border: str = "free",
        restart: float = 2.0,
        **kw,
    ):
        super().__init__(model, eps=eps, **kw)
        if binary_search_steps < 1 or steps < 1 or lr <= 0 or tau_max <= 0:
            raise ValueError("binary_search_steps, steps, lr and tau_max must be positive")
        if restart < 0:
            raise ValueError(f"restart must be >= 0 pixels, got {restart}")
        self.restart = float(restart)
        if target not in ("random", "next"):
            raise ValueError(f"target must be 'random' or 'next', got {target!r}")
        self.binary_search_steps, self.steps, self.lr = int(binary_search_steps), int(steps), lr
        self.tau_max, self.confidence, self.target = float(tau_max), float(confidence), target
        self.border = _check_border(border)

    def perturb(self, x, y):
        n = len(x)
        with torch.no_grad():
            n_classes = self.model(x[:1]).shape[1]
        t = pick_targets(x, y, n_classes, self.target)
        lower = torch.zeros(n, device=x.device)
        upper = torch.full((n,), self.tau_max, device=x.device)
        tau = (lower + upper) / 2
        settled = torch.zeros(n, dtype=torch.bool, device=x.device)
        restarts = torch.zeros(n, dtype=torch.long, device=x.device)  # 0: starts from no flow
        best, best_tv = x.clone(), torch.full((n,), math.inf, device=x.device)
        for _ in range(self.binary_search_steps):
            flow = torch.zeros(n, 2, *x.shape[2:], device=x.device)
            wander = torch.nonzero((restarts > 0) & ~settled).flatten()
            if len(wander):
                flow[wander] = self._restart_flow(x[wander], restarts[wander])
            live = torch.nonzero(~settled).flatten()  # images whose flow can still move
            found, over = self._round(x, y, t, tau, flow, live, (best, best_tv))
            # tau weighs only the steps beyond the budget: an image that never went beyond it
            # took the same path whatever tau, so another round would repeat it. Found: it is
            # settled; not found: it was stuck short of its target, and its next round starts
            # from a new random flow (restart 0: it is settled as it is). An image that went
            # beyond keeps its start, so the search on tau compares paths from one start.
            stuck = ~found & ~over
            settled |= found & ~over
            if self.restart > 0:
                restarts = torch.where(stuck & ~settled, restarts + 1, restarts)
            else:
                settled |= stuck
            searched = over & ~settled
            upper = torch.where(searched & ~found, tau, upper)
            lower = torch.where(searched & found, tau, lower)
            tau = (lower + upper) / 2
            if settled.all():
                break
        self.last_flow_loss = best_tv  # L_flow of each kept adversarial (inf: none found)
        return best

    def _round(self, x, y, t, tau, flow, live, kept):
        """One round of the search at the weights ``tau``: up to ``steps`` gradient steps of
        the ``live`` images' flow from ``flow``, every iterate scored, each image's best
        adversarial kept in ``kept`` (its images and their L_flow, updated in place). Returns
        which images met their target within the budget at some step (``found``) and which went
        beyond the budget at some step (``over``)."""
        best, best_tv = kept
        shape, n = (-1,) + (1,) * (x.ndim - 1), len(x)
        found = torch.zeros(n, dtype=torch.bool, device=x.device)
        over = torch.zeros(n, dtype=torch.bool, device=x.device)  # beyond eps at some step
        for step in range(self.steps + 1):  # the last pass only scores the final flow
            f = flow[live].requires_grad_(True)
            x_adv = warp(x[live], f)
            logits = self.logits(x_adv, y[live])
            behind = margin_over(logits, t[live])  # how far t is below the top other class
            tv = flow_loss(f, self.border)
            with torch.no_grad():  # every iterate may be the best
                ok = (-behind > self.confidence) & (tv <= self.eps)
                better = ok & (tv < best_tv[live])
                best[live[better]] = x_adv[better].detach()
                best_tv[live[better]] = tv[better]
                found[live[ok]] = True
                over[live[tv > self.eps]] = True
            if step == self.steps:
                break
            l_adv = (behind + self.confidence).clamp_min(0)  # Eq. 5, k = -kappa
            loss = (l_adv + tau[live] * (tv - self.eps).clamp_min(0)).sum()  # Eq. 7, 14
            (g,) = torch.autograd.grad(loss, f)
            with torch.no_grad():  # each image its own step of length lr (pixels, l_2)
                norm = g.flatten(1).norm(dim=1)
                flow[live] = f - self.lr * g / (norm.view(shape) + 1e-12)
                # a zero gradient (margin met within budget) leaves the flow, and so every
                # later step, unchanged: such images need no more passes this round
                live = live[norm > 0]
            if not len(live):
                break
        return found, over

    def _restart_flow(self, x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """A smooth random flow for each image's k-th restart: normal draws on a 4x4 grid,
        bilinear over the image, std ``restart * 2**(k-1)`` pixels, shrunk to half the budget's
        L_flow where larger. Drawn from the image's own bytes and k, so an image's result does
        not depend on its batch and a run repeats exactly."""
        low = []
        for img, kk in zip(x.detach().cpu(), k.tolist(), strict=True):
            key = img.numpy().tobytes() + kk.to_bytes(4, "big")
            seed = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") >> 1
            low.append(torch.randn(2, 4, 4, generator=torch.Generator().manual_seed(seed)))
        scale = self.restart * torch.pow(2.0, (k - 1).float()).view(-1, 1, 1, 1)
        low = torch.stack(low).to(x.device) * scale
        flow = F.interpolate(low, size=tuple(x.shape[2:]), mode="bilinear", align_corners=True)
        tv = flow_loss(flow, self.border)
        return flow * (self.eps / 2 / tv.clamp_min(1e-12)).clamp(max=1.0).view(-1, 1, 1, 1)
