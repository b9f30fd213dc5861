"""Copy a finished run's tables (what the paper comparison reads) and its setting into a folder,
for tests that judge a real run without running it (tests/test_paper_degenerate.py).

    python bench/snapshot_run.py results/mnist5k tests/data/default_run --config config.yaml

Run it on a run made by the code of this checkout (a finished `make run` of it): the snapshot's
provenance.json records that code's hashes (advsal.provenance.table_code) and the numerics every
job logged, and tests/test_recorded.py fails once any rule feeding a table changes.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

from advsal.config import resolve
from advsal.paper import run_setting
from advsal.paper.compare import run_tables
from advsal.plan.instances import complete
from advsal.provenance import record


def numerics_of(run: Path) -> set[str]:
    """The numerics every torch job of a run logged (advsal.runtime.setup's line)."""
    found = set()
    for log in run.glob("logs/**/*.log"):
        found |= set(re.findall(r"INFO numerics (\w+)", log.read_text(errors="replace")))
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run", type=Path, help="results/<run> of a finished run")
    ap.add_argument("out", type=Path)
    ap.add_argument("--config", nargs="+", default=["config.yaml"])
    args = ap.parse_args()
    for old in ("tables", "attacks"):  # what a run writes; the folder's README stays
        shutil.rmtree(args.out / old, ignore_errors=True)
    for paths in run_tables(args.run).values():
        for path in paths:
            dest = args.out / path.relative_to(args.run)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
    config = complete(resolve(args.config))
    setting = run_setting(config)
    (args.out / "setting.json").write_text(json.dumps(setting, indent=1) + "\n")
    # the code and numerics that made these tables: tests/test_recorded.py checks them
    made = numerics_of(args.run)
    if made != {config["numerics"]}:
        raise SystemExit(
            f"{args.run}: jobs ran with numerics {made}, the config says {config['numerics']}"
        )
    (args.out / "provenance.json").write_text(json.dumps(record(config), indent=1) + "\n")
    print(f"{args.run} -> {args.out}: {sum(1 for _ in args.out.rglob('*.csv'))} tables")


if __name__ == "__main__":
    main()
