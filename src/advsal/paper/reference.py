"""workflow/paper_reference.yaml: loaded and checked before any job, and the run's own setting.

A reference item says what a paper published and on which setting (dataset, network, image
resolution, attack budget). :func:`run_setting` is the same information about a run, from its
config; the comparison labels a row a proxy where the two differ.
"""

from __future__ import annotations

import copy
import math
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from advsal import yamlload
from advsal.data.base import dataset_family
from advsal.errors import ConfigError
from advsal.errors import key_path as _where  # the config's key path: evaluation.paper[1]

ROOT = Path(__file__).resolve().parents[3]
REFERENCE = ROOT / "workflow" / "paper_reference.yaml"
SCHEMA = ROOT / "workflow" / "schemas" / "paper_reference.schema.yaml"

# kinds that compare published cells one by one, each within a tolerance (the others are claims)
CELL_KINDS = ("cells", "eps_matrix", "cross_matrix")


@cache
def _schema(path: Path = SCHEMA) -> dict:
    return yamlload.safe_load(Path(path).read_text())


def load_reference(path: str | Path = REFERENCE) -> dict:
    """The reference file, validated: its schema (one shape per item kind), no key a kind does
    not read, and every dataset and network a setting names declared. Errors are one
    ConfigError line naming the file and the item. Read once per file version (the config's
    validation and the Snakefile both ask); do not modify the result."""
    path = Path(path).resolve()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise ConfigError(f"paper reference {path}: {exc}") from None
    return _load(path, stamp)


@cache
def _load(path: Path, stamp: int) -> dict:
    try:
        ref = yamlload.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"paper reference {path}: {exc}".replace("\n", " ")) from None
    schema = _schema()
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(ref), key=lambda e: len(e.absolute_path)
    )
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise ConfigError(f"paper reference {path} at {_where(err.absolute_path)}: {err.message}")
    defs = schema["definitions"]
    common = set(defs["common"]["properties"])
    for key, entry in ref["references"].items():
        for i, item in enumerate(entry["items"]):
            at = f"paper reference {path} at references.{key}.items[{i}]"
            kind = defs["kinds"][item["kind"]]
            known = common | set(kind["properties"])
            if item["kind"] in CELL_KINDS:
                known |= set(defs["tolerance"]["properties"])
            extra = sorted(set(item) - known)
            if extra:
                raise ConfigError(f"{at}: {item['kind']!r} takes no key {extra[0]!r}")
            setting = {**entry["setting"], **item.get("setting", {})}
            for field, table in (("dataset", "datasets"), ("network", "networks")):
                if field in setting and setting[field] not in ref[table]:
                    raise ConfigError(f"{at}: {field} {setting[field]!r} is not in {table}")
    return ref


def reference_keys(path: str | Path = REFERENCE) -> list[str]:
    return list(load_reference(path)["references"])


def tables_read(keys, path: str | Path = REFERENCE) -> set[str]:
    """The tables the items of references ``keys`` read (each item names its ``table``)."""
    refs = load_reference(path)["references"]
    return {item["table"] for key in keys for item in refs[key]["items"] if "table" in item}


def paper_keys(config: dict) -> list[str]:
    """``evaluation.paper`` as a list (it may be one key, a list or null)."""
    wanted = config["evaluation"]["paper"]
    return [wanted] if isinstance(wanted, str) else list(wanted or [])


def check_paper_keys(config: dict, path: str | Path = REFERENCE) -> None:
    """``evaluation.paper`` names only references the file holds (the Snakefile asks before
    any job; the config module does not import this, so editing it re-runs no attack)."""
    keys = reference_keys(path)
    wanted = config["evaluation"]["paper"]
    for i, name in enumerate(paper_keys(config)):
        if name not in keys:
            at = "evaluation.paper" if isinstance(wanted, str) else f"evaluation.paper[{i}]"
            raise ConfigError(f"config error at {at}: {name!r} is not one of {keys}")


def run_setting(config: dict) -> dict:
    """What the comparison must know of a run to tell like-for-like from a proxy: the dataset's
    family and image shape, each classifier's architecture, which classifier each detector and
    attack is on, and Nguyen's certified nets (the paper_comparison rule's param)."""
    from advsal.data.base import dataset_classes, dataset_shape

    ds = config["dataset"]
    shape = dataset_shape(ds)
    cert = config.get("certified")
    from advsal.paper.protocol import run_protocol

    return {
        "protocol": run_protocol(config),
        "numerics": config.get("numerics", "portable"),
        "dataset": dataset_family(ds),
        "dataset_name": ds["name"],
        "shape": list(shape) if shape else None,
        "classes": dataset_classes(ds),
        "test_images": ds.get("split", {}).get("test"),
        "classifiers": {
            n: {"arch": s["arch"], "params": copy.deepcopy(s.get("params", {}))}
            for n, s in config["classifiers"].items()
        },
        "detectors": {
            n: {"type": s["type"], "classifier": s["classifier"]}
            for n, s in config["detectors"].items()
        },
        "attacks": {
            n: {"type": s["type"], "classifier": s["classifier"]}
            for n, s in config["attacks"].items()
        },
        "certified": None
        if not cert
        else {
            "side": cert["side"],
            "flow_budget": cert["attack"]["eps"],
            "images": cert["test_limit"],
        },
    }


class Context:
    """A run's setting read against one reference file (its dataset and network names)."""

    def __init__(self, setting: dict, ref: dict) -> None:
        self.setting = setting
        self.datasets = ref["datasets"]
        self.networks = ref["networks"]
        self.detection = ref["detection"]

    @property
    def pair_images(self) -> int | None:
        """Clean and adversarial test images together, where the run says how many."""
        n = self.setting.get("test_images")
        return 2 * n if n else None

    @property
    def attack_types(self) -> dict:
        return {a: s["type"] for a, s in self.setting["attacks"].items()}

    @property
    def features(self) -> int | None:
        shape = self.setting.get("shape")
        return math.prod(shape) if shape else None

    def dataset_label(self, family) -> str:
        return self.datasets.get(family, family or "an unnamed image folder")

    def network(self, classifier: str) -> str | None:
        """The paper name of a classifier instance's network (the first that matches), else its
        architecture and params."""
        spec = self.setting["classifiers"].get(classifier)
        if spec is None:
            return None
        for name, net in self.networks.items():
            wanted = net.get("params", {})
            if spec["arch"] == net["arch"] and all(
                spec["params"].get(k) == v for k, v in wanted.items()
            ):
                return name
        params = ", ".join(f"{k}={v}" for k, v in spec["params"].items() if k != "weights")
        return f"{spec['arch']}({params})" if params else spec["arch"]

    def classifier(self, keys: dict) -> str | None:
        """The classifier a row is about: its own column, its detector's or its attack's."""
        if keys.get("classifier"):
            return keys["classifier"]
        for section in ("detectors", "attacks"):
            name = keys.get(section[:-1])
            if name in self.setting[section]:
                return self.setting[section][name]["classifier"]
        return None

    def values(self, item: dict, keys: dict) -> dict:
        """The run's side of every setting key, for one row of ``item``."""
        if item.get("about") == "certified":
            cert = self.setting.get("certified") or {}
            return {
                "dataset": self.setting["dataset"],
                "network": "two-layer",
                "resolution": cert.get("side"),
                "flow_budget": cert.get("flow_budget"),
            }
        shape = self.setting.get("shape")
        out = {"dataset": self.setting["dataset"], "resolution": shape[-1] if shape else None}
        clf = self.classifier(keys)
        out["network"] = self.network(clf) if clf else None
        try:
            out["budget"] = float(keys["eps"])
        except (KeyError, TypeError, ValueError):
            out["budget"] = None
        return out

    def mismatches(self, published: dict, item: dict, keys: dict) -> list[str]:
        """How the run's setting differs from the published one, for one row (empty: it is
        like-for-like)."""
        ours = self.values(item, keys)
        out = []
        for key, theirs in published.items():
            mine = ours.get(key)
            if isinstance(theirs, float) and isinstance(mine, int | float):
                same = math.isclose(mine, theirs, rel_tol=1e-6)
            else:
                same = mine == theirs
            if not same:
                out.append(self._describe(key, mine, theirs))
        return out

    def label(self, published: dict) -> str:
        """A published setting in words: "MNIST, two-layer, 28 x 28, L_flow <= 7"."""
        words = {
            "dataset": self.dataset_label,
            "network": str,
            "resolution": lambda v: f"{v} x {v}",
            "budget": lambda v: f"eps {v:.4g}",
            "flow_budget": lambda v: f"L_flow <= {v:g}",
        }
        return ", ".join(words[k](v) for k, v in published.items())

    def _describe(self, key, mine, theirs) -> str:
        if key == "dataset":
            return f"{self.dataset_label(mine)} where the paper has {self.dataset_label(theirs)}"
        if key == "resolution":
            return f"{mine} x {mine} images where the paper has {theirs} x {theirs}"
        if key in ("budget", "flow_budget"):
            what = "eps" if key == "budget" else "L_flow budget"
            return (
                f"{what} {mine:.4g} where the paper has {theirs:.4g}"
                if mine
                else (f"no {what} where the paper has {theirs:.4g}")
            )
        return f"{mine or 'none'} where the paper has {theirs}"
