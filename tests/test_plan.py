"""The plan (advsal.plan): which files each job reads, not only how many jobs there are.

Every case is on config/tiny.yaml, which has two classifiers, attacks ``against`` a detector,
a detector with ``fit_on`` and ``combined``, an attack-agnostic paired detector, Metzen's
dynamic adversary and the 2020 paper's white-box attack.
"""

from __future__ import annotations

import copy

import pytest

from advsal.config import resolve
from advsal.plan import Plan
from advsal.plan.outputs import OUTPUTS
from advsal.stages.common import named_inputs
from bench.job_list import job_lines
from tests.helpers import ROOT

TINY = resolve([ROOT / "config" / "tiny.yaml"])


@pytest.fixture(scope="module")
def plan():
    return Plan(copy.deepcopy(TINY))


def _files(plan, named) -> dict:
    """A job's inputs with the run's folder cut off each path."""
    cut = plan.paths.root + "/"

    def rel(v):
        return [p.removeprefix(cut) for p in v] if isinstance(v, list) else v.removeprefix(cut)

    return {k: rel(v) for k, v in named.files.items()}


def test_the_users_config_is_never_written(plan):
    assert plan.config == TINY
    assert "fitted_to" not in plan.config["detectors"]["spd"]  # derived: the plan's copy only
    assert "against_fit" not in plan.config["attacks"]["bim_jsd"]
    assert plan.done["detectors"]["spd"]["fitted_to"] == [["fgsm", "0.3"], ["deepfool", "none"]]


def test_evaluation_reads_each_fit_of_fit_on_then_the_combined_fit(plan):
    got = _files(plan, plan.inputs.evaluate("spd"))
    tested = ["fgsm/0.1", "fgsm/0.3", "bim/0.2", "deepfool/none", "stadv/300.0"]
    tested += ["bim_jsd/0.2", "bim_id/0.2"]  # every static attack on net, not fgsm2 (net2)
    assert got == {
        "data": "data/splits.pt",
        "sal_clean": "saliency/msal/clean.pt",  # spd reads msal's maps, not f
        "fit": [
            "detectors/spd/fgsm/0.3/model.pt",
            "detectors/spd/deepfool/none/model.pt",
            "detectors/spd/all/none/model.pt",
        ],
        "adv": [f"attacks/{t}/test.pt" for t in tested],
        "sal": [f"saliency/msal/{t}.pt" for t in tested],
    }
    keys = plan.inputs.evaluate("spd").keys
    assert keys["fit"] == [["fgsm", "0.3"], ["deepfool", "none"], ["all", "none"]]
    assert keys["adv"] == keys["sal"] == [t.split("/") for t in tested]


def test_a_detector_on_the_second_classifier_reads_its_own_attacks(plan):
    got = _files(plan, plan.inputs.evaluate("metzen"))
    assert got == {
        "data": "data/splits.pt",
        "classifier": "classifiers/net2/model.pt",  # metzen attaches to f: it reads it
        "fit": ["detectors/metzen/fgsm2/0.3/model.pt"],
        "adv": ["attacks/fgsm2/0.3/test.pt"],
    }


def test_the_combined_fit_trains_on_every_source_and_a_clean_fit_on_none(plan):
    got = _files(plan, plan.inputs.train_detector("spd", "all", "none"))
    assert got == {
        "data": "data/splits.pt",
        "sal_clean": "saliency/msal/clean.pt",
        "adv_train": ["attacks/fgsm/0.3/train.pt", "attacks/deepfool/none/train.pt"],
        "adv_val": ["attacks/fgsm/0.3/val.pt", "attacks/deepfool/none/val.pt"],
        "sal_adv": ["saliency/msal/fgsm/0.3.pt", "saliency/msal/deepfool/none.pt"],
    }
    assert _files(plan, plan.inputs.train_detector("contrast", "clean", "none")) == {
        "data": "data/splits.pt",
        "classifier": "classifiers/net/model.pt",
        "sal_clean": "saliency/lan/clean.pt",
    }


def test_an_attack_against_a_detector_reads_the_fit_at_its_own_eps(plan):
    assert _files(plan, plan.inputs.attack("bim_jsd", "0.2")) == {
        "data": "data/splits.pt",
        "classifier": "classifiers/net/model.pt",
        "detector": "detectors/jsd/bim/0.2/model.pt",  # against_fit: the first plain bim
    }
    assert _files(plan, plan.inputs.attack("fgsm", "0.1")) == {
        "data": "data/splits.pt",
        "classifier": "classifiers/net/model.pt",
    }


def test_whitebox_jobs_read_the_seeded_fit_of_against_fit_and_the_trained_saliency(plan):
    # wb: against spd, against_fit {fgsm: 0.3} at eps 1.0; seed index 1 refits spd
    retrain = _files(plan, plan.inputs.retrain("wb", "1.0", "spd", 1))
    assert retrain == {
        "data": "data/splits.pt",
        "classifier": "classifiers/net/model.pt",
        "detector": "detectors/spd/fgsm/0.3/seed1/model.pt",
        "saliency_state": "saliency/msal/model.pt",
    }
    static = _files(plan, plan.inputs.versus("wb", "1.0", "spd", 1, "static"))
    assert static == retrain
    retrained = _files(plan, plan.inputs.versus("wb", "1.0", "spd", 1, "retrained"))
    assert retrained == {**retrain, "detector": "retraining/wb/1.0/spd/seed1/retrained_detector.pt"}
    assert plan.whitebox == [("wb", "1.0", "spd", 0), ("wb", "1.0", "spd", 1)]


def test_the_dynamic_adversary_meets_each_listed_detector_fitted_to_against_fit(plan):
    assert plan.dynamic == [
        ("dyn", "0.2", "jsd", 0),
        ("dyn", "0.2", "id", 0),
        ("dyn2", "0.3", "metzen", 0),
    ]
    assert _files(plan, plan.inputs.versus("dyn2", "0.3", "metzen", 0, "static")) == {
        "data": "data/splits.pt",
        "classifier": "classifiers/net2/model.pt",
        "detector": "detectors/metzen/fgsm2/0.3/model.pt",  # against_fit: fgsm2 at 0.3
    }
    seed0 = plan.inputs.retrain("dyn", "0.2", "jsd", 0).files["detector"]
    assert seed0.endswith("detectors/jsd/bim/0.2/model.pt")  # seed index 0: the static fit


def test_paired_detector_reads_its_one_clean_fit_and_each_paired_attack(plan):
    assert _files(plan, plan.inputs.paired("contrast")) == {
        "data": "data/splits.pt",
        "classifier": "classifiers/net/model.pt",
        "detector": "detectors/contrast/clean/none/model.pt",
        "sal_clean": "saliency/lan/clean.pt",
        "adv": [
            "attacks/fgsm/0.3/test.pt",
            "attacks/deepfool/none/test.pt",
            "attacks/fgsm2/0.3/test.pt",  # crafted on net2: the transferred setting
        ],
        "sal": [
            "saliency/lan/fgsm/0.3.pt",
            "saliency/lan/deepfool/none.pt",
            "saliency/lan/fgsm2/0.3.pt",
        ],
    }


def test_studies_read_the_plain_attacks_of_their_classifier(plan):
    depth = _files(plan, plan.inputs.depth("metzen"))
    assert depth["classifier"] == "classifiers/net2/model.pt"
    assert depth["summary"] == "attacks/summary.csv"
    assert depth["chosen"] == "tables/chosen_eps.csv"  # decided once, by rule attack_summary
    assert depth["adv_test"] == ["attacks/fgsm2/0.3/test.pt"]
    layer = _files(plan, plan.inputs.layer_study())
    assert layer["chosen"] == "tables/chosen_eps.csv"
    assert layer["adv"] == [f"attacks/{a}/{e}/test.pt" for a, e in plan.grid_of("net")]
    assert _files(plan, plan.inputs.saliency("msal", "bim", "0.2")) == {
        "data": "data/splits.pt",
        "classifier": "classifiers/net/model.pt",
        "saliency_state": "saliency/msal/model.pt",
        **{f"adv_{s}": f"attacks/bim/0.2/{s}.pt" for s in ("train", "val", "test")},
    }


def test_which_instances_have_which_outputs(plan):
    assert plan.depth_detectors == ["metzen"]
    assert plan.paired_detectors == ["contrast"]
    assert plan.explicit_fits == ["spd"]
    assert plan.eps_matrix_detectors == ["jsd", "id"]  # fgsm at two budgets on net
    assert plan.shift_saliencies == ["grad", "grad2", "msal", "lan"]
    assert plan.nets == ["plain", "certified"]
    targets = [t.removeprefix(plan.paths.root + "/") for t in plan.final_targets()]
    assert "figures/eps_matrix_jsd.png" in targets and "figures/eps_matrix_jsd2.png" not in targets
    assert "tables/whitebox.csv" in targets and "tables/depth_sweep_metzen.csv" in targets
    assert len(targets) == len(set(targets))


@pytest.mark.parametrize(
    ("papers", "shift"),
    [
        (["saliency2020_mnist"], True),  # its Tables 1 and 5 are the shift tables
        (None, True),  # no paper compared: every table is the result
        (["metzen2017"], False),  # no compared item reads them
        (["zhang2018_mnist", "nguyen2018"], False),
    ],
)
def test_maps_of_every_attack_only_where_a_compared_paper_reads_the_shift_tables(papers, shift):
    config = copy.deepcopy(TINY)
    config["evaluation"]["paper"] = papers
    plan = Plan(config)
    targets = [t.removeprefix(plan.paths.root + "/") for t in plan.final_targets()]
    shift_tables = [t for t in targets if t.startswith("tables/saliency_")]
    assert bool(shift_tables) == shift
    assert plan.examples_saliencies == ["grad", "grad2", "msal", "lan"]  # every run draws them
    assert "figures/examples_msal.png" in targets
    # the examples figure maps its few images itself: it reads adversarials, never maps
    examples = _files(plan, plan.inputs.examples("msal"))
    assert examples["saliency_state"] == "saliency/msal/model.pt"
    assert examples["adv"] == [f"attacks/{a}/{e}/test.pt" for a, e in plan.grid_of("net")]
    assert not any(k.startswith("sal") and k != "saliency_state" for k in examples)


def test_adding_an_eps_or_a_detector_leaves_every_existing_job_as_it_was(plan):
    grown = copy.deepcopy(TINY)
    grown["attacks"]["fgsm"]["eps"].append(0.2)
    grown["detectors"]["id2"] = {"type": "id"}
    more = Plan(resolve([], grown, default=ROOT / "config" / "tiny.yaml"))
    assert set(more.grid) - set(plan.grid) == {("fgsm", "0.2")}
    for a in plan.attacks:  # the settings each attack job declares
        assert more.attack_settings(a) == plan.attack_settings(a)
    for d in plan.detectors:
        assert more.detector_settings(d) == plan.detector_settings(d)
        for a, e in plan.fits_of(d):  # a fit reads the same files
            assert more.inputs.train_detector(d, a, e).files == (
                plan.inputs.train_detector(d, a, e).files
            )
    assert ("fgsm", "0.2") in more.fits_of("jsd") and ("fgsm", "0.2") not in more.fits_of("spd")


def test_named_inputs_zip_strictly_against_the_plans_list(plan):
    named = plan.inputs.evaluate("spd")
    decoded = named_inputs(named.files, named.keys)
    assert decoded["fit"][("all", "none")].endswith("detectors/spd/all/none/model.pt")
    assert list(decoded["adv"]) == [tuple(k) for k in named.keys["adv"]]
    with pytest.raises(ValueError):
        named_inputs({"adv": named.files["adv"][:-1]}, {"adv": named.keys["adv"]})


def test_the_plan_answers_what_the_rules_params_ask(plan):
    # a contrastive detector's paired attacks: the classifier each was crafted on (fgsm2 on
    # net2: the transferred setting) and its type
    assert plan.of_paired("contrast", "classifier") == {
        "fgsm": "net",
        "deepfool": "net",
        "fgsm2": "net2",
    }
    assert plan.of_paired("contrast", "type") == {
        "fgsm": "fgsm",
        "deepfool": "deepfool",
        "fgsm2": "fgsm",
    }
    # a saliency instance's training images: its own train_limit (null: all), else the attacks'
    assert plan.saliency_train_limit("lan") is None
    assert plan.saliency_train_limit("grad2") == TINY["attack_options"]["train_limit"] == 150
    assert (
        "paper" not in plan.evaluation
        and plan.evaluation["accuracy_threshold"] == (TINY["evaluation"]["accuracy_threshold"])
    )


def test_each_catalogued_output_is_made_by_the_rule_it_names(plan):
    # a dry run of the tiny DAG (bench/job_list.py): which rule writes each file
    made_by = {}
    for line in job_lines(["--configfile", str(ROOT / "config" / "tiny.yaml")]):
        rule, _, out, _ = line.split(" | ")
        for path in out.removeprefix("out: ").split(", "):
            made_by[path] = rule
    planned = [(out.rule, f) for out in OUTPUTS for f in out.files(plan)]
    assert len(planned) == len(plan.final_targets()) > 40
    assert [(made_by.get(f), f) for _, f in planned] == planned


def test_the_comparison_reads_what_the_catalogue_plans_by_its_names(plan):
    files = plan.inputs.paper("reference.yaml").files
    targets = set(plan.final_targets())
    assert files.pop("reference") == "reference.yaml"
    assert {"paired", "depth_sweep", "whitebox", "adaptive", "certified"} <= set(files)
    for name, value in files.items():  # each a planned table, a list for a table per instance
        assert set(value if isinstance(value, list) else [value]) <= targets, name
    assert files["paired"] == [plan.paths.table("paired_contrast")]
    # a run without retraining attacks, paired detectors, nets or a depth sweep names none
    zhang = Plan(resolve([ROOT / "config" / "zhang2018_mnist5k.yaml"]))
    names = set(zhang.inputs.paper("reference.yaml").files)
    assert not names & {"paired", "depth_sweep", "whitebox", "adaptive", "certified"}
    assert {"table1", "eps_matrix", "attack_summary", "layer_study"} <= names
    assert not any("whitebox" in t or "certified" in t for t in zhang.final_targets())
