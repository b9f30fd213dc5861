"""Bands computed from the run's own image counts: how far apart two accuracies must be before
one is ahead of the other (a difference within the band is a tie, and a tie is not an
ordering)."""

from __future__ import annotations

import math


def two_se(p_a: float, n_a: float | None, p_b: float, n_b: float | None) -> float:
    """Two standard errors of the difference of two shares measured on ``n_a`` and ``n_b``
    images (binomial), at least one image of the smaller count; 0 where a count is unknown."""
    if not n_a or not n_b:
        return 0.0
    p_a, p_b = min(max(p_a, 0.0), 1.0), min(max(p_b, 0.0), 1.0)
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    return max(2.0 * se, 1.0 / min(n_a, n_b))


def band(
    published: float,
    n_run: float | None,
    spec: dict,
    std: float | None = None,
) -> tuple[float, float]:
    """The interval a published share allows the run's, computed: the central 95% of a
    binomial count of the run's ``n_run`` images at any rate the paper's number allows: the
    published value give or take half its printed unit (``spec["printed"]`` decimals, default
    2), two standard errors of the paper's own count (``spec["paper_images"]``, where it gives
    one), what the reference adds that no count gives (``spec["extra"]``, with its reason), and
    at least two of the paper's standard deviations over seeds (``std``). Exact near 0 and 1,
    where a normal approximation would shrink to nothing."""
    from scipy.stats import binom

    p = min(max(published, 0.0), 1.0)
    half = 0.5 * 10.0 ** -spec.get("printed", 2) + spec.get("extra", 0.0)
    if spec.get("paper_images"):
        half += 2.0 * math.sqrt(
            max(p * (1.0 - p), 0.25 / spec["paper_images"]) / spec["paper_images"]
        )
    if std:
        half = max(half, 2.0 * std)
    lo, hi = max(p - half, 0.0), min(p + half, 1.0)
    n = int(round(n_run or 0))
    if n < 1:  # no count of the run's: the paper's side alone
        return lo, hi
    return float(binom.ppf(0.025, n, lo)) / n, float(binom.ppf(0.975, n, hi)) / n


def images_for(found, column: str, rates, fallback: float | None) -> float | None:
    """The images a table row's share ``column`` is measured on: the pairs, the adversarials
    for a detection rate, the clean images for a false-alarm or pass rate, both for an
    accuracy over clean and adversarial images, an attack's test images (times its seeds);
    else ``fallback`` (the run's test images)."""

    def num(col):
        try:
            v = float(found[col])
        except (KeyError, TypeError, ValueError):
            return None
        return None if math.isnan(v) else v

    if num("n_pairs"):
        return num("n_pairs")
    n_clean, n_adv = num("n_clean"), num("n_adv")
    if rates is not None and column == rates.adv and n_adv:
        return n_adv
    if rates is not None and column == rates.clean and n_clean:
        return n_clean
    if n_clean and n_adv:
        return n_clean + n_adv
    if num("n"):
        return num("n") * (num("n_seeds") or 1.0)
    return fallback
