"""Results recorded in the repository belong to the code of this checkout: the default run's
snapshot (tests/data/default_run) and the seed spread (bench/seed_spread.csv) state the code of
every rule that feeds a compared table and the numerics their jobs ran with; once any of that
code changes, the record is stale and this test names the script and the command to re-record."""

from __future__ import annotations

import json

import pytest

from advsal import provenance
from tests.helpers import ROOT

RECORDS = {
    "tests/data/default_run/provenance.json": (
        "make run, then python bench/snapshot_run.py results/mnist5k tests/data/default_run"
    ),
    "bench/seed_spread.json": "python bench/seed_spread.py --seeds 0 1 2",
}


@pytest.mark.parametrize("path", sorted(RECORDS))
def test_a_recorded_result_was_made_by_this_code_at_portable_numerics(path):
    record = json.loads((ROOT / path).read_text())
    changed = provenance.stale(record)
    assert not changed, (
        f"{path} was made by other code of {', '.join(changed)}: re-record with {RECORDS[path]}"
    )
    assert record["numerics"] == "portable"


def test_a_changed_script_or_library_module_makes_a_record_stale(tmp_path, monkeypatch):
    record = {"code": provenance.table_code()}
    assert provenance.stale(record) == []
    assert "attack" in record["code"] and not any(k.startswith("figure_") for k in record["code"])
    # the library code an attack job runs, edited: its script is named
    lib = tmp_path / "src"
    import shutil

    shutil.copytree(provenance.SRC / "advsal", lib / "advsal")
    jsma = lib / "advsal" / "attacks" / "jsma.py"
    jsma.write_text(jsma.read_text() + "\n\ndef _edit():\n    return 1\n")
    monkeypatch.setattr(provenance, "SRC", lib)
    provenance._tree.cache_clear()
    provenance._imports.cache_clear()
    provenance._file_digest.cache_clear()
    now = provenance.table_code(ROOT / "workflow" / "scripts")
    changed = sorted(k for k in now if now[k] != record["code"][k])
    assert "attack" in changed and "data" not in changed
