"""Where every file of a run lives, under ``<results>/<run>/``: the one place a path is spelt.

Each method takes names or Snakemake wildcard patterns alike: ``paths.detector("jsd", "bim",
"0.1")`` is a file, ``paths.detector("{detector}", "{attack}", "{eps}")`` a rule's output.
"""

from __future__ import annotations

from dataclasses import dataclass

SPLITS = ("train", "val", "test")
SHIFT_TABLES = ("shift", "pairs")  # per saliency instance: the 2020 paper's Tables 1 and 5
VERSIONS = ("static", "retrained")  # a retraining attack meets the static or the retrained detector


@dataclass(frozen=True)
class Paths:
    root: str  # <results>/<run>
    figure_format: str = "png"

    @property
    def data(self) -> str:
        return f"{self.root}/data/splits.pt"

    def classifier(self, classifier: str, what: str = "model.pt") -> str:
        return f"{self.root}/classifiers/{classifier}/{what}"

    def adv(self, attack: str, eps: str, split: str, what: str = "pt") -> str:
        """Adversarials of one split (``what="json"``: their statistics)."""
        return f"{self.root}/attacks/{attack}/{eps}/{split}.{what}"

    @property
    def attack_summary(self) -> str:
        return f"{self.root}/attacks/summary.csv"

    def saliency_state(self, saliency: str, what: str = "model.pt") -> str:
        return f"{self.root}/saliency/{saliency}/{what}"

    def saliency(self, saliency: str, attack: str | None = None, eps: str | None = None) -> str:
        """Maps of the clean splits, or of one (attack, eps)'s adversarials."""
        if attack is None:
            return f"{self.root}/saliency/{saliency}/clean.pt"
        return f"{self.root}/saliency/{saliency}/{attack}/{eps}.pt"

    def detector(self, detector: str, attack: str, eps: str, seed=0, what="model.pt") -> str:
        """A fitted detector; seed index k > 0 (or a ``{seed}`` pattern): refitted with the
        run's seed + k."""
        base = f"{self.root}/detectors/{detector}/{attack}/{eps}"
        if str(seed).startswith("{") or int(seed):
            return f"{base}/seed{seed}/{what}"
        return f"{base}/{what}"

    def retrained(self, attack: str, eps: str, detector: str, seed, what: str) -> str:
        """What one retraining attack against one detector and seed writes: the retrained
        detector (``retrained_detector.pt``), its history, and a table per detector version."""
        return f"{self.root}/retraining/{attack}/{eps}/{detector}/seed{seed}/{what}"

    def versus(self, attack: str, eps: str, detector: str, seed, version: str) -> str:
        """The attack's rows against the static or the ``retrained`` detector."""
        return self.retrained(attack, eps, detector, seed, f"{version}.csv")

    def eval_cells(self, detector: str) -> str:
        return f"{self.root}/eval/{detector}.csv"

    def table(self, name: str) -> str:
        return f"{self.root}/tables/{name}.csv"

    def figure(self, name: str) -> str:
        return f"{self.root}/figures/{name}.{self.figure_format}"

    @property
    def layer_maps(self) -> str:
        return f"{self.root}/layers/maps.pt"

    def net(self, model: str, what: str = "model.pt") -> str:
        """Nguyen's plain or certified two-layer net and what is measured on it."""
        return f"{self.root}/certified/{model}/{what}"

    @property
    def comparison(self) -> str:
        return f"{self.root}/paper_comparison"
