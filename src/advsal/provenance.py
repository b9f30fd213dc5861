"""Which library code a rule runs, as a hash its rule declares in ``params:``.

Snakemake re-runs a ``script:`` rule when the script changes, not when a module the script
imports changes. :func:`code_hash` follows the ``advsal`` imports of a script (and of the modules
it reaches, lazy imports inside functions too, and every module of a package whose ``__init__``
imports them all with :func:`advsal.registry.import_modules`) and hashes their code, so an edit
to a module re-runs exactly the rules whose scripts reach it. The hash is over the parsed code
(``ast``), so comments and formatting do not count; ``touch`` alone re-runs nothing.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

SRC = Path(__file__).resolve().parents[1]  # .../src, the folder that holds advsal/


def _module_file(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), str(path))  # once per file, for imports and digest


@functools.cache
def _imports(path: Path) -> tuple[str, ...]:
    """The advsal modules a file imports (importing a package runs its ``__init__``; a package
    ``__init__`` that calls ``import_modules`` imports every module beside it)."""
    found: set[str] = set()
    for node in ast.walk(_tree(path)):
        if _imports_its_package(node, path):
            package = ".".join(path.parent.relative_to(SRC).parts)
            found.update(f"{package}.{f.stem}" for f in path.parent.glob("*.py"))
            found.discard(f"{package}.__init__")
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from advsal.x import y`: y may be a submodule or a name in x
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "advsal":
                found.update(m for m in _parents(name) if _module_file(m))
    return tuple(sorted(found))


def _imports_its_package(node: ast.AST, path: Path) -> bool:
    """``import_modules(__name__, __path__)`` in a package's ``__init__``."""
    return (
        path.name == "__init__.py"
        and isinstance(node, ast.Call)
        and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_modules"
    )


def modules_of(script: str | Path) -> list[Path]:
    """Every advsal source file that running ``script`` may execute, sorted."""
    seen: set[Path] = set()
    todo = [Path(script)]
    while todo:
        path = todo.pop()
        for module in _imports(path):
            f = _module_file(module)
            if f is not None and f not in seen:
                seen.add(f)
                todo.append(f)
    return sorted(seen)


@functools.cache
def _file_digest(path: Path) -> str:
    return hashlib.sha256(ast.dump(_tree(path)).encode()).hexdigest()


def code_hash(script: str | Path) -> str:
    """A short hash of the library code ``script`` runs (not of the script: Snakemake tracks it)."""
    h = hashlib.sha256()
    for f in modules_of(script):
        h.update(f"{f.relative_to(SRC)}\0{_file_digest(f)}\n".encode())
    return h.hexdigest()[:16]


# -- results recorded in the repository belong to the code that made them ----------------------
# scripts whose outputs no compared table reads: figures and the comparison itself
PRESENTING = ("figure_", "paper_comparison")


def table_code(scripts: Path | None = None) -> dict[str, str]:
    """Per workflow script that feeds a table the comparison reads (every script but figures
    and the comparison): its own code and its library code, one short hash each; what a record
    of a run's results (tests/data/default_run, bench/seed_spread.csv) is checked against."""
    scripts = scripts or SRC.parent / "workflow" / "scripts"
    out = {}
    for path in sorted(scripts.glob("*.py")):
        if path.stem.startswith(PRESENTING):
            continue
        out[path.stem] = f"{_file_digest(path)[:16]}.{code_hash(path)}"
    return out


def comparison_code() -> str:
    """The paper comparison's code and its reference file, one short hash: a seed spread's
    verdicts are theirs."""
    scripts = SRC.parent / "workflow"
    ref = hashlib.sha256((scripts / "paper_reference.yaml").read_bytes()).hexdigest()[:16]
    return f"{code_hash(scripts / 'scripts' / 'paper_comparison.py')}.{ref}"


def record(config: dict, comparison: bool = False) -> dict:
    """What a recorded result must state: the code of every rule that feeds its tables (and,
    for verdicts, the comparison's), the numerics its jobs ran with, the version and commit."""
    import subprocess

    import advsal

    commit = subprocess.run(
        ["git", "-C", str(SRC.parent), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "advsal": advsal.__version__,
        "commit": commit,
        "numerics": config.get("numerics", "portable"),
        "code": table_code(),
        **({"comparison": comparison_code()} if comparison else {}),
    }


def stale(recorded: dict) -> list[str]:
    """The scripts whose code differs from a record's (added, removed or changed)."""
    now, then = table_code(), recorded.get("code", {})
    out = sorted(k for k in now.keys() | then.keys() if now.get(k) != then.get(k))
    if "comparison" in recorded and recorded["comparison"] != comparison_code():
        out.append("paper_comparison (its library or workflow/paper_reference.yaml)")
    return out
