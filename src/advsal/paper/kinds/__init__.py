"""One function per kind of reference item: the rows it compares, each with a verdict.

A kind reads the run's tables (:class:`~advsal.paper.verdicts.Tables`) and returns rows
(:func:`~advsal.paper.verdicts.row`) that say where (attack, budget, detector), what (a column, or
a claim's quantity), the published and reproduced numbers, the bounds the reproduced one must
fall within, and ``holds`` / ``fails``, or ``not run`` with the reason, or ``not comparable`` (a
cell the paper does not publish). Whether the run's setting matches the paper's is decided
afterwards, for every kind alike (:mod:`advsal.paper.compare`). Adding a kind is one function in
one of these modules (:mod:`.cells`, :mod:`.levels`, :mod:`.orders`, :mod:`.shapes`) plus its
shape in workflow/schemas/paper_reference.schema.yaml.
"""

from advsal.paper.kinds import cells, levels, orders, shapes  # noqa: F401  (each registers its kinds)
from advsal.paper.verdicts import (
    CALIBRATED,
    FAILS,
    HOLDS,
    KINDS,
    NOT_COMPARABLE,
    NOT_RUN,
    VERDICTS,
    Tables,
)

__all__ = [
    "CALIBRATED",
    "FAILS",
    "HOLDS",
    "KINDS",
    "NOT_COMPARABLE",
    "NOT_RUN",
    "VERDICTS",
    "Tables",
]
