"""The run's instances, resolved: every instance reference made explicit (type, classifier,
the saliency a detector reads, its training), every detector's fit (from ``fit_on``), every
attack's ``against`` and ``against_fit``, all on a copy, and the grids planned from them (the
static (attack, eps) pairs, the retraining attacks' jobs). The user's config is never written
to; :class:`advsal.plan.Plan` plans from the copy, and :func:`advsal.config.validate` runs the
same completion to check a config's references. Errors are one line naming the key."""

from __future__ import annotations

import copy

from advsal.config.check import _check, _fail, check_registered, load_schema
from advsal.tokens import CLEAN, COMBINED, NO_EPS, eps_token

SIGMAS = [round(0.1 * i, 1) for i in range(11)]  # Metzen Sec. 4.1.2: 0, 0.1, ..., 1
TRAINING_KEYS = ("epochs", "lr", "batch_size", "betas")


def complete(config: dict) -> dict:
    """A completed copy of a validated ``config`` (schema defaults filled)."""
    done = copy.deepcopy(config)
    _complete(done)
    check_registered(done)
    _complete_fits(done)
    _complete_adaptive(done)
    return done


def static_grid(done: dict) -> list[tuple[str, str]]:
    """All (attack instance, eps token) pairs of the static attacks (those that do not retrain
    a detector), in config order, of a completed config."""
    return [
        (a, eps_token(e))
        for a, spec in done["attacks"].items()
        if not retrains(spec)
        for e in spec.get("eps") or [None]
    ]


def retraining_grid(done: dict, sigma: bool | None = None) -> list[tuple[str, str, str, int]]:
    """(attack, eps token, detector, seed index) of every attack that retrains the detector it
    meets, or only of those with (``sigma=True``: Metzen's dynamic adversary) or without (the
    2020 paper's white-box attack) a sigma grid."""
    return [
        (a, eps_token(e), d, k)
        for a, spec in done["attacks"].items()
        if retrains(spec) and (sigma is None or ("sigma" in spec) == sigma)
        for e in spec["eps"]
        for d in spec["against"]
        for k in range(spec["seeds"])
    ]


def _training_defaults() -> dict:
    """The schema's defaults of a retraining attack's ``training`` (the one place they live)."""
    props = load_schema()["properties"]["attacks"]["additionalProperties"]["properties"]
    return {k: v["default"] for k, v in props["training"]["properties"].items()}


def _complete(config: dict) -> None:
    """Make every instance reference explicit: types, classifiers, saliency, training."""
    from advsal.attacks import pipeline_keys
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
        own_classifier("layer_study", "", study)
    for name, spec in config["attacks"].items():
        spec.setdefault("type", name)
        own_classifier("attacks", name, spec)
        if not retrains(spec):
            for key in pipeline_keys(retraining_only=True):
                if key in spec:
                    _fail(f"attacks.{name}.{key}", "only a retraining attack takes this key")


def _complete_fits(config: dict) -> None:
    """Each detector's ``fitted_to``: the (attack, eps token) pairs it is fitted to, from ``fit_on``
    (attack -> a budget, a list of budgets, or null for all of them; default: every static
    attack of its classifier, each budget)."""
    grid = static_grid(config)
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
            spec["fitted_to"] = [
                [CLEAN, NO_EPS]
            ]  # one fit, scored on every attack of its classifier
            continue
        if "fit_on" not in spec:
            spec["fitted_to"] = [list(p) for p in ours]
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
        spec["fitted_to"] = sorted(fit, key=order.index)  # in the attacks' order, as the default


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
    if not DETECTORS.get(spec["type"]).contrasts:
        _fail(key, f"{spec['type']!r} has no mask classifier to contrast with")
    for attack, budget in spec["paired"].items():
        if attack not in config["attacks"] or "against" in config["attacks"][attack]:
            _fail(f"{key}.{attack}", f"{attack!r} is not an attack without 'against'")
        token = eps_token(budget)
        if (attack, token) not in grid:
            _fail(f"{key}.{attack}", f"{attack!r} has no budget {token}")


def _complete_adaptive(config: dict) -> None:
    """Resolve what adaptive attacks fool (after each attack's own settings were checked)."""
    for name, spec in config["attacks"].items():
        if retrains(spec):
            _complete_dynamic(config, name, spec)
        elif "against" in spec:
            if not isinstance(spec["against"], str):
                _fail(
                    f"attacks.{name}.against",
                    "name one detector (a list is for retraining attacks)",
                )
            _complete_against(config, name, spec)


def _flag(spec: dict, flag: str) -> bool:
    """An attack instance's class flag (:class:`advsal.attacks.base.Attack`); False for an
    unknown type, which check_registered reports."""
    from advsal.attacks import ATTACKS
    from advsal.registry import UnknownNameError

    try:
        return bool(getattr(ATTACKS.get(spec["type"]), flag))
    except UnknownNameError:
        return False


def retrains(spec: dict) -> bool:
    """Whether an attack instance runs per detector it attacks, with adversarial training of
    that detector (Metzen's dynamic adversary, the 2020 paper's white-box attack): a
    *retraining* attack. Its retrained detector is the "retrained" version of the tables."""
    return _flag(spec, "retrains_detector")


def _complete_dynamic(config: dict, name: str, spec: dict) -> None:
    """A retraining attack runs against every listed detector (default: every detector on its
    classifier), each fitted to ``against_fit`` (default: the first plain attack of a type
    flagged ``default_against_fit``, the iterative l_inf attack), once
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
            if _flag(s, "default_against_fit") and "against" not in s and s["classifier"] == clf
        ]
        spec["against_fit"] = plain[0] if plain else None
    if ATTACKS.get(spec["type"]).sigma_grid:
        spec.setdefault("sigma", list(SIGMAS))
    spec.setdefault("seeds", 1)
    spec["training"] = {**_training_defaults(), **spec.get("training", {})}
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
    fitted = {e for a, e in config["detectors"][det]["fitted_to"] if a == fit}
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
