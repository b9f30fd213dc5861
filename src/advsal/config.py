"""A run's config: resolution, validation, and the settings each job declares.

``resolve(configfiles, overrides)`` is what the Snakefile calls: the ``--configfile`` files (or
``config.yaml`` when none is given, never both), then the ``--config`` overrides, then the
schema's defaults, the registry checks and the instance references (which classifier an attack
targets, which saliency a detector reads). Every error is one :class:`ConfigError` line naming
the key, raised before Snakemake schedules any job. Jobs re-resolve the same way from the same
command line, so a cluster job sees exactly the config of the run that spawned it.
"""

from __future__ import annotations

import copy
import inspect
import math
from collections.abc import Iterable, Mapping
from pathlib import Path

import jsonschema
import yaml

from advsal.errors import ConfigError
from advsal.tokens import CLEAN, COMBINED, NO_EPS

__all__ = ["CLEAN", "COMBINED", "NO_EPS", "ConfigError", "resolve", "validate"]

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT_CONFIG = ROOT / "config.yaml"

# keys of an attack instance that the pipeline reads; the rest go to the attack's constructor
ATTACK_KEYS = (
    "type",
    "eps",
    "classifier",
    "against",
    "against_fit",
    "sigma",
    "training",
    "test_limit",
    "seeds",
)
SIGMAS = [round(0.1 * i, 1) for i in range(11)]  # Metzen Sec. 4.1.2: 0, 0.1, ..., 1
TRAINING_KEYS = ("epochs", "lr", "batch_size", "betas")


# -- resolution ----------------------------------------------------------------------------
def resolve(
    configfiles: Iterable = (), overrides: Mapping | None = None, default=DEFAULT_CONFIG
) -> dict:
    """The whole config of a run, validated. ``configfiles`` replace ``default`` (merged in
    order among themselves); ``overrides`` (Snakemake's ``--config``) go on top, their string
    values read as YAML so ``classifiers={"f": {"epochs": 11}}`` gives the integer 11."""
    files = [Path(f) for f in configfiles] or [Path(default)]
    config: dict = {}
    for f in files:
        try:
            loaded = yaml.safe_load(f.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"config error in {f}: {exc}".replace("\n", " ")) from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"config error in {f}: the top level must be a mapping")
        merge(config, unalias(loaded))
    merge(config, typed(dict(overrides or {})))
    return validate(config)


def merge(base: dict, extra: Mapping) -> dict:
    """Recursive dict update (Snakemake's rule for --config on top of a file)."""
    for k, v in extra.items():
        if isinstance(v, Mapping) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


def unalias(value):
    """A copy with no shared sub-objects: YAML anchors (``*name``) alias one mapping, which
    completing one instance in place would change in every instance that shares it."""
    if isinstance(value, Mapping):
        return {k: unalias(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unalias(v) for v in value]
    return value


def typed(value):
    """Snakemake parses nested ``--config`` values as strings; read each leaf as YAML."""
    if isinstance(value, Mapping):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    if isinstance(value, str):
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError:
            return value
    return value


# -- validation ----------------------------------------------------------------------------
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
                    instance[key] = copy.deepcopy(sub["default"])
        yield from set_props(validator, props, instance, schema)

    return jsonschema.validators.extend(cls, {"properties": properties})


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
    _complete(config)
    _check_registered(config)
    _complete_fits(config)
    _complete_adaptive(config)
    return config


def _fail(key: str, msg) -> None:
    raise ConfigError(f"config error at {key}: {msg}")


def _check(key: str, fn):
    from advsal.registry import UnknownNameError

    try:
        return fn()
    except (UnknownNameError, TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"config error at {key}: {exc}") from None


def _complete(config: dict) -> None:
    """Make every instance reference explicit: types, classifiers, saliency, training."""
    from advsal.detectors import DETECTORS

    first_clf = next(iter(config["classifiers"]))

    def own_classifier(section, name, spec):
        clf = spec.setdefault("classifier", first_clf)
        if clf not in config["classifiers"]:
            key = f"{section}.{name}".rstrip(".")
            _fail(f"{key}.classifier", f"no classifier named {clf!r}")
        return clf

    for name, spec in config["saliency"].items():
        spec.setdefault("method", name)
        own_classifier("saliency", name, spec)
    for name, spec in config["detectors"].items():
        spec.setdefault("type", name)
        clf = own_classifier("detectors", name, spec)
        for k in TRAINING_KEYS:
            spec.setdefault(k, copy.deepcopy(config["detector_training"][k]))
        cls = _check(f"detectors.{name}.type", lambda s=spec: DETECTORS.get(s["type"]))
        if not cls.needs_saliency:
            spec.pop("saliency", None)
            continue
        ours = [s for s, v in config["saliency"].items() if v["classifier"] == clf]
        sal = spec.setdefault("saliency", ours[0] if ours else None)
        if sal is None:
            _fail(f"detectors.{name}.saliency", f"{name} reads saliency; no instance is on {clf}")
        if sal not in config["saliency"]:
            _fail(f"detectors.{name}.saliency", f"no saliency instance named {sal!r}")
        if config["saliency"][sal]["classifier"] != clf:
            _fail(f"detectors.{name}.saliency", f"{sal!r} is on another classifier than {clf!r}")
    study = config.get("layer_study")
    if study:
        study.setdefault("n_examples", 2)
        own_classifier("layer_study", "", study)
    for name, spec in config["attacks"].items():
        spec.setdefault("type", name)
        own_classifier("attacks", name, spec)
        if not is_dynamic(spec):
            for key in ("sigma", "training", "test_limit", "seeds"):
                if key in spec:
                    _fail(f"attacks.{name}.{key}", "only a dynamic attack takes this key")


def _complete_fits(config: dict) -> None:
    """Each detector's ``fit``: the (attack, eps token) pairs it is fitted to, from ``fit_on``
    (attack -> a budget, a list of budgets, or null for all of them; default: every static
    attack of its classifier, each budget)."""
    grid = attack_grid(config)
    for token, what in ((COMBINED, "the combined detector"), (CLEAN, "attack-agnostic fits")):
        if token in config["attacks"]:
            _fail(f"attacks.{token}", f"{token!r} is reserved for {what}")
    for name, spec in config["detectors"].items():
        key = f"detectors.{name}.fit_on"
        clf = spec["classifier"]
        ours = [(a, e) for a, e in grid if config["attacks"][a]["classifier"] == clf]
        _check_paired(config, name, spec, grid)
        if _agnostic(spec):
            for k in ("fit_on", "combined"):
                if spec.get(k):
                    _fail(f"detectors.{name}.{k}", f"{spec['type']!r} is fitted on clean data only")
            spec["fit"] = [[CLEAN, NO_EPS]]  # one fit, scored on every attack of its classifier
            continue
        if "fit_on" not in spec:
            spec["fit"] = [list(p) for p in ours]
            if spec.get("combined") and not ours:
                _fail(f"detectors.{name}.combined", f"no attack on {clf!r} to combine")
            continue
        fit = []
        for attack, budgets in spec["fit_on"].items():
            if attack not in config["attacks"]:
                _fail(f"{key}.{attack}", f"no attack named {attack!r}")
            have = [e for a, e in ours if a == attack]
            if not have:
                _fail(f"{key}.{attack}", f"{attack!r} is not a static attack on {clf!r}")
            wanted = have if budgets is None else budgets
            for b in wanted if isinstance(wanted, list) else [wanted]:
                token = b if b in have else eps_token(b)
                if token not in have:
                    _fail(f"{key}.{attack}", f"{attack!r} has no budget {token}")
                fit.append([attack, token])
        if not fit:
            _fail(key, "name at least one attack")
        order = [list(p) for p in ours]
        spec["fit"] = sorted(fit, key=order.index)  # in the attacks' order, as the default


def _agnostic(spec: dict) -> bool:
    """Whether a detector instance's kind trains on clean data alone (its one fit: clean)."""
    from advsal.detectors import DETECTORS

    return DETECTORS.get(spec["type"]).attack_agnostic


def _check_paired(config: dict, name: str, spec: dict, grid) -> None:
    """``paired``: attack -> budget (null: eps-less), the attacks a contrastive detector is
    scored on pair by pair (Nguyen 2018 Tables 1-4); an attack on another classifier is the
    transferred setting."""
    from advsal.detectors import DETECTORS

    if not spec.get("paired"):
        return
    key = f"detectors.{name}.paired"
    if not hasattr(DETECTORS.get(spec["type"]), "score"):
        _fail(key, f"{spec['type']!r} has no mask classifier to contrast with")
    for attack, budget in spec["paired"].items():
        if attack not in config["attacks"] or "against" in config["attacks"][attack]:
            _fail(f"{key}.{attack}", f"{attack!r} is not an attack without 'against'")
        token = eps_token(budget)
        if (attack, token) not in grid:
            _fail(f"{key}.{attack}", f"{attack!r} has no budget {token}")


def detector_settings(config: dict, name: str) -> dict:
    """What a detector's training reads: its settings without the list of what it is fitted
    to (adding an attack to ``fit_on`` re-runs no fitted detector)."""
    return {
        k: v
        for k, v in config["detectors"][name].items()
        if k not in ("fit_on", "fit", "combined", "paired")
    }


def _complete_adaptive(config: dict) -> None:
    """Resolve what adaptive attacks fool (after each attack's own settings were checked)."""
    for name, spec in config["attacks"].items():
        if is_dynamic(spec):
            _complete_dynamic(config, name, spec)
        elif "against" in spec:
            if not isinstance(spec["against"], str):
                _fail(
                    f"attacks.{name}.against", "name one detector (a list is for dynamic attacks)"
                )
            _complete_against(config, name, spec)


def is_dynamic(spec: dict) -> bool:
    """Whether an attack instance runs per detector it attacks, with adversarial training of
    that detector (the dynamic adversary, the white-box attack)."""
    from advsal.attacks import ATTACKS
    from advsal.registry import UnknownNameError

    try:
        return bool(ATTACKS.get(spec["type"]).dynamic)
    except UnknownNameError:
        return False  # reported by _check_registered


def _complete_dynamic(config: dict, name: str, spec: dict) -> None:
    """A dynamic attack runs against every listed detector (default: every detector on its
    classifier), each fitted to ``against_fit`` (default: the first plain ``bim`` attack), once
    per seed; the dynamic adversary (``sigma_grid``) at every sigma."""
    from advsal.attacks import ATTACKS

    key = f"attacks.{name}"
    clf = spec["classifier"]
    ours = [
        d for d, v in config["detectors"].items() if v["classifier"] == clf and not _agnostic(v)
    ]
    against = spec.setdefault("against", ours)
    if isinstance(against, str):
        against = spec["against"] = [against]
    if not against:
        _fail(f"{key}.against", f"no detector guards classifier {clf!r}")
    if "against_fit" not in spec:
        plain = [
            a
            for a, s in config["attacks"].items()
            if s["type"] == "bim" and "against" not in s and s["classifier"] == clf
        ]
        spec["against_fit"] = plain[0] if plain else None
    if ATTACKS.get(spec["type"]).sigma_grid:
        spec.setdefault("sigma", list(SIGMAS))
    spec.setdefault("seeds", 1)
    training = spec.setdefault("training", {})
    training.setdefault("epochs", 5)
    training.setdefault("p_adv", 0.5)
    training.setdefault("init", "static")
    for det in against:
        _complete_against(config, name, {**spec, "against": det})


def _complete_against(config: dict, name: str, spec: dict) -> None:
    key = f"attacks.{name}"
    det = spec["against"]
    if det not in config["detectors"]:
        _fail(f"{key}.against", f"no detector named {det!r}")
    if config["detectors"][det]["classifier"] != spec["classifier"]:
        _fail(f"{key}.against", f"detector {det!r} guards another classifier than this attack's")
    if _agnostic(config["detectors"][det]):
        _fail(f"{key}.against", f"detector {det!r} is attack-agnostic (no fit to attack against)")
    plain = [
        a
        for a, s in config["attacks"].items()
        if s["type"] == spec["type"]
        and "against" not in s
        and s["classifier"] == spec["classifier"]
    ]
    spec["against_fit"] = spec.get("against_fit") or (plain[0] if plain else None)
    if spec["against_fit"] is None:
        _fail(f"{key}.against_fit", "name the attack the detector was fitted to")
    fit = against_fit(spec, None)[0]
    if fit not in config["attacks"] or "against" in config["attacks"][fit]:
        _fail(f"{key}.against_fit", f"{fit!r} is not an attack without 'against'")
    if config["attacks"][fit]["classifier"] != spec["classifier"]:
        _fail(f"{key}.against_fit", f"{fit!r} attacks another classifier than this attack")
    fitted = {e for a, e in config["detectors"][det]["fit"] if a == fit}
    for i, e in enumerate(spec.get("eps") or [None]):
        token = against_fit(spec, eps_token(e))[1]
        if token not in fitted:
            at = f"{key}.eps[{i}]" if e is not None and token == eps_token(e) else key
            _fail(at, f"{det!r} is not fitted to {fit!r} at {token} (see its fit_on)")


def against_fit(spec: dict, eps: str | None) -> tuple[str, str | None]:
    """(attack, eps token) of the fit of the detector an attack meets: ``against_fit`` names
    the attack (at the job's own eps) or maps it to its budget."""
    fit = spec["against_fit"]
    if isinstance(fit, dict):
        [(name, budget)] = fit.items()
        return name, eps_token(budget)
    return fit, eps


def _check_registered(config: dict) -> None:
    """Names must be registered and settings must construct; errors name the key."""
    from torch import nn

    from advsal.attacks import ATTACKS
    from advsal.data import DATASETS
    from advsal.detectors import DETECTORS
    from advsal.models import ARCHS
    from advsal.saliency import SALIENCY

    ds = config["dataset"]
    _check("dataset.name", lambda: DATASETS.get(ds["name"]))
    if ds["name"] == "imagefolder" and not Path(ds["root"]).is_dir():
        _fail("dataset.root", f"directory {ds['root']!r} does not exist")
    for name, spec in config["classifiers"].items():
        fn = _check(f"classifiers.{name}.arch", lambda s=spec: ARCHS.get(s["arch"]))
        _check(
            f"classifiers.{name}.params",
            lambda f=fn, s=spec: inspect.signature(f).bind((1, 28, 28), **s["params"]),
        )

    study = config.get("layer_study")
    if study:
        spec = config["classifiers"][study["classifier"]]
        shape = dataset_shape(ds) or (1, 28, 28)
        # the layer names only: no weights file is read (it may not exist yet at a dry run)
        params = {k: v for k, v in spec["params"].items() if k != "weights"}
        model = _check("layer_study.classifier", lambda: ARCHS.get(spec["arch"])(shape, **params))
        names = [n for n, _ in model.named_children()]
        for role, layer in study["layers"].items():
            if layer not in names:
                _fail(f"layer_study.layers.{role}", f"{layer!r} is not a layer of {spec['arch']}")

    dummy = nn.Identity()
    label = config["attack_options"]["label"]
    shape = dataset_shape(ds)
    for name, spec in config["attacks"].items():
        cls = _check(f"attacks.{name}.type", lambda s=spec: ATTACKS.get(s["type"]))
        eps_list = spec.get("eps")
        if cls.uses_eps and not eps_list:
            _fail(f"attacks.{name}.eps", f"{name} needs a list of eps")
        if not cls.uses_eps and "eps" in spec:
            _fail(f"attacks.{name}.eps", f"{name} has no eps budget (remove the key)")
        tokens = [eps_token(e) for e in eps_list or []]
        for i, eps in enumerate(eps_list or []):
            if tokens.index(tokens[i]) != i:
                _fail(f"attacks.{name}.eps[{i}]", f"budget {eps} is listed twice")
            if cls.norm == "linf" and eps > 1:
                _fail(f"attacks.{name}.eps[{i}]", f"an l_inf budget above 1 ({eps}) is no budget")
        if "sigma" in spec and not cls.sigma_grid:
            _fail(
                f"attacks.{name}.sigma",
                f"{spec['type']!r} takes no sigma (only the dynamic adversary)",
            )
        extra = [{"sigma": v} for v in spec.get("sigma", [])] or [{}]
        for i, eps in enumerate(eps_list or [None]):
            key = f"attacks.{name}.eps[{i}]" if eps is not None else f"attacks.{name}"
            for kw in extra:
                atk = _check(
                    key,
                    lambda c=cls, e=eps, s=spec, k=kw: c(
                        dummy, eps=e, label=label, **attack_params(s), **k
                    ),
                )
            if shape and hasattr(atk, "check_shape"):
                _check(f"attacks.{name}", lambda a=atk: a.check_shape(shape))
    for name, spec in config["saliency"].items():
        mcls = _check(f"saliency.{name}.method", lambda s=spec: SALIENCY.get(s["method"]))
        _check(f"saliency.{name}.params", lambda c=mcls, s=spec: c(dummy, **s["params"]))
    for name, spec in config["detectors"].items():
        dcls = DETECTORS.get(spec["type"])
        if not dcls.needs_classifier:
            _check(f"detectors.{name}.params", lambda c=dcls, s=spec: c((1, 28, 28), **s["params"]))


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


# -- what each job reads -------------------------------------------------------------------
def attack_params(spec: dict) -> dict:
    """An attack's constructor arguments: its settings less the pipeline's keys."""
    return {k: v for k, v in spec.items() if k not in ATTACK_KEYS}


def attack_settings(config: dict, name: str) -> dict:
    """What one attack job reads: the instance's settings without its eps grid (the job's own
    eps is its wildcard), so adding a budget re-runs nothing that exists."""
    return {k: v for k, v in config["attacks"][name].items() if k != "eps"}


def eps_token(eps: float | None) -> str:
    """The exact path token of a budget: ``0.1`` -> ``"0.1"``, ``1/255`` ->
    ``"0.00392156862745098"`` (the shortest text that reads back as the same float, so two
    budgets never share a path); ``None`` (eps-less attacks) -> ``"none"``."""
    if eps is None:
        return NO_EPS
    value = float(eps)
    if not math.isfinite(value):
        raise ValueError(f"eps must be finite, got {eps!r}")
    return repr(value)


def eps_value(token: str) -> float | None:
    return None if token == NO_EPS else float(token)


def run_name(config: dict) -> str:
    return config.get("run") or config["dataset"]["name"]


def attack_grid(config: dict) -> list[tuple[str, str]]:
    """All (attack instance, eps token) pairs of the config's static attacks, in config order
    (dynamic adversaries have their own grid: :func:`dynamic_grid`)."""
    return [
        (a, eps_token(e))
        for a, spec in config["attacks"].items()
        if not is_dynamic(spec)
        for e in spec.get("eps") or [None]
    ]


def dynamic_grid(config: dict, sigma: bool | None = None) -> list[tuple[str, str, str, int]]:
    """(dynamic attack, eps token, detector, seed index) of every dynamic attack, or only of
    those with (``sigma=True``: Metzen's adversary) or without a sigma grid."""
    return [
        (a, eps_token(e), d, k)
        for a, spec in config["attacks"].items()
        if is_dynamic(spec) and (sigma is None or ("sigma" in spec) == sigma)
        for e in spec["eps"]
        for d in spec["against"]
        for k in range(spec["seeds"])
    ]
