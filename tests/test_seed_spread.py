"""bench/seed_spread.py's spread and the comparison that reads it (advsal.paper.spread): a row
is unstable where the seed decides its verdict, however that shows, and a later run finds its
rows by their whole identity, its own numbers in a label left out."""

from __future__ import annotations

import pandas as pd

from advsal.paper.spread import config_digest, mark_unstable, spread_rows
from tests.helpers import bench_module

seed_spread = bench_module("seed_spread")


def _run(rows):
    cols = ["paper", "group", "target", "where", "quantity", "reproduced", "verdict"]
    return pd.DataFrame(rows, columns=cols)


def test_the_seed_decides_a_verdict_in_every_way_it_can_and_the_run_finds_its_rows(tmp_path):
    p = ("p", 0, "Fig. 2")
    seeds = {
        0: _run([
            (*p, "fgsm", "d_adv", 0.95, "holds"),
            (*p, "bim", "d_adv", 0.97, "holds"),
            (*p, "mim", "d_adv", 0.90, "holds"),
            (*p, "all", "best depth (accuracy 0.998; AD(2))", 2.0, "holds"),
            (*p, "cw", "worst attack", 0.6, "holds"),
        ]),
        1: _run([
            (*p, "fgsm", "d_adv", 0.85, "fails"),  # holds / fails
            (*p, "bim", "d_adv", 0.98, "holds"),
            (*p, "mim", "d_adv", None, "not run"),  # judged at one seed, not at another
            (*p, "all", "best depth (accuracy 0.995; AD(2))", 2.0, "holds"),  # its numbers move
            (*p, "jsma", "worst attack", 0.6, "holds"),  # its where names a measured value
        ]),
    }  # fmt: skip
    for seed, frame in seeds.items():
        frame.to_csv(tmp_path / f"{seed}.csv", index=False)
    table = seed_spread.spread(
        {s: seed_spread.read_comparison(tmp_path / f"{s}.csv") for s in seeds}
    )
    unstable = dict(zip(table["where"], table["unstable"], strict=True))
    assert unstable == {
        "fgsm": True, "bim": False, "mim": True, "all": False, "cw": True, "jsma": True,
    }  # fmt: skip
    config = {"dataset": {"name": "mnist5k"}}
    table.insert(0, "config", config_digest(config))
    table.to_csv(tmp_path / "spread.csv", index=False)
    spread = spread_rows(config, tmp_path / "spread.csv")
    # a third run: its rows found by identity; one the spread never saw is unmeasured
    rows = [
        {"target": "Fig. 2", "group": 0, "where": w, "quantity": q, "reason": "",
         "verdict": "holds", "basis": "like-for-like", "pooled": True, "cell": True}
        for w, q in [("fgsm", "d_adv"), ("bim", "d_adv"), ("mim", "d_adv"),
                     ("all", "best depth (accuracy 0.990; AD(2))"), ("fgsm", "worst attack")]
    ]  # fmt: skip
    mark_unstable("p", rows, spread, counted=("like-for-like",))
    assert [r["basis"] for r in rows] == [
        "unstable", "like-for-like", "unstable", "like-for-like", "unmeasured",
    ]  # fmt: skip
