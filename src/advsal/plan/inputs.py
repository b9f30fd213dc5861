"""What each job reads that depends on the instances it runs for, by name: one method per rule
whose inputs follow the config, aggregate rules included (rules with fixed inputs name ``PATHS``
directly), one meaning per input name across rules.

Single files: ``data`` (the splits), ``classifier`` (the classifier f), ``detector`` (a fitted
detector), ``saliency_state`` (a trained saliency method), ``sal_clean`` (clean maps),
``adv_<split>`` in :meth:`Inputs.saliency` (one attack's adversarials), ``summary`` and
``chosen`` (tables); the paper comparison reads ``reference`` and the tables by their names
(``certified.smk`` names Nguyen's two-layer net ``net``). Lists: ``adv`` / ``sal`` (test
adversarials and their maps), ``adv_<split>`` of several attacks, ``sal_adv`` and ``fit``
(fitted detectors), each zipped strictly against ``keys[name]``, the plan's own list of
(attack, eps) pairs, which the rule passes as ``params.lists`` and
:func:`advsal.stages.common.named_inputs` decodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advsal.plan.outputs import compared
from advsal.tokens import CLEAN, COMBINED, NO_EPS

if TYPE_CHECKING:
    from advsal.plan.core import Plan


@dataclass
class Named:
    files: dict = field(default_factory=dict)  # input name -> a path or a list of paths
    keys: dict = field(default_factory=dict)  # list name -> [[attack, eps], ...], its order

    def add(self, name: str, pairs, path_of) -> Named:
        """A list input: ``path_of(attack, eps)`` for each pair (none: no input)."""
        if pairs:
            self.files[name] = [path_of(a, e) for a, e in pairs]
            self.keys[name] = [[a, e] for a, e in pairs]
        return self


class Inputs:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.p = plan.paths

    def _base(self, classifier: str | None = None, **files) -> Named:
        out = Named({"data": self.p.data})
        if classifier is not None:
            out.files["classifier"] = self.p.classifier(classifier)
        out.files.update({k: v for k, v in files.items() if v is not None})
        return out

    def _state(self, saliency: str | None) -> str | None:
        """A trained saliency method's state, which whoever runs it reads."""
        if saliency and self.plan.trained_saliency(saliency):
            return self.p.saliency_state(saliency)
        return None

    # -- classifiers, attacks, saliency ---------------------------------------------------------
    def attack(self, attack: str, eps: str) -> Named:
        """f; an attack ``against`` a detector also reads that detector, fitted to its
        against_fit at this eps, and the detector's trained saliency state."""
        plan = self.plan
        out = self._base(plan.classifier_of("attacks", attack))
        det = plan.done["attacks"][attack].get("against")
        if det is not None:
            out.files["detector"] = self.p.detector(det, *plan.against_fit(attack, eps))
            if state := self._state(plan.saliency_of(det)):
                out.files["saliency_state"] = state
        return out

    def train_saliency(self, saliency: str) -> Named:
        return self._base(self.plan.classifier_of("saliency", saliency))

    def saliency(self, saliency: str, attack: str | None = None, eps: str | None = None) -> Named:
        """Maps of the clean splits, or (attack, eps): of its adversarials of every split."""
        out = self._base(
            self.plan.classifier_of("saliency", saliency), saliency_state=self._state(saliency)
        )
        if attack is not None:
            out.files.update({f"adv_{s}": self.p.adv(attack, eps, s) for s in self.plan.splits})
        return out

    def shift(self, saliency: str) -> Named:
        """f, the clean maps and every static (attack, eps) of f: test adversarials, maps."""
        clf = self.plan.classifier_of("saliency", saliency)
        out = self._base(clf, sal_clean=self.p.saliency(saliency))
        grid = self.plan.grid_of(clf)
        out.add("adv", grid, lambda a, e: self.p.adv(a, e, "test"))
        return out.add("sal", grid, lambda a, e: self.p.saliency(saliency, a, e))

    def examples(self, saliency: str) -> Named:
        """f, the chosen eps, the test adversarials of every static (attack, eps) of f and a
        trained method's state: the figure maps its few images itself."""
        clf = self.plan.classifier_of("saliency", saliency)
        out = self._base(
            clf, chosen=self.p.table("chosen_eps"), saliency_state=self._state(saliency)
        )
        return out.add("adv", self.plan.grid_of(clf), lambda a, e: self.p.adv(a, e, "test"))

    # -- detectors ------------------------------------------------------------------------------
    def _detector_reads(self, detector: str) -> tuple[Named, str | None]:
        """data, and what the detector's kind reads: f, the clean maps."""
        plan = self.plan
        kind = plan.detector_kind(detector)
        sal = plan.saliency_of(detector) if kind.needs_saliency else None
        clf = plan.classifier_of("detectors", detector) if kind.needs_classifier else None
        return self._base(clf, sal_clean=self.p.saliency(sal) if sal else None), sal

    def train_detector(self, detector: str, attack: str, eps: str) -> Named:
        """One (attack, eps) source; all of the detector's fits for the combined fit
        (attack ``all``); none for an attack-agnostic detector (attack ``clean``)."""
        out, sal = self._detector_reads(detector)
        sources = {COMBINED: self.plan.fits_of(detector), CLEAN: []}.get(attack, [(attack, eps)])
        for split in ("train", "val"):
            out.add(f"adv_{split}", sources, lambda a, e, s=split: self.p.adv(a, e, s))
        if sal:
            out.add("sal_adv", sources, lambda a, e: self.p.saliency(sal, a, e))
        return out

    def evaluate(self, detector: str) -> Named:
        """Every fit of the detector (its fit_on, then the combined fit) on every static
        (attack, eps) test set of its classifier."""
        plan = self.plan
        out, sal = self._detector_reads(detector)
        fits = plan.fits_of(detector)
        if plan.done["detectors"][detector]["combined"]:
            fits = [*fits, (COMBINED, NO_EPS)]
        out.add("fit", fits, lambda a, e: self.p.detector(detector, a, e))
        grid = plan.grid_of(plan.classifier_of("detectors", detector))
        out.add("adv", grid, lambda a, e: self.p.adv(a, e, "test"))
        if sal:
            out.add("sal", grid, lambda a, e: self.p.saliency(sal, a, e))
        return out

    def paired(self, detector: str) -> Named:
        """f1, the detector's one fit, its clean maps and, per paired attack, the test
        adversarials and their maps."""
        plan = self.plan
        sal = plan.saliency_of(detector)
        out = self._base(
            plan.classifier_of("detectors", detector),
            detector=self.p.detector(detector, *plan.fits_of(detector)[0]),
            sal_clean=self.p.saliency(sal),
        )
        pairs = plan.paired(detector)
        out.add("adv", pairs, lambda a, e: self.p.adv(a, e, "test"))
        return out.add("sal", pairs, lambda a, e: self.p.saliency(sal, a, e))

    # -- retraining attacks (dynamic adversary, white-box) ----------------------------------------
    def retrain(self, attack: str, eps: str, detector: str, seed) -> Named:
        """Adversarial training of a detector against a retraining attack: f, the static
        detector (fitted to against_fit, with this seed) and the saliency state."""
        plan = self.plan
        static = self.p.detector(detector, *plan.against_fit(attack, eps), seed)
        return self._base(
            plan.classifier_of("attacks", attack),
            detector=static,
            saliency_state=self._state(plan.saliency_of(detector)),
        )

    def versus(self, attack: str, eps: str, detector: str, seed, version: str) -> Named:
        """The attack against the static or the ``retrained`` detector."""
        out = self.retrain(attack, eps, detector, seed)
        if version == "retrained":
            retrained = self.p.retrained(attack, eps, detector, seed, "retrained_detector.pt")
            out.files["detector"] = retrained
        return out

    # -- studies --------------------------------------------------------------------------------
    def depth(self, detector: str) -> Named:
        """f, the attack summary (each attack's type), the chosen eps and every split of every
        static attack without ``against`` on f."""
        plan = self.plan
        clf = plan.classifier_of("detectors", detector)
        out = self._base(clf, summary=self.p.attack_summary, chosen=self.p.table("chosen_eps"))
        plain = [(a, e) for a, e in plan.grid_of(clf) if not plan.is_against(a)]
        for split in plan.splits:
            out.add(f"adv_{split}", plain, lambda a, e, s=split: self.p.adv(a, e, s))
        return out

    def layer_study(self) -> Named:
        """f, the chosen eps and the test adversarials of every static attack on f."""
        clf = self.plan.layer_study["classifier"]
        out = self._base(clf, chosen=self.p.table("chosen_eps"))
        return out.add("adv", self.plan.grid_of(clf), lambda a, e: self.p.adv(a, e, "test"))

    def paper(self, reference: str) -> Named:
        """The reference file and every table a comparison may read (those this run makes:
        the outputs catalogue's, :func:`advsal.plan.outputs.compared`)."""
        return Named({"reference": reference, **compared(self.plan)})

    # -- aggregates: one job over every instance ------------------------------------------------
    def attack_summary(self) -> list[str]:
        """The statistics of every split of every static (attack, eps)."""
        return [self.p.adv(a, e, s, "json") for a, e in self.plan.grid for s in self.plan.splits]

    def tables(self) -> Named:
        """Every detector's evaluation cells, the attack summary and the chosen eps."""
        cells = [self.p.eval_cells(d) for d in self.plan.detectors]
        chosen = self.p.table("chosen_eps")
        return Named({"cells": cells, "summary": self.p.attack_summary, "chosen": chosen})

    def retraining_tables(self, grid: str) -> list[str]:
        """Both versions' rows of every job of a retraining grid (``dynamic`` or ``whitebox``)."""
        jobs = getattr(self.plan, grid)
        return [self.p.versus(*job, v) for job in jobs for v in self.plan.versions]

    def certified_table(self) -> Named:
        """Each two-layer net's metrics, stAdv results and certificates."""
        nets = self.plan.nets
        return Named(
            {
                "metrics": [self.p.net(m, "metrics.json") for m in nets],
                "attacks": [self.p.net(m, "stadv.csv") for m in nets],
                "certificates": [self.p.net(m, "certificates.csv") for m in nets],
            }
        )
