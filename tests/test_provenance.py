"""A rule's code hash follows the advsal modules its script reaches, and only their code."""

from __future__ import annotations

from advsal.provenance import SRC, code_hash, modules_of
from tests.helpers import ROOT

SCRIPTS = ROOT / "workflow" / "scripts"


def _names(script):
    return {str(p.relative_to(SRC)) for p in modules_of(SCRIPTS / script)}


def test_imports_are_followed_through_packages_and_lazy_imports():
    attack = _names("attack.py")
    assert "advsal/stages/attack.py" in attack
    assert "advsal/attacks/jsma.py" in attack  # via the registry package's __init__
    assert "advsal/detectors/image.py" in attack  # an attack may be against a detector
    assert not any(n.startswith("advsal/plots/") for n in attack)
    figures = _names("figure_cross_attack.py")
    assert "advsal/plots/matrices.py" in figures and "advsal/attacks/base.py" not in figures
    assert "advsal/plots/bars.py" not in figures  # another kind of figure: not re-run


def test_every_script_has_a_hash_and_they_differ_by_what_they_run():
    hashes = {p.name: code_hash(p) for p in SCRIPTS.glob("*.py")}
    assert all(len(h) == 16 for h in hashes.values())
    assert hashes["attack.py"] != hashes["figure_cross_attack.py"]
    # the three heatmap/line figure scripts run the same library code
    assert hashes["figure_eps_matrix.py"] == hashes["figure_cross_attack.py"]


def test_a_module_dropped_in_a_registry_package_registers_itself(tmp_path, monkeypatch):
    """import_modules: a package imports every module beside its __init__ (sorted by name), so
    a new attack, saliency method or detector is its module alone; code_hash follows them."""
    import sys

    pkg = tmp_path / "plugins"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "from advsal.registry import Registry, import_modules\n"
        "THINGS = Registry('thing')\n"
        "NAMES = import_modules(__name__, __path__)\n"
    )
    for name in ("zeta", "alpha"):
        (pkg / f"{name}.py").write_text(
            f"from plugins import THINGS\n\n@THINGS.register('{name}')\ndef {name}():\n    pass\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        import plugins

        assert plugins.NAMES == ["alpha", "zeta"] and plugins.THINGS.names() == ["alpha", "zeta"]
    finally:  # no test package left behind for the tests after this one
        for name in ("plugins", "plugins.alpha", "plugins.zeta"):
            sys.modules.pop(name, None)
    attack = _names("attack.py")
    assert {f"advsal/attacks/{m}.py" for m in ("cw", "deepfool", "spatial", "whitebox")} <= attack
