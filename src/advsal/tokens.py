"""Path tokens shared by the config, the plan, the stages and the tables (no imports beyond the
standard library: the tables and figures read these without the registries the config checks)."""

import math

NO_EPS = "none"  # the budget token of an eps-less attack
COMBINED = "all"  # the attack token of a detector fitted to all its attacks at once (Table 6)
CLEAN = "clean"  # the attack token of an attack-agnostic detector's one fit (clean data only)


def eps_token(eps: float | None) -> str:
    """The exact path token of a budget: ``0.1`` -> ``"0.1"``, ``1/255`` ->
    ``"0.00392156862745098"`` (the shortest text that reads back as the same float, so two
    budgets never share a path); ``None`` (eps-less attacks) -> ``"none"``."""
    if eps is None:
        return NO_EPS
    value = float(eps)
    if not math.isfinite(value):
        raise ValueError(f"eps must be finite, got {eps!r}")
    return repr(value)


def eps_value(token: str) -> float | None:
    return None if token == NO_EPS else float(token)
