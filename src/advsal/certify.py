"""Nguyen 2018 Sec. 4.1 (Eq. 10-13): an SDP certificate for a two-layer network against
spatially transformed inputs, after Raghunathan et al. (2018).

For f(x) = V relu(W x + b) + c, a label y and another class j, with v = V_j - V_y, the mean
value theorem for relu (slopes in [0, 1]) gives, for any x' = x + delta,

    f_j(x') - f_y(x') <= f_j(x) - f_y(x) + max_{s in [0,1]^m, delta} v^T diag(s) W delta.

A flow r moves each output pixel to a bilinear mix of nearby input pixels, so delta is bounded
per pixel: |delta_i| <= e_i (:func:`pixel_bounds`), for flows inside the box that contains the
ellipsoid ||N vec(r)||_2 <= eps of the thesis (:func:`flow_box`: |r_i| <= eps lambda_i with
lambda_i^2 the i-th diagonal entry of (N^T N)^-1, N the neighbour-difference operator with a
zero border, so a translation is not free). Writing s = (1 + s') / 2 and delta = diag(e) t with
s', t in [-1, 1] and homogenising with z = (1, s', t), the maximum is max z^T P z over the
hypercube; its SDP relaxation (Eq. 12-13) max tr(P Z), diag(Z) <= 1, Z PSD, solved with SCS,
bounds it from above. Class j cannot overtake y when f_j(x) - f_y(x) + SDP_j < 0; the image is
certified when that holds for every j.

The thesis's P (Eq. 11) puts the flow box next to W without the image's derivative; here the
per-pixel bounds carry it (a flow over a flat region changes nothing), which keeps the bound
sound.
"""

from __future__ import annotations

import functools
import logging
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from advsal.optim import Adam

log = logging.getLogger(__name__)


def difference_operator(h: int, w: int) -> np.ndarray:
    """N: one row per neighbouring pair (right and down) and per border side, with a zero
    value outside the image, so N^T N (the Dirichlet Laplacian) is invertible."""
    rows = []
    idx = np.arange(h * w).reshape(h, w)
    for i in range(h):
        for j in range(w):
            for di, dj in ((0, 1), (1, 0)):
                r = np.zeros(h * w)
                r[idx[i, j]] = -1.0
                ii, jj = i + di, j + dj
                if ii < h and jj < w:
                    r[idx[ii, jj]] = 1.0
                rows.append(r)
            if i == 0 or j == 0:  # the top and left borders (right / down are above)
                for _ in range((i == 0) + (j == 0)):
                    r = np.zeros(h * w)
                    r[idx[i, j]] = 1.0
                    rows.append(r)
    return np.asarray(rows)


def flow_box(h: int, w: int, eps: float) -> np.ndarray:
    """rho (h, w): the largest |r_i| of a flow component with ||N r||_2 <= eps (Prop. 2.2 of
    the thesis's [21]: eps * sqrt(diag((N^T N)^-1)))."""
    n = difference_operator(h, w)
    return eps * np.sqrt(np.diag(np.linalg.inv(n.T @ n))).reshape(h, w)


def pixel_bounds(x: torch.Tensor, rho: torch.Tensor) -> torch.Tensor:
    """e (same shape as x, (C, H, W)): |warp(x, r) - x| <= e for every flow with |r| <= rho per
    pixel and component. Within one pixel (rho <= 1) the bilinear cell gives
    rho (D_row + D_col) + rho^2 D_cross (the largest one-sided differences); further, the
    largest difference to any pixel within ceil(rho) (a bilinear value is a convex mix)."""
    c, h, w = x.shape
    pad = int(math.ceil(float(rho.max()))) if rho.numel() else 0
    xp = nn.functional.pad(x.unsqueeze(0), (pad, pad, pad, pad), mode="replicate")[0]

    def shifted(di, dj):
        return xp[:, pad + di : pad + di + h, pad + dj : pad + dj + w]

    window = torch.zeros_like(x)
    for di in range(-pad, pad + 1):
        for dj in range(-pad, pad + 1):
            window = torch.maximum(window, (shifted(di, dj) - x).abs())
    if pad == 0:
        return window
    d_row = torch.maximum((shifted(1, 0) - x).abs(), (shifted(-1, 0) - x).abs())
    d_col = torch.maximum((shifted(0, 1) - x).abs(), (shifted(0, -1) - x).abs())
    d_cross = torch.zeros_like(x)
    for a in (-1, 1):
        for b in (-1, 1):
            cross = shifted(a, b) - shifted(a, 0) - shifted(0, b) + x
            d_cross = torch.maximum(d_cross, cross.abs())
    r = rho.to(x).expand_as(x)
    cell = r * (d_row + d_col) + r * r * d_cross
    return torch.where(r <= 1.0, torch.minimum(cell, window), window)


def folded_hidden(model: nn.Sequential, in_shape) -> torch.Tensor:
    """W (hidden, C H W) of a ``two_layer`` network with any input pooling folded in;
    differentiable in the network's weights."""
    n = math.prod(in_shape)
    basis = torch.eye(n, device=model.hidden.weight.device).view(n, *in_shape)
    front = nn.Sequential(*[m for name, m in model.named_children() if name in ("pool", "flatten")])
    return model.hidden.weight @ front(basis).view(n, -1).T  # pooled features = a @ x


def two_layer_weights(model: nn.Sequential, in_shape) -> tuple[torch.Tensor, ...]:
    """(W, b, V, c) of a ``two_layer`` network, any input pooling folded into W."""
    with torch.no_grad():
        w = folded_hidden(model, in_shape)
    return w, model.hidden.bias.detach(), model.out.weight.detach(), model.out.bias.detach()


def pair_matrix(w: torch.Tensor, v: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """P of z^T P z = v^T diag((1 + s') / 2) W diag(e) t over z = (1, s', t); differentiable in
    W, v and e (certified training reads it through :func:`dual_bound`). Batched: v (..., m)
    and e (..., n) broadcast over leading dimensions, W is (m, n)."""
    m_ = v.unsqueeze(-1) * w * e.unsqueeze(-2)  # diag(v) W diag(e)
    *lead, m, n = m_.shape
    zeros = m_.new_zeros

    top = torch.cat([zeros(*lead, 1, 1 + m), m_.sum(-2, keepdim=True) / 4.0], -1)
    mid = torch.cat([zeros(*lead, m, 1 + m), m_ / 4.0], -1)
    low = torch.cat(
        [top[..., 1 + m :].transpose(-1, -2), m_.transpose(-1, -2) / 4.0, zeros(*lead, n, n)], -1
    )
    return torch.cat([top, mid, low], -2)


def dual_bound(p: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
    """Raghunathan et al.'s differentiable bound on the SDP (so on the certificate): for any c,
    tr(P Z) = tr((P - diag c) Z) + sum c_i Z_ii <= d max(lambda_max(P - diag c), 0) + sum max(c, 0)
    when diag(Z) <= 1 and Z is PSD. Batched over leading dimensions."""
    d = p.shape[-1]
    c = p.new_zeros(p.shape[:-1]) if c is None else c
    top = torch.linalg.eigvalsh(p - torch.diag_embed(c))[..., -1]
    return d * top.clamp_min(0) + c.clamp_min(0).sum(-1)


@functools.lru_cache(maxsize=4)
def _sdp_problem(d: int):
    """max tr(P Z) s.t. diag(Z) <= 1, Z PSD for a d x d parameter P, compiled once per size:
    cvxpy's canonicalisation costs about as much as SCS's solve at d = 70."""
    import cvxpy as cp

    p = cp.Parameter((d, d), symmetric=True)
    z = cp.Variable((d, d), PSD=True)
    return cp.Problem(cp.Maximize(cp.trace(p @ z)), [cp.diag(z) <= 1]), p


def sdp_value(p, tol: float = 1e-4) -> tuple[float, float]:
    """max tr(P Z) s.t. diag(Z) <= 1, Z PSD (Eq. 13) with SCS at tolerance ``tol`` (SCS's
    default), warm-started from the last solve of this size; (value, seconds). The
    relaxation's value only loosens the bound, but SCS's own inexactness could tighten it by
    about ``tol`` relative: keep a margin that large."""
    import cvxpy as cp

    p = p.detach().double().numpy() if isinstance(p, torch.Tensor) else np.asarray(p, float)
    prob, param = _sdp_problem(len(p))
    param.value = (p + p.T) / 2
    t0 = time.perf_counter()
    prob.solve(solver=cp.SCS, eps_abs=tol, eps_rel=tol, warm_start=True)
    if prob.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"SCS did not solve the certificate's SDP: {prob.status}")
    return float(prob.value), time.perf_counter() - t0


def certify(model: nn.Sequential, x: torch.Tensor, y: int, eps: float) -> dict:
    """The certificate of one image (C, H, W) of label y against flows with ||N r||_2 <= eps:
    per other class j the bound on f_j - f_y, the worst of them and whether all are < 0."""
    in_shape = tuple(x.shape)
    w, b, v_all, c = two_layer_weights(model, in_shape)
    rho = torch.as_tensor(flow_box(in_shape[1], in_shape[2], eps), dtype=x.dtype)
    e = pixel_bounds(x, rho).flatten()
    with torch.no_grad():
        logits = model(x.unsqueeze(0))[0]
    bounds, seconds = {}, 0.0
    for j in range(len(c)):
        if j == y:
            continue
        value, dt = sdp_value(pair_matrix(w, v_all[j] - v_all[y], e))
        bounds[j] = float(logits[j] - logits[y]) + value
        seconds += dt
    worst = max(bounds.values())
    return {"bounds": bounds, "worst": worst, "certified": worst < 0, "seconds": seconds}


# -- batched: every test image at once, and the regulariser of certified training -----------


def image_bounds(x: torch.Tensor, eps: float) -> torch.Tensor:
    """e (B, C H W): :func:`pixel_bounds` of every image of x (B, C, H, W) at flow budget eps."""
    b, c, h, w = x.shape
    rho = torch.as_tensor(flow_box(h, w, eps), dtype=x.dtype, device=x.device)
    return pixel_bounds(x.reshape(b * c, h, w), rho).reshape(b, c * h * w)


def other_classes(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """(B, n_classes - 1): the classes j != y of each label, in order."""
    every = torch.arange(n_classes, device=y.device).expand(len(y), n_classes)
    return every[every != y.unsqueeze(1)].view(len(y), n_classes - 1)


def gershgorin(p: torch.Tensor) -> torch.Tensor:
    """c with P - diag(c) negative semidefinite (each row's absolute sum, P's diagonal being
    zero): the dual bound at this c is sum |P|, the interval bound; a start for :func:`tighten`."""
    return p.abs().sum(-1)


def tighten(p: torch.Tensor, steps: int = 200, lr: float = 0.05) -> torch.Tensor:
    """min over c of :func:`dual_bound` (P, c), batched: Adam on c from :func:`gershgorin`, the
    lowest value seen kept (every c gives a sound bound; the minimum is the SDP's value). In
    float64; should an eigensolver step still fail to converge, the lowest value so far stands."""
    p = p.detach().double()
    c0 = gershgorin(p)
    best = dual_bound(p, c0)
    scale = c0.mean(-1, keepdim=True).clamp_min(1e-12)  # steps relative to the matrix's size
    u = torch.zeros_like(c0, requires_grad=True)
    opt = Adam([u], lr=lr)
    try:
        for _ in range(steps + 1):
            value = dual_bound(p, c0 + scale * u)
            best = torch.minimum(best, value.detach())
            opt.zero_grad()
            value.sum().backward()
            opt.step()
    except torch.linalg.LinAlgError as exc:
        log.warning("tighten stopped early, the bounds so far stand: %s", exc)
    return best


def certify_batch(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, eps: float, **kw):
    """The certificate of every image of x (B, C, H, W) against flows with ||N r||_2 <= eps:
    ``bounds`` (B, K - 1) bound f_j - f_y for the other classes ``classes`` (B, K - 1);
    ``worst`` (B,) their maximum, certified when < 0. Every bound starts as the interval bound
    (:func:`interval_bound`); those that leave a correctly classified image uncertified are
    tightened (:func:`tighten`, with ``kw``), the rest need not be: sound either way."""
    w, _, v_all, _ = two_layer_weights(model, tuple(x.shape[1:]))
    with torch.no_grad():
        logits = model(x)
    classes = other_classes(y, logits.shape[1])
    v = v_all[classes] - v_all[y].unsqueeze(1)  # (B, K - 1, m)
    e = image_bounds(x, eps).unsqueeze(1)
    margin = logits.gather(1, classes) - logits.gather(1, y.unsqueeze(1))
    bounds = margin + interval_bound(w, v, e)
    todo = (bounds >= 0) & (margin < 0).all(1, keepdim=True)
    if todo.any():
        rows = todo.nonzero(as_tuple=True)
        p = pair_matrix(w, v[rows], e[rows[0]].squeeze(1))
        bounds[rows] = margin[rows] + tighten(p, **kw).to(bounds.dtype)
    return {"classes": classes, "bounds": bounds, "worst": bounds.max(1).values}


def interval_bound(w: torch.Tensor, v: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
    """sum |P| of :func:`pair_matrix` without building P: the dual bound at c =
    :func:`gershgorin` (its eigenvalue term is zero there), so a sound certificate term, cheap
    and differentiable enough to train with. Batched as :func:`pair_matrix`."""
    m_ = v.unsqueeze(-1) * w * e.unsqueeze(-2)
    return 0.5 * m_.abs().sum((-1, -2)) + 0.5 * m_.sum(-2).abs().sum(-1)


class CertifiedTraining(nn.Module):
    """A ``two_layer`` network and its certified margins, for training: the output is the
    logits (B, K) and, flattened, the bounds (B, K, K) on f_j - f_y under every flow with
    ||N r||_2 <= eps for each label y and class j (f_j(x) - f_y(x) + :func:`interval_bound`
    of the image's own pixel bounds; zero where j = y). :func:`certified_loss` reads both:
    Raghunathan et al. train on such bounds, here per image since the flow's effect is."""

    def __init__(self, net: nn.Sequential, in_shape, eps: float):
        super().__init__()
        self.net, self.in_shape, self.eps = net, tuple(in_shape), float(eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.net(x)
        v = self.net.out.weight
        dv = v.unsqueeze(0) - v.unsqueeze(1)  # [y, j] = V_j - V_y
        e = image_bounds(x, self.eps)[:, None, None, :]
        bound = interval_bound(folded_hidden(self.net, self.in_shape), dv, e)
        margins = logits.unsqueeze(1) - logits.unsqueeze(2) + bound  # [b, y, j]
        return torch.cat([logits, margins.flatten(1)], 1)


def certified_loss(out: torch.Tensor, y: torch.Tensor, weight: float) -> torch.Tensor:
    """Cross-entropy of the logits plus ``weight`` times that of the certified margins of the
    label's row (Wong and Kolter's robust loss): low when every bound on f_j - f_y is below 0."""
    k = math.isqrt(4 * out.shape[1] + 1) // 2  # out is K + K^2 wide
    margins = out[:, k:].view(-1, k, k)[torch.arange(len(y), device=y.device), y]
    return F.cross_entropy(out[:, :k], y) + weight * F.cross_entropy(margins, y)
