"""Check a run's config: the JSON schema (which also fills its defaults into the config), then
the registries (every name registered, every instance's settings construct). Each error is one
:class:`ConfigError` line naming the key, raised before Snakemake schedules any job."""

from __future__ import annotations

import copy
import inspect
from pathlib import Path

import jsonschema

from advsal import yamlload
from advsal.data.base import (
    DataUnavailable,
    check_split,
    dataset_classes,
    dataset_folder,
    dataset_shape,
)
from advsal.errors import ConfigError, key_path
from advsal.tokens import eps_token

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"


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
    return yamlload.safe_load(Path(path).read_text())


def check_schema(config: dict, schema_path: Path = SCHEMA) -> dict:
    """Fill the schema's defaults into ``config`` and check it against the schema; raise
    ConfigError naming the first bad key. Nothing but the schema's defaults is written."""
    schema = load_schema(schema_path)
    validator = _with_defaults(jsonschema.Draft7Validator)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: (len(e.absolute_path), e.path))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise ConfigError(f"config error at {key_path(err.absolute_path)}: {err.message}")
    return config


def _fail(key: str, msg) -> None:
    raise ConfigError(f"config error at {key}: {msg}")


def _check(key: str, fn):
    from advsal.registry import UnknownNameError

    try:
        return fn()
    except (UnknownNameError, TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"config error at {key}: {exc}") from None


def check_registered(config: dict) -> None:
    """Names must be registered and settings must construct; errors name the key. ``config``
    is the completed copy (every instance has its type and classifier)."""
    from advsal.data import DATASETS

    ds = config["dataset"]
    _check("dataset.name", lambda: DATASETS.get(ds["name"]))
    folder = dataset_folder(ds)
    if folder and not Path(ds[folder]).is_dir():
        _fail(f"dataset.{folder}", f"directory {ds[folder]!r} does not exist")
    _check_classifiers(config)
    _check_attacks(config)
    _check_saliency(config)
    try:
        check_split(config["dataset"])
    except DataUnavailable as exc:
        _fail("dataset.split", exc)
    check_shapes(config)


def _check_classifiers(config: dict) -> None:
    """Each classifier's arch and params, and the layer study's layers on its classifier."""
    from advsal.models import ARCHS

    for name, spec in config["classifiers"].items():
        fn = _check(f"classifiers.{name}.arch", lambda s=spec: ARCHS.get(s["arch"]))
        _check(
            f"classifiers.{name}.params",
            lambda f=fn, s=spec: inspect.signature(f).bind((1, 28, 28), **s["params"]),
        )
    study = config.get("layer_study")
    if study:
        spec = config["classifiers"][study["classifier"]]
        shape = dataset_shape(config["dataset"]) or (1, 28, 28)
        # the layer names only: no weights file is read (it may not exist yet at a dry run)
        params = {k: v for k, v in spec["params"].items() if k != "weights"}
        model = _check("layer_study.classifier", lambda: ARCHS.get(spec["arch"])(shape, **params))
        names = [n for n, _ in model.named_children()]
        for role, layer in study["layers"].items():
            if layer not in names:
                _fail(f"layer_study.layers.{role}", f"{layer!r} is not a layer of {spec['arch']}")


def _check_eps(name: str, spec: dict, cls) -> None:
    """An attack's eps list: there where the attack has a budget, each once, l_inf within 1."""
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


def _check_attacks(config: dict) -> None:
    """Each attack's type and budgets, and that it constructs at each (eps, sigma) and takes
    the data's shape."""
    from torch import nn

    from advsal.attacks import ATTACKS, attack_params

    dummy = nn.Identity()
    label = config["attack_options"]["label"]
    shape = dataset_shape(config["dataset"])
    for name, spec in config["attacks"].items():
        cls = _check(f"attacks.{name}.type", lambda s=spec: ATTACKS.get(s["type"]))
        _check_eps(name, spec, cls)
        extra = [{"sigma": v} for v in spec.get("sigma", [])] or [{}]
        for i, eps in enumerate(spec.get("eps") or [None]):
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


def _check_saliency(config: dict) -> None:
    from torch import nn

    from advsal.saliency import SALIENCY

    for name, spec in config["saliency"].items():
        mcls = _check(f"saliency.{name}.method", lambda s=spec: SALIENCY.get(s["method"]))
        _check(f"saliency.{name}.params", lambda c=mcls, s=spec: c(nn.Identity(), **s["params"]))


def check_shapes(config: dict) -> None:
    """Every classifier and detector built for the data's image shape and class count, and
    run on two images: built on torch's ``meta`` device, run on uninitialised CPU storage
    (shapes only: no weights initialised, no weights file read). A network that cannot take
    the images, a ``classes`` list of another length than the data's classes, or a layer the
    classifier lacks is one line naming the key."""
    import torch

    from advsal.detectors import DETECTORS
    from advsal.models import ARCHS, on_cpu_uninitialised

    ds = config["dataset"]
    shape = dataset_shape(ds)
    if shape is None:  # a source of unknown shape: the detectors' settings only, at 28 x 28
        for name, spec in config["detectors"].items():
            dcls = DETECTORS.get(spec["type"])
            if not dcls.needs_classifier:
                key = f"detectors.{name}.params"
                _check(key, lambda c=dcls, s=spec: c((1, 28, 28), **s["params"]))
        return
    n_classes = dataset_classes(ds)
    models = {}
    with torch.device("meta"), torch.no_grad():
        probe = torch.zeros(2, *shape, device="cpu")
        for name, spec in config["classifiers"].items():
            params = {k: v for k, v in spec["params"].items() if k != "weights"}
            if n_classes is not None:
                params.setdefault("n_out", n_classes)
            key = f"classifiers.{name}"
            build = ARCHS.get(spec["arch"])
            model = _check_net(key + ".params", lambda b=build, p=params: b(shape, **p), shape)
            model = on_cpu_uninitialised(model)
            logits = _check_net(key + ".arch", lambda m=model: m(probe), shape)
            if n_classes is not None and logits.shape[-1] != n_classes:
                _fail(key, f"{logits.shape[-1]} outputs for the data's {n_classes} classes")
            models[name] = model
        for name, spec in config["detectors"].items():
            dcls = DETECTORS.get(spec["type"])
            kw = {"classifier": models[spec["classifier"]]} if dcls.needs_classifier else {}
            key = f"detectors.{name}.params"
            det = _check_net(key, lambda c=dcls, s=spec, k=kw: c(shape, **s["params"], **k), shape)
            if dcls.attaches:  # reads f's features: the image alone is its input
                det = on_cpu_uninitialised(det)
                _check_net(key, lambda d=det: d(probe), shape)


def _check_net(key: str, fn, shape):
    try:
        return fn()
    except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
        text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        first = (str(text).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, RuntimeError):  # torch's shape errors
            first = f"not for {shape} images: {first}"
        raise ConfigError(f"config error at {key}: {first}") from None
