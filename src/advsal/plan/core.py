"""What a run plans, decided once from its validated config: the instances, the attack grids,
what each detector is fitted to and which fit each job reads, the settings each job declares,
and the run's final targets. The ``.smk`` files ask a :class:`Plan`; no stage imports it.
"""

from __future__ import annotations

from functools import cached_property

from advsal.paper.reference import REFERENCE, paper_keys, tables_read
from advsal.plan.inputs import Inputs
from advsal.plan.instances import against_fit, complete, retraining_grid, static_grid
from advsal.plan.outputs import TABLES, final_targets
from advsal.plan.paths import SHIFT_TABLES, SPLITS, VERSIONS, Paths
from advsal.tokens import eps_token

CERT_SETTINGS = ("side", "hidden", "epochs", "lr", "batch_size", "eps", "weight")


def run_name(config: dict) -> str:
    return config.get("run") or config["dataset"]["name"]


class Plan:
    """The plan of one run. ``config`` is the validated config (schema defaults filled); it is
    read, never written: the completed instances are :attr:`done`, a copy."""

    splits = SPLITS
    versions = VERSIONS
    tables = TABLES

    def __init__(self, config: dict, reference=REFERENCE):
        self.config = config
        self.reference = reference  # the paper reference file (which tables the papers read)
        self.done = complete(config)
        self.run = run_name(config)
        self.paths = Paths(f"{config['results']}/{self.run}", config["plots"]["format"])
        self.classifiers = list(self.done["classifiers"])
        self.attacks = list(self.done["attacks"])
        self.saliencies = list(self.done["saliency"])
        self.detectors = list(self.done["detectors"])
        self.grid = static_grid(self.done)  # [(attack, eps token)] of the static attacks
        # [(attack, eps, detector, seed index)] of the retraining attacks: Metzen's dynamic
        # adversary (with a sigma grid) and the 2020 paper's white-box attack (without)
        self.dynamic = retraining_grid(self.done, sigma=True)
        self.whitebox = retraining_grid(self.done, sigma=False)
        self.certified = self.done["certified"] or {}
        self.nets = ["plain", "certified"] if self.certified else []
        self.papers = paper_keys(config)
        self.inputs = Inputs(self)

    # -- instances ----------------------------------------------------------------------------
    def classifier_of(self, section: str, name: str) -> str:
        return self.done[section][name]["classifier"]

    def grid_of(self, classifier: str) -> list[tuple[str, str]]:
        """The static (attack, eps) pairs on one classifier."""
        return [(a, e) for a, e in self.grid if self.classifier_of("attacks", a) == classifier]

    def fits_of(self, detector: str) -> list[tuple[str, str]]:
        """The (attack, eps) pairs a detector instance is fitted to (from its fit_on)."""
        return [tuple(p) for p in self.done["detectors"][detector]["fitted_to"]]

    def against_fit(self, attack: str, eps: str) -> tuple[str, str]:
        """The (attack, eps) fit of the detector an attack ``against`` a detector meets."""
        return against_fit(self.done["attacks"][attack], eps)

    def is_against(self, attack: str) -> bool:
        return "against" in self.done["attacks"][attack]

    def detector_kind(self, detector: str):
        from advsal.detectors import DETECTORS

        return DETECTORS.get(self.done["detectors"][detector]["type"])

    def saliency_of(self, detector: str) -> str | None:
        """The saliency instance a detector reads, or None."""
        return self.done["detectors"][detector].get("saliency")

    def trained_saliency(self, saliency: str) -> bool:
        from advsal.saliency import SALIENCY

        return SALIENCY.get(self.done["saliency"][saliency]["method"]).trainable

    # -- the settings each job declares (its params: a change re-runs exactly its jobs) --------
    def classifier_settings(self, classifier: str) -> dict:
        return self.done["classifiers"][classifier]

    def attack_settings(self, attack: str) -> dict:
        """An attack job's settings without the eps grid (its own eps is its wildcard), so
        adding a budget re-runs nothing that exists."""
        return {k: v for k, v in self.done["attacks"][attack].items() if k != "eps"}

    def saliency_settings(self, saliency: str | None) -> dict | None:
        return self.done["saliency"][saliency] if saliency else None

    def saliency_train_limit(self, saliency: str) -> int | None:
        """The training images a saliency instance maps: its own ``train_limit``, else the
        attacks' (those the detectors are fitted on)."""
        own = self.saliency_settings(saliency)
        return own.get("train_limit", self.config["attack_options"]["train_limit"])

    @cached_property
    def evaluation(self) -> dict:
        """The evaluation settings a table reads (the paper keys are the comparison's)."""
        return {k: v for k, v in self.config["evaluation"].items() if k != "paper"}

    def detector_settings(self, detector: str) -> dict:
        """A detector's training settings without what it is fitted to or which tables it is
        in (adding an attack to fit_on, or leaving the depth sweep out, re-runs no fitted
        detector)."""
        skip = ("fit_on", "fitted_to", "combined", "paired", "depth_sweep")
        return {k: v for k, v in self.done["detectors"][detector].items() if k not in skip}

    def against_settings(self, attack: str) -> dict | None:
        """What an attack ``against`` a detector needs of it: the detector's saliency."""
        det = self.done["attacks"][attack].get("against")
        if det is None:
            return None
        return {"saliency": self.saliency_settings(self.saliency_of(det))}

    def combined_fits(self, detector: str) -> list[tuple[str, str]] | None:
        """The fits a combined detector (fitted to all at once) stands for, or None."""
        return self.fits_of(detector) if self.done["detectors"][detector]["combined"] else None

    @cached_property
    def fitted_to(self) -> dict:
        """Each detector's (attack, eps) fits, for the tables."""
        return {d: self.fits_of(d) for d in self.detectors}

    @cached_property
    def detector_titles(self) -> dict:
        """Each detector's title in figures: its kind's, else its name."""
        return {d: self.detector_kind(d).title or d for d in self.detectors}

    @cached_property
    def certify_settings(self) -> dict:
        """What the SDP certificate of a two-layer net needs of the certified section."""
        keys = ("side", "test_limit", "eps", "tighten_steps", "sdp_limit")
        return {k: self.certified.get(k) for k in keys}

    @cached_property
    def certified_budget(self):
        """stAdv's budget on the two-layer nets (None: no attack section)."""
        return (self.certified.get("attack") or {}).get("eps")

    def net_settings(self, model: str) -> dict:
        """A two-layer net's training; the plain net has no certified term (weight 0)."""
        cert = self.certified
        return {k: cert[k] if k != "weight" or model == "certified" else 0.0 for k in CERT_SETTINGS}

    # -- which instances have which outputs ---------------------------------------------------
    @cached_property
    def depth_detectors(self) -> list[str]:
        """Detectors that attach at a numbered point of a classifier that has them (Metzen
        Fig. 2 right), whose classifier has an attack without ``against``, and that do not
        leave the sweep out (``depth_sweep: false``)."""
        from advsal.models import ATTACHMENT_POINTS

        def sweeps(d):
            clf = self.classifier_of("detectors", d)
            return (
                self.done["detectors"][d].get("depth_sweep", True)
                and self.detector_kind(d).attaches
                and self.done["classifiers"][clf]["arch"] in ATTACHMENT_POINTS
                and any(not self.is_against(a) for a, _ in self.grid_of(clf))
            )

        return [d for d in self.detectors if sweeps(d)]

    @cached_property
    def eps_matrix_detectors(self) -> list[str]:
        """Detectors fitted to at least one attack at several budgets (Zhang Fig. 3)."""

        def several(d):
            attacks = [a for a, _ in self.fits_of(d)]
            return any(attacks.count(a) > 1 for a in attacks)

        return [d for d in self.detectors if several(d)]

    @cached_property
    def explicit_fits(self) -> list[str]:
        """Detectors that name what they are fitted to (model_based_saliency2020 Fig. 2)."""
        return [d for d in self.detectors if "fit_on" in self.done["detectors"][d]]

    @cached_property
    def paired_detectors(self) -> list[str]:
        """Contrastive detectors scored pair by pair (Nguyen 2018 Tables 1-4)."""
        return [d for d in self.detectors if self.done["detectors"][d].get("paired")]

    def paired(self, detector: str) -> list[tuple[str, str]]:
        """The (attack, eps) pairs a contrastive detector is scored on, in config order."""
        return [(a, eps_token(b)) for a, b in self.done["detectors"][detector]["paired"].items()]

    def of_paired(self, detector: str, key: str) -> dict:
        """One setting of each attack a contrastive detector is scored on: its ``classifier``
        (the one it was crafted on; another than the detector's is the transferred setting)
        or its ``type``."""
        return {a: self.done["attacks"][a][key] for a, _ in self.paired(detector)}

    @cached_property
    def examples_saliencies(self) -> list[str]:
        """Saliency instances whose classifier is attacked: Zhang Fig. 1's examples, whose
        few maps the figure computes itself (it plans no saliency job)."""
        return [s for s in self.saliencies if self.grid_of(self.classifier_of("saliency", s))]

    @cached_property
    def shift_saliencies(self) -> list[str]:
        """Saliency instances with the 2020 paper's Tables 1 and 5 (how far each attack moves
        the maps): those of :attr:`examples_saliencies`, where a compared paper reads the
        tables or the run compares with none (then every table is the result). Their maps of
        every attack are made for these tables; elsewhere only a detector's fits read maps."""
        wanted = {f"saliency_{t}" for t in SHIFT_TABLES}
        read = not self.papers or wanted & tables_read(self.papers, self.reference)
        return self.examples_saliencies if read else []

    @property
    def layer_study(self) -> dict | None:
        return self.done.get("layer_study") or None

    def final_targets(self) -> list[str]:
        """Every output the run plans (the catalogue, :mod:`advsal.plan.outputs`)."""
        return final_targets(self)

    def __repr__(self) -> str:
        return (
            f"Plan({self.run!r}: {len(self.grid)} static (attack, eps), "
            f"{len(self.dynamic) + len(self.whitebox)} retraining jobs, "
            f"{len(self.detectors)} detectors)"
        )
