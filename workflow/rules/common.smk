# Config validation, paths and target lists shared by every stage.
import sys

from advsal.config import ConfigError, attack_grid, eps_token, run_name, validate

try:
    validate(config)
except ConfigError as err:
    sys.exit(str(err))

RUN = run_name(config)
R = f"{config['results']}/{RUN}"
GRID = attack_grid(config)  # [(attack, eps token)]
ATTACKS = list(config["attacks"])
DETECTORS = list(config["detectors"])
SPLITS = ["train", "val", "test"]
RES = config["resources"]
PLOTS = config["plots"]
TABLES = [
    "table1",
    "eps_matrix",
    "cross_attack",
    "chosen_eps",
    "attack_accuracy",
    "perturbation",
    "detectability",
]


wildcard_constraints:
    attack="|".join(ATTACKS),
    detector="|".join(DETECTORS),
    split="train|val|test",
    eps=r"[0-9.e+-]+|none",


def adv_path(attack, eps, split):
    return f"{R}/attacks/{attack}/{eps}/{split}.pt"


def saliency_path(attack, eps):
    return f"{R}/saliency/{attack}/{eps}.pt"


def detector_path(detector, attack, eps):
    return f"{R}/detectors/{detector}/{attack}/{eps}/model.pt"


def figure(name):
    return f"{R}/figures/{name}.{PLOTS['format']}"


def final_targets():
    return [
        f"{R}/classifier/metrics.json",
        f"{R}/attacks/summary.csv",
        *[f"{R}/tables/{t}.csv" for t in TABLES],
        *[figure(f"eps_matrix_{d}") for d in DETECTORS],
        figure("cross_attack"),
        figure("detectability"),
        figure("examples"),
        figure("classifier_training"),
        f"{R}/paper_comparison.md",
    ]
