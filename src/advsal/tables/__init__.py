"""advsal's tables, one module per stage they summarise; every table is a tidy CSV that the
figures, the paper comparison and people read with :func:`read_table`.

- :mod:`.detection`: Zhang Table 1, the eps_fit x eps_test matrices (Fig. 3), the cross-attack
  matrix (Fig. 4), classifier accuracy and perturbation size per attack
  (model_based_saliency2020 Tables 4 and 2), detectability vs accuracy (Metzen Fig. 2 left),
  fit x test (2020 Fig. 2) and the combined detector (2020 Table 6);
- :mod:`.attacks`: one row per (attack, eps, split), the attack jobs' statistics, and each
  attack's chosen eps;
- :mod:`.retraining`: the retraining attacks, Metzen's dynamic adversary (Fig. 5, the adaptive
  column) and the 2020 paper's white-box attack (Table 3);
- :mod:`.certified`: Nguyen's Fig. 6, a row per two-layer net.

Budgets are kept as path tokens ("0.1", "none" for eps-less attacks) so they join exactly.
"""

from __future__ import annotations

import pandas as pd

EPS_COLUMNS = {"eps": str, "eps_fit": str, "eps_test": str}


def read_table(path) -> pd.DataFrame:
    """Read an advsal CSV with its eps columns as strings (tokens)."""
    return pd.read_csv(path, dtype=EPS_COLUMNS, keep_default_na=False, na_values=[""])
