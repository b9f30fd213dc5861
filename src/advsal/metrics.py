"""Detection metrics (scikit-learn) and the eps rule of Zhang / Metzen."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, roc_auc_score


def detection_metrics(score_clean, score_adv, threshold: float = 0.0) -> dict:
    """Accuracy on the balanced clean + adversarial set, TPR, FPR and ROC-AUC of logits."""
    sc, sa = np.asarray(score_clean, dtype=float), np.asarray(score_adv, dtype=float)
    scores = np.concatenate([sc, sa])
    truth = np.concatenate([np.zeros(len(sc)), np.ones(len(sa))])
    pred = scores > threshold
    return {
        "accuracy": float(accuracy_score(truth, pred)),
        "tpr": float(pred[len(sc) :].mean()),
        "fpr": float(pred[: len(sc)].mean()),
        "auc": float(roc_auc_score(truth, scores)),
        "n_clean": int(len(sc)),
        "n_adv": int(len(sa)),
    }


def choose_eps(summary: pd.DataFrame, threshold: float, split: str = "val") -> pd.DataFrame:
    """Per attack, the smallest eps of the grid with f's accuracy below ``threshold``.

    Where no eps of the grid gets there, the largest is taken and ``threshold_met`` is False.
    ``eps`` holds path tokens (strings); an eps-less attack has the single token "none".
    """
    rows = []
    for attack, grp in summary[summary["split"] == split].groupby("attack", sort=False):
        grp = grp.sort_values("eps", key=lambda s: pd.to_numeric(s, errors="coerce"))
        below = grp[grp["accuracy_adv"] < threshold]
        pick = below.iloc[0] if len(below) else grp.iloc[-1]
        rows.append(
            {
                "attack": attack,
                "eps": pick["eps"],
                "accuracy_adv": float(pick["accuracy_adv"]),
                "threshold": threshold,
                "threshold_met": bool(len(below)),
                "split": split,
            }
        )
    return pd.DataFrame(rows)
