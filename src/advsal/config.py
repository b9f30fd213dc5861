"""Config validation (schema + registry names) and the plan of targets derived from it.

``validate(config)`` fills the schema's defaults and raises :class:`ConfigError` with one line
that names the key, before Snakemake schedules any job.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    pass


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _with_defaults(cls):
    """A validator that fills ``default`` values into the instance as it validates."""
    set_props = cls.VALIDATORS["properties"]

    def properties(validator, props, instance, schema):
        if isinstance(instance, dict):
            for key, sub in props.items():
                if "default" in sub and key not in instance:
                    instance[key] = _copy(sub["default"])
        yield from set_props(validator, props, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": properties})


def _copy(v):
    return yaml.safe_load(yaml.safe_dump(v))


def load_schema(path: Path = SCHEMA) -> dict:
    return yaml.safe_load(Path(path).read_text())


def validate(config: dict, schema_path: Path = SCHEMA) -> dict:
    """Fill defaults and check ``config`` in place; raise ConfigError naming the first bad key."""
    schema = load_schema(schema_path)
    validator = _with_defaults(jsonschema.Draft7Validator)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), e.path))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise ConfigError(f"config error at {_path(err.absolute_path)}: {err.message}")
    _check_names(config)
    return config


def _check_names(config: dict) -> None:
    """Names must be registered and settings must construct; errors name the key."""
    from torch import nn

    from advsal.attacks import ATTACKS
    from advsal.data import DATASETS
    from advsal.detectors import DETECTORS
    from advsal.models import ARCHS
    from advsal.registry import UnknownNameError
    from advsal.saliency import SALIENCY

    def check(key: str, fn):
        try:
            return fn()
        except (UnknownNameError, TypeError, ValueError, KeyError) as exc:
            raise ConfigError(f"config error at {key}: {exc}") from None

    ds = config["dataset"]
    check("dataset.name", lambda: DATASETS.get(ds["name"]))
    if ds["name"] == "imagefolder" and not Path(ds["root"]).is_dir():
        raise ConfigError(f"config error at dataset.root: directory {ds['root']!r} does not exist")
    check("classifier.arch", lambda: ARCHS.get(config["classifier"]["arch"]))

    dummy = nn.Identity()
    label = config["attack_options"]["label"]
    shape = dataset_shape(ds)
    for name, spec in config["attacks"].items():
        cls = check(f"attacks.{name}.type", lambda s=spec, n=name: ATTACKS.get(s.get("type", n)))
        if cls.uses_eps and not spec.get("eps"):
            raise ConfigError(f"config error at attacks.{name}.eps: {name} needs a list of eps")
        if not cls.uses_eps and "eps" in spec:
            raise ConfigError(
                f"config error at attacks.{name}.eps: {name} has no eps budget (remove the key)"
            )
        for i, eps in enumerate(spec.get("eps") or [None]):
            key = f"attacks.{name}.eps[{i}]" if eps is not None else f"attacks.{name}"
            atk = check(
                key, lambda c=cls, e=eps, s=spec: c(dummy, eps=e, label=label, **attack_params(s))
            )
            if shape and hasattr(atk, "check_shape"):
                check(f"attacks.{name}", lambda a=atk: a.check_shape(shape))
    sal = config["saliency"]
    mcls = check("saliency.method", lambda: SALIENCY.get(sal["method"]))
    check("saliency.params", lambda: mcls(dummy, **sal["params"]))
    for name, spec in config["detectors"].items():
        dcls = check(
            f"detectors.{name}.type", lambda s=spec, n=name: DETECTORS.get(s.get("type", n))
        )
        if not dcls.needs_classifier:
            check(f"detectors.{name}.params", lambda c=dcls, s=spec: c((1, 28, 28), **s["params"]))


def dataset_shape(ds: dict) -> tuple[int, int, int] | None:
    """The image shape a dataset will have, where it is known before loading."""
    known = {
        "mnist5k": (1, 28, 28),
        "mnist": (1, 28, 28),
        "fashion_mnist": (1, 28, 28),
        "cifar10": (3, 32, 32),
    }
    if ds["name"] == "imagefolder":
        return (3, ds["image_size"], ds["image_size"])
    return known.get(ds["name"])


def attack_params(spec: dict) -> dict:
    """An attack's constructor arguments: its settings less the bookkeeping keys."""
    return {k: v for k, v in spec.items() if k not in ("type", "eps")}


NO_EPS = "none"


def eps_token(eps: float | None) -> str:
    """The path token of a budget: ``0.1`` -> ``"0.1"``; ``None`` (eps-less attacks) -> "none"."""
    return NO_EPS if eps is None else f"{float(eps):g}"


def eps_value(token: str) -> float | None:
    return None if token == NO_EPS else float(token)


def run_name(config: dict) -> str:
    return config.get("run") or config["dataset"]["name"]


def attack_grid(config: dict) -> list[tuple[str, str]]:
    """All (attack instance, eps token) pairs of the config, in config order."""
    return [
        (a, eps_token(e))
        for a, spec in config["attacks"].items()
        for e in spec.get("eps") or [None]
    ]


def detector_settings(config: dict, name: str) -> dict:
    spec = config["detectors"][name]
    base = dict(config["detector_training"])
    base.update({k: spec[k] for k in ("epochs", "lr", "batch_size") if k in spec})
    return {"type": spec.get("type", name), "params": spec.get("params", {}), **base}
