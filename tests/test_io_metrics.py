from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from advsal import io
from advsal.metrics import choose_eps, detection_metrics
from advsal.models import build, features_at, load_model, save_model


def test_atomic_write_leaves_nothing_behind_on_failure(tmp_path):
    target = tmp_path / "out" / "x.pt"
    with pytest.raises(RuntimeError), io.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert not target.exists() and list(target.parent.iterdir()) == []


def test_model_roundtrip_and_truncated_checkpoint(tmp_path):
    torch.manual_seed(0)
    m = build("mnist_net", (1, 28, 28))
    save_model(tmp_path / "m.pt", m, "mnist_net", (1, 28, 28), {})
    again, meta = load_model(tmp_path / "m.pt")
    x = torch.rand(3, 1, 28, 28)
    torch.testing.assert_close(again(x), m.eval()(x))
    blob = (tmp_path / "m.pt").read_bytes()
    (tmp_path / "cut.pt").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(io.CheckpointError, match="cut.pt: corrupted"):
        load_model(tmp_path / "cut.pt")


def test_alexnet_cifar_has_the_cuda_convnet_layout():
    m = build("alexnet_cifar", (3, 32, 32))
    assert m(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    assert features_at(m, "pool2")(torch.zeros(2, 3, 32, 32)).shape == (2, 64, 8, 8)
    widths = [p.shape[0] for n, p in m.named_parameters() if n.endswith("weight")]
    assert widths == [64, 64, 384, 192, 10]
    # 5x5x3x64 + 5x5x64x64 + 4096x384 + 384x192 + 192x10 weights and their biases
    assert sum(p.numel() for p in m.parameters()) == 1_756_426


def test_features_at_named_layer():
    m = build("mnist_net", (1, 28, 28))
    assert features_at(m, "relu2")(torch.zeros(2, 1, 28, 28)).shape == (2, 128, 5, 5)
    with pytest.raises(KeyError, match="conv1"):
        features_at(m, "nope")


def test_detection_metrics_by_hand():
    clean = np.array([-2.0, -1.0, 0.5, -3.0])  # one false positive
    adv = np.array([1.0, 2.0, -0.5, 3.0])  # one miss
    m = detection_metrics(clean, adv)
    assert m["accuracy"] == 0.75 and m["tpr"] == 0.75 and m["fpr"] == 0.25
    # AUC: P(adv score > clean score) over the 16 pairs
    pairs = [(a > c) for a in adv for c in clean]
    assert m["auc"] == pytest.approx(sum(pairs) / 16)


def test_choose_eps_takes_the_smallest_eps_below_threshold():
    rows = [("fgsm", e, acc) for e, acc in [("0.3", 0.1), ("0.1", 0.8), ("0.2", 0.25)]]
    rows += [("weak", e, acc) for e, acc in [("2", 0.7), ("10", 0.6)]]  # numeric, not text order
    rows += [("cw", "none", 0.05)]
    df = pd.DataFrame(rows, columns=["attack", "eps", "accuracy_adv"]).assign(split="val")
    ch = choose_eps(df, 0.3).set_index("attack")
    assert ch.loc["fgsm", "eps"] == "0.2" and bool(ch.loc["fgsm", "threshold_met"])
    assert ch.loc["weak", "eps"] == "10" and not bool(ch.loc["weak", "threshold_met"])
    assert ch.loc["cw", "eps"] == "none" and bool(ch.loc["cw", "threshold_met"])


def test_outputs_get_ordinary_permissions_and_checkpoints_are_byte_identical(tmp_path):
    obj = {"w": torch.arange(6.0).view(2, 3), "name": "x"}
    io.save_tensors(tmp_path / "a.pt", obj)
    io.save_tensors(tmp_path / "sub" / "other_name.pt", obj)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "sub" / "other_name.pt").read_bytes()
    io.write_json(tmp_path / "m.json", {"a": 1})
    for f in ("a.pt", "m.json"):
        assert (tmp_path / f).stat().st_mode & 0o777 == io.FILE_MODE != 0o600


class _Payload:
    def __reduce__(self):
        return (print, ("this ran",))


def test_unsafe_checkpoint_is_refused_as_unsafe_not_corrupted(tmp_path):
    torch.save({"state_dict": {}, "x": _Payload()}, tmp_path / "evil.pt")
    with pytest.raises(io.CheckpointError) as err:
        load_model(tmp_path / "evil.pt")
    msg = str(err.value)
    assert "unsafe checkpoint refused" in msg and "(print)" in msg
    assert "corrupted" not in msg and "weights_only" not in msg and "\n" not in msg


def test_rows_are_written_as_pandas_writes_their_frame(tmp_path):
    rows = [
        {"epoch": 1, "train_acc": 0.5, "val_acc": 1 / 3, "note": None},
        {"epoch": 2, "train_acc": 0.75, "val_acc": 0.1 + 0.2, "extra": True},
    ]
    io.write_csv(tmp_path / "rows.csv", rows)
    io.write_csv(tmp_path / "frame.csv", pd.DataFrame(rows))
    assert (tmp_path / "rows.csv").read_text() == (tmp_path / "frame.csv").read_text()
    back = pd.read_csv(tmp_path / "rows.csv")
    assert list(back.columns) == ["epoch", "train_acc", "val_acc", "note", "extra"]
    assert back["val_acc"].tolist() == [1 / 3, 0.1 + 0.2]
