"""The train_saliency -> saliency path for a method that is itself trained."""

from __future__ import annotations

import torch

from advsal.io import load_tensors
from advsal.models import build, save_model
from advsal.saliency import SALIENCY, SaliencyMethod
from advsal.stages.common import Job
from advsal.stages.data import make_data
from advsal.stages.saliency import make_saliency, train_saliency


@SALIENCY.register("_test_template")
class Template(SaliencyMethod):
    """Learns the mean training image and scales each input by it (a tiny trained method)."""

    trainable = True

    def __init__(self, model, scale: float = 1.0):
        super().__init__(model, scale=scale)
        self.scale, self.template = scale, None

    def fit(self, x, y, x_val, y_val, device="cpu", seed=0, **training):
        self.template = x.mean(0) * self.scale
        return [{"epoch": 1, "val": float(x_val.mean())}]

    def state(self):
        return {"template": self.template}

    def load_state(self, state):
        self.template = state["template"]

    def attribute(self, inputs, target=None, create_graph=False):
        return inputs * self.template.to(inputs.device)


def test_a_trained_method_is_fitted_once_and_restored_by_the_saliency_rule(tmp_path):
    ds = {"name": "mnist5k", "split": {"train": 60, "val": 20, "test": 20}}
    make_data(ds, 0, tmp_path / "splits.pt")
    save_model(tmp_path / "f.pt", build("mnist_net", (1, 28, 28)), "mnist_net", (1, 28, 28), {})
    settings = {"method": "_test_template", "params": {"scale": 2.0}, "batch_size": 16}
    settings["training"] = {"limit": 40}
    rt = {"seed": 0, "device": "cpu"}
    data, model = tmp_path / "splits.pt", tmp_path / "f.pt"
    train_saliency("tpl", settings, data, model, tmp_path / "state.pt", **rt)
    state = load_tensors(tmp_path / "state.pt", expect=("state",))["state"]
    files = {"data": data, "classifier": model, "saliency_state": tmp_path / "state.pt"}
    make_saliency(Job("tpl", settings, **rt, files=files), tmp_path / "clean.pt")
    maps = load_tensors(tmp_path / "clean.pt", expect=("test",))
    splits = load_tensors(data)
    x_test = splits["x_test"].float() / 255
    torch.testing.assert_close(maps["test"], x_test * state["template"])
    # the template was fitted on the first 40 training images only (training.limit)
    torch.testing.assert_close(
        state["template"], 2.0 * splits["x_train"][:40].float().div(255).mean(0)
    )
