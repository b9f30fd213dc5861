# What each stage's jobs read, by instance: input functions and per-job settings, and the
# report helpers. Lookups and paths come from common.smk.
def attack_inputs(wc):
    spec = config["attacks"][wc.attack]
    out = {"data": rules.data.output[0], "model": classifier_path(spec["classifier"])}
    if "against" in spec:
        det = spec["against"]
        out["detector"] = detector_path(det, spec["against_fit"], wc.eps)
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


def detector_inputs(wc):
    spec = config["detectors"][wc.detector]
    cls = detector_class(wc.detector)
    out = {"data": rules.data.output[0]}
    out.update({f"adv_{s}": adv_path(wc.attack, wc.eps, s) for s in ("train", "val")})
    if cls.needs_classifier:
        out["classifier"] = classifier_path(spec["classifier"])
    if cls.needs_saliency:
        out["sal_clean"] = saliency_path(spec["saliency"])
        out["sal_adv"] = saliency_path(spec["saliency"], wc.attack, wc.eps)
    return out


def evaluate_inputs(wc):
    spec = config["detectors"][wc.detector]
    cls = detector_class(wc.detector)
    out = {"data": rules.data.output[0]}
    if cls.needs_classifier:
        out["classifier"] = classifier_path(spec["classifier"])
    if cls.needs_saliency:
        out["sal_clean"] = saliency_path(spec["saliency"])
    for a, e in grid_of(spec["classifier"]):
        out[f"fit|{a}|{e}"] = detector_path(wc.detector, a, e)
        out[f"adv|{a}|{e}"] = adv_path(a, e, "test")
        if cls.needs_saliency:
            out[f"sal|{a}|{e}"] = saliency_path(spec["saliency"], a, e)
    return out


def examples_inputs(wc):
    spec = config["saliency"][wc.saliency]
    out = {
        "data": rules.data.output[0],
        "model": classifier_path(spec["classifier"]),
        "chosen": rules.tables.output.chosen_eps,
        "sal_clean": saliency_path(wc.saliency),
    }
    for a, e in grid_of(spec["classifier"]):
        out[f"adv|{a}|{e}"] = adv_path(a, e, "test")
        out[f"sal|{a}|{e}"] = saliency_path(wc.saliency, a, e)
    return out


# -- the report: every table and figure, captioned with the paper item it reproduces ------------
def in_report(path, item, category):
    return report(path, caption=f"../report/{item}.rst", category=category)


def table(name):
    return in_report(f"{R}/tables/{name}.csv", name, "Tables")
