# The run's config, paths and target lists shared by every stage.
# The config is the --configfile file(s) or config.yaml, never both; --config goes on top. Jobs
# (local or on a cluster) get the same command line, so they resolve the same config.
import re
import sys

from advsal.config import (
    CLEAN,
    COMBINED,
    ConfigError,
    against_fit,
    attack_grid,
    attack_settings,
    detector_settings,
    dynamic_grid,
    eps_token,
    resolve,
    run_name,
)
from advsal.detectors import DETECTORS
from advsal.models import ATTACHMENT_POINTS
from advsal.paper import check_paper_keys, paper_keys, run_setting
from advsal.provenance import code_hash
from advsal.saliency import SALIENCY

REFERENCE = f"{workflow.basedir}/workflow/paper_reference.yaml"
try:
    _resolved = resolve(
        workflow.config_settings.configfiles,
        dict(workflow.config_settings.config),
        default=f"{workflow.basedir}/config.yaml",
    )
    check_paper_keys(_resolved, REFERENCE)  # and the reference file's schema, before any job
except ConfigError as err:
    sys.exit(str(err))
config.clear()
config.update(_resolved)

RUN = run_name(config)
R = f"{config['results']}/{RUN}"
GRID = attack_grid(config)  # [(attack, eps token)] of the static attacks
DYNAMIC = dynamic_grid(config, sigma=True)  # [(dynamic adversary, eps, detector, seed index)]
WHITEBOX = dynamic_grid(config, sigma=False)  # the same for attacks without sigma (App. C)
VERSIONS = ["static", "dynamic"]  # the detector a dynamic adversary meets
CLASSIFIERS = list(config["classifiers"])
ATTACKS = list(config["attacks"])
SALIENCIES = list(config["saliency"])
DETECTORS_ = list(config["detectors"])
CERT = config["certified"] or {}  # Nguyen Fig. 6
CERT_MODELS = ["plain", "certified"] if CERT else []
PAPERS = paper_keys(config)  # evaluation.paper as a list
SPLITS = ["train", "val", "test"]
RES = config["resources"]
PLOTS = config["plots"]
RUNTIME = {"seed": config["seed"], "device": config["device"]}
TABLES = [
    "table1",
    "eps_matrix",
    "cross_attack",
    "chosen_eps",
    "attack_accuracy",
    "perturbation",
    "detectability",
    "fit_test",
    "combined",
]


def _one_of(names):
    return "|".join(re.escape(n) for n in names)


wildcard_constraints:
    classifier=_one_of(CLASSIFIERS),
    attack=_one_of(ATTACKS + [COMBINED, CLEAN]),
    saliency=_one_of(SALIENCIES),
    detector=_one_of(DETECTORS_),
    split="train|val|test",
    version="static|dynamic",
    eps=r"[0-9][0-9.e+-]*|none",
    seed=r"[0-9]+",
    model="plain|certified",
    paper=_one_of(PAPERS) if PAPERS else "(?!)",


def code(script):
    """The hash of the library code a script runs: an edit there re-runs the rule."""
    return code_hash(f"{workflow.basedir}/workflow/scripts/{script}.py")


# -- instance lookups --------------------------------------------------------------------------
def clf_of(section, name):
    return config[section][name]["classifier"]


def grid_of(classifier):
    return [(a, e) for a, e in GRID if clf_of("attacks", a) == classifier]


def fits_of(detector):
    """The (attack, eps) pairs a detector instance is fitted to (its fit_on)."""
    return [tuple(p) for p in config["detectors"][detector]["fit"]]


def detector_class(name):
    return DETECTORS.get(config["detectors"][name]["type"])


def trained_saliency(name):
    return SALIENCY.get(config["saliency"][name]["method"]).trainable


# -- paths -------------------------------------------------------------------------------------
def classifier_path(classifier):
    return f"{R}/classifiers/{classifier}/model.pt"


def adv_path(attack, eps, split):
    return f"{R}/attacks/{attack}/{eps}/{split}.pt"


def saliency_state_path(saliency):
    return f"{R}/saliency/{saliency}/model.pt"


def saliency_path(saliency, attack=None, eps=None):
    if attack is None:
        return f"{R}/saliency/{saliency}/clean.pt"
    return f"{R}/saliency/{saliency}/{attack}/{eps}.pt"


def detector_path(detector, attack, eps, seed=0):
    """A static detector; seed index k > 0: refitted with the run's seed + k."""
    base = f"{R}/detectors/{detector}/{attack}/{eps}"
    return f"{base}/seed{seed}/model.pt" if int(seed) else f"{base}/model.pt"


def seeded(wc):
    """The runtime of a job repeated per seed index (wildcard ``seed``)."""
    return {**RUNTIME, "seed": RUNTIME["seed"] + int(wc.seed)}


def figure(name):
    return f"{R}/figures/{name}.{PLOTS['format']}"


def dynamic_path(attack, eps, detector, seed, version):
    return f"{R}/dynamic/{attack}/{eps}/{detector}/seed{seed}/{version}.csv"


def depth_detectors():
    """Detectors that attach at a numbered point of a classifier that has them (Fig. 2 right)."""
    return [
        d
        for d in DETECTORS_
        if getattr(detector_class(d), "attaches", False)
        and config["classifiers"][clf_of("detectors", d)]["arch"] in ATTACHMENT_POINTS
        and any(not is_against(a) for a, _ in grid_of(clf_of("detectors", d)))
    ]


def is_against(attack):
    return "against" in config["attacks"][attack]


def eps_matrix_detectors():
    """Detectors with at least one attack of several budgets (others have no eps matrix)."""
    def several(d):
        attacks = [a for a, _ in fits_of(d)]
        return any(attacks.count(a) > 1 for a in attacks)

    return [d for d in DETECTORS_ if several(d)]


def explicit_fits():
    """Detectors that name what they are fitted to (model_based_saliency2020 Fig. 2)."""
    return [d for d in DETECTORS_ if "fit_on" in config["detectors"][d]]


def paired_detectors():
    """Contrastive detectors scored pair by pair (Nguyen 2018 Tables 1-4)."""
    return [d for d in DETECTORS_ if config["detectors"][d].get("paired")]


def shift_saliencies():
    """Saliency instances whose classifier is attacked (Table 1 of the 2020 paper)."""
    return [s for s in SALIENCIES if grid_of(clf_of("saliency", s))]


def final_targets():
    return [
        *[f"{R}/classifiers/{c}/metrics.json" for c in CLASSIFIERS],
        f"{R}/attacks/summary.csv",
        *[f"{R}/tables/{t}.csv" for t in TABLES],
        *[figure(f"eps_matrix_{d}") for d in eps_matrix_detectors()],
        figure("cross_attack"),
        figure("detectability"),
        *([figure("fit_test")] if explicit_fits() else []),
        *[figure(f"examples_{s}") for s in shift_saliencies()],
        *[f"{R}/tables/saliency_{t}_{s}.csv" for s in shift_saliencies() for t in ("shift", "pairs")],
        *[figure(f"classifier_training_{c}") for c in CLASSIFIERS],
        *[f"{R}/tables/depth_sweep_{d}.csv" for d in depth_detectors()],
        *[figure(f"depth_sweep_{d}") for d in depth_detectors()],
        *([f"{R}/tables/adaptive.csv", figure("dynamic")] if DYNAMIC else []),
        *([f"{R}/tables/whitebox.csv", figure("whitebox")] if WHITEBOX else []),
        *[f"{R}/tables/paired_{d}.csv" for d in paired_detectors()],
        *[figure(f"paired_{d}") for d in paired_detectors()],
        *([f"{R}/tables/layer_study.csv", figure("layer_study")] if config["layer_study"] else []),
        *([f"{R}/tables/certified.csv", figure("certified")] if CERT_MODELS else []),
        f"{R}/paper_comparison.md",
        f"{R}/paper_comparison.csv",
        *[figure(f"paper_{p}") for p in PAPERS],
    ]
