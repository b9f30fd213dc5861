# What each stage's jobs read, by instance: input functions and per-job settings, and the
# report helpers. Lookups and paths come from common.smk.
def attack_inputs(wc):
    spec = config["attacks"][wc.attack]
    out = {"data": rules.data.output[0], "model": classifier_path(spec["classifier"])}
    if "against" in spec:
        det = spec["against"]
        out["detector"] = detector_path(det, *against_fit(spec, wc.eps))
        sal = config["detectors"][det].get("saliency")
        if sal and trained_saliency(sal):
            out["saliency_state"] = saliency_state_path(sal)
    return out


def against_settings(wc):
    det = config["attacks"][wc.attack].get("against")
    if det is None:
        return None
    sal = config["detectors"][det].get("saliency")
    return {"saliency": config["saliency"][sal] if sal else None}


def saliency_inputs(wc, adv=False):
    spec = config["saliency"][wc.saliency]
    out = {"data": rules.data.output[0], "model": classifier_path(spec["classifier"])}
    if trained_saliency(wc.saliency):
        out["state"] = saliency_state_path(wc.saliency)
    if adv:
        out.update({f"adv_{s}": adv_path(wc.attack, wc.eps, s) for s in SPLITS})
    return out


def shift_inputs(wc):
    """f, the clean maps and, per (attack, eps) of the classifier, test adversarials and maps."""
    spec = config["saliency"][wc.saliency]
    out = {
        "data": rules.data.output[0],
        "model": classifier_path(spec["classifier"]),
        "sal_clean": saliency_path(wc.saliency),
    }
    for a, e in grid_of(spec["classifier"]):
        out[f"adv|{a}|{e}"] = adv_path(a, e, "test")
        out[f"sal|{a}|{e}"] = saliency_path(wc.saliency, a, e)
    return out


def detector_inputs(wc):
    """One (attack, eps) source, or all of the detector's for the combined fit (attack `all`);
    adversarials and maps are named adv_train|<attack>|<eps>, sal_adv|..."""
    spec = config["detectors"][wc.detector]
    cls = detector_class(wc.detector)
    out = {"data": rules.data.output[0]}
    sources = {COMBINED: fits_of(wc.detector), CLEAN: []}.get(wc.attack, [(wc.attack, wc.eps)])
    for a, e in sources:
        out.update({f"adv_{s}|{a}|{e}": adv_path(a, e, s) for s in ("train", "val")})
        if cls.needs_saliency:
            out[f"sal_adv|{a}|{e}"] = saliency_path(spec["saliency"], a, e)
    if cls.needs_classifier:
        out["classifier"] = classifier_path(spec["classifier"])
    if cls.needs_saliency:
        out["sal_clean"] = saliency_path(spec["saliency"])
    return out


def evaluate_inputs(wc):
    spec = config["detectors"][wc.detector]
    cls = detector_class(wc.detector)
    out = {"data": rules.data.output[0]}
    if cls.needs_classifier:
        out["classifier"] = classifier_path(spec["classifier"])
    if cls.needs_saliency:
        out["sal_clean"] = saliency_path(spec["saliency"])
    for a, e in fits_of(wc.detector):
        out[f"fit|{a}|{e}"] = detector_path(wc.detector, a, e)
    if spec["combined"]:
        out[f"fit|{COMBINED}|none"] = detector_path(wc.detector, COMBINED, "none")
    for a, e in grid_of(spec["classifier"]):
        out[f"adv|{a}|{e}"] = adv_path(a, e, "test")
        if cls.needs_saliency:
            out[f"sal|{a}|{e}"] = saliency_path(spec["saliency"], a, e)
    return out


def paired_inputs(wc):
    """f1, the detector's one fit, its clean maps and, per paired attack, the test adversarials
    and their maps (named adv|<attack>|<eps>, sal|...)."""
    spec = config["detectors"][wc.detector]
    out = {
        "data": rules.data.output[0],
        "classifier": classifier_path(spec["classifier"]),
        "model": detector_path(wc.detector, *fits_of(wc.detector)[0]),
        "sal_clean": saliency_path(spec["saliency"]),
    }
    for a, budget in spec["paired"].items():
        e = eps_token(budget)
        out[f"adv|{a}|{e}"] = adv_path(a, e, "test")
        out[f"sal|{a}|{e}"] = saliency_path(spec["saliency"], a, e)
    return out


def saliency_settings_of(wc):
    """The settings of the saliency instance a detector reads, or None."""
    sal = config["detectors"][wc.detector].get("saliency")
    return config["saliency"][sal] if sal else None


def dynamic_inputs(wc):
    """Adversarial training against a dynamic attack: f, the static detector (fitted to
    against_fit, with this seed) and, for a trained saliency method, its state."""
    spec = config["attacks"][wc.attack]
    out = {
        "data": rules.data.output[0],
        "classifier": classifier_path(spec["classifier"]),
        "static": detector_path(wc.detector, *against_fit(spec, wc.eps), wc.seed),
    }
    sal = config["detectors"][wc.detector].get("saliency")
    if sal and trained_saliency(sal):
        out["saliency_state"] = saliency_state_path(sal)
    return out


def dynamic_attack_inputs(wc):
    out = dynamic_inputs(wc)
    static = out.pop("static")
    out["detector"] = static if wc.version == "static" else rules.train_dynamic_detector.output.model
    return out


def depth_inputs(wc):
    """f, the attack summary (for the chosen eps) and every plain attack's adversarials."""
    clf = clf_of("detectors", wc.detector)
    out = {
        "data": rules.data.output[0],
        "classifier": classifier_path(clf),
        "summary": rules.attack_summary.output[0],
    }
    for a, e in grid_of(clf):
        if not is_against(a):
            out.update({f"adv_{s}|{a}|{e}": adv_path(a, e, s) for s in SPLITS})
    return out


def layer_inputs(wc):
    """f, the chosen eps and the test adversarials of every static attack on f."""
    clf = config["layer_study"]["classifier"]
    out = {
        "data": rules.data.output[0],
        "model": classifier_path(clf),
        "chosen": rules.tables.output.chosen_eps,
    }
    out.update({f"adv|{a}|{e}": adv_path(a, e, "test") for a, e in grid_of(clf)})
    return out


def cert_settings(wc):
    """What training reads; the plain net has no certified term (weight 0)."""
    keys = ("side", "hidden", "epochs", "lr", "batch_size", "eps", "weight")
    return {k: CERT[k] if k != "weight" or wc.model == "certified" else 0.0 for k in keys}


def paper_inputs(wc):
    """The reference file and every table a comparison may read (those this run makes)."""
    out = {
        "reference": REFERENCE,
        **{t: getattr(rules.tables.output, t) for t in TABLES},
        "attack_summary": rules.attack_summary.output[0],
    }
    if config["layer_study"]:
        out["layer_study"] = rules.layer_study.output.table
    for t in ("shift", "pairs") if shift_saliencies() else ():
        out[f"saliency_{t}"] = [f"{R}/tables/saliency_{t}_{s}.csv" for s in shift_saliencies()]
    if DYNAMIC:
        out["adaptive"] = rules.dynamic_tables.output.adaptive
    if WHITEBOX:
        out["whitebox"] = rules.whitebox_table.output[0]
    if paired_detectors():
        out["paired"] = [f"{R}/tables/paired_{d}.csv" for d in paired_detectors()]
    if CERT_MODELS:
        out["certified"] = f"{R}/tables/certified.csv"
    if depth_detectors():
        out["depth_sweep"] = [f"{R}/tables/depth_sweep_{d}.csv" for d in depth_detectors()]
    return out


def examples_inputs(wc):
    """What the saliency shift reads, and the chosen eps per attack."""
    return {**shift_inputs(wc), "chosen": rules.tables.output.chosen_eps}


# -- the report: every table and figure, captioned with the paper item it reproduces ------------
def in_report(path, item, category):
    return report(path, caption=f"../report/{item}.rst", category=category)


def table(name):
    return in_report(f"{R}/tables/{name}.csv", name, "Tables")
