import json

import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto

from rdvla.checkpoint import check_against_onnx
from rdvla.export import main as export_main
from rdvla.policy import TorchPolicy
from rdvla.presets import get_preset
from rdvla.tokenizer import WordLevelTokenizer


def contract_shapes(manifest: dict) -> dict:
    """Input and output shapes per graph, written out from the ONNX contract."""
    C, H, W, T = len(manifest["cameras"]), manifest["image"]["height"], manifest["image"]["width"], manifest["maxTaskTokens"]
    Nc, L, Db = manifest["contextTokens"], manifest["latentTokens"], manifest["backboneHiddenSize"]
    K, D, A, P = manifest["chunkSize"], manifest["hiddenSize"], manifest["actionSize"], manifest["proprioSize"]
    Lc, nh = manifest["coreLayers"], manifest["heads"]
    hd = D // nh
    features = {"mid_context": [1, Nc, Db], "mid_latent": [1, L, Db], "last_context": [1, Nc, Db], "last_latent": [1, L, Db]}
    kv = {
        "core_kv_latent": [Lc, 2, nh, L + 1, hd],
        "core_kv_context": [Lc, 2, nh, Nc, hd],
        "coda_kv_latent": [1, 2, nh, L + 1, hd],
        "coda_kv_context": [1, 2, nh, Nc, hd],
    }
    return {
        "backbone": ({"images": [1, C, 3, H, W], "input_ids": [1, T], "attention_mask": [1, T]}, features),
        "prelude": ({**features, "proprio": [1, P]}, {"s_pre": [1, K, D], **kv}),
        "core": (
            {"s_prev": [1, K, D], "s_pre": [1, K, D], "core_kv_latent": kv["core_kv_latent"], "core_kv_context": kv["core_kv_context"]},
            {"s_next": [1, K, D]},
        ),
        "coda": (
            {"s": [1, K, D], "coda_kv_latent": kv["coda_kv_latent"], "coda_kv_context": kv["coda_kv_context"]},
            {"actions": [1, K, A]},
        ),
    }


def value_info(values) -> dict:
    return {
        value.name: ([dim.dim_value for dim in value.type.tensor_type.shape.dim], value.type.tensor_type.elem_type)
        for value in values
    }


def test_graphs_match_contract(tiny_model_dir):
    manifest = json.loads((tiny_model_dir / "manifest.json").read_text())
    int64_inputs = {"input_ids", "attention_mask"}
    for graph, (inputs, outputs) in contract_shapes(manifest).items():
        model = onnx.load(str(tiny_model_dir / manifest["graphs"][graph]))
        onnx.checker.check_model(model)
        assert model.opset_import[0].version == 17
        assert value_info(model.graph.input) == {
            name: (shape, TensorProto.INT64 if name in int64_inputs else TensorProto.FLOAT) for name, shape in inputs.items()
        }, graph
        assert [value.name for value in model.graph.input] == list(inputs), graph
        assert value_info(model.graph.output) == {name: (shape, TensorProto.FLOAT) for name, shape in outputs.items()}, graph
        assert [value.name for value in model.graph.output] == list(outputs), graph


def test_manifest_fields(tiny_model_dir):
    manifest = json.loads((tiny_model_dir / "manifest.json").read_text())
    preset = get_preset("tiny")
    assert manifest["format"] == "rdvla-onnx"
    assert manifest["formatVersion"] == 1
    assert manifest["cameras"] == ["cam_high", "cam_left_wrist", "cam_right_wrist"]
    assert manifest["chunkSize"] == preset.head.chunk_size == 25
    assert manifest["actionSize"] == manifest["proprioSize"] == 14
    assert len(manifest["jointNames"]) == 14
    assert manifest["contextTokens"] == preset.backbone.context_tokens
    assert manifest["normalization"]["action"] == {"mean": [0.0] * 14, "std": [1.0] * 14}
    assert manifest["inference"]["binary"] == {"threshold": 4, "short": 4, "long": 8, "direction": "hard-replans-sooner"}
    assert manifest["source"] == {"preset": "tiny", "seed": 3, "trained": False}
    tokenizer = WordLevelTokenizer.from_file(tiny_model_dir / manifest["tokenizer"])
    assert tokenizer.vocab_size == preset.backbone.vocab_size


def test_policy_weights_match_onnx(tiny_model_dir):
    policy = TorchPolicy.from_model_dir(tiny_model_dir)
    with torch.no_grad():
        policy.head.action_out.bias.add_(1.0)
    with pytest.raises(ValueError, match="action_out.bias differs"):
        check_against_onnx(policy.head, "head", tiny_model_dir / "coda.onnx")


def test_head_only_export(tmp_path):
    export_main(["--preset", "tiny", "--random-weights", "--head-only", "--out", str(tmp_path)])
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["graphs"]["backbone"] is None
    assert not (tmp_path / "backbone.onnx").exists()
    assert sorted(path.name for path in tmp_path.glob("*.onnx")) == ["coda.onnx", "core.onnx", "prelude.onnx"]


def test_checkpoint_export_round_trip(tmp_path):
    random_dir, trained_dir = tmp_path / "random", tmp_path / "from-checkpoint"
    checkpoint = tmp_path / "weights.pt"
    export_main(["--preset", "tiny", "--random-weights", "--seed", "4", "--out", str(random_dir), "--save-checkpoint", str(checkpoint)])
    export_main(["--checkpoint", str(checkpoint), "--out", str(trained_dir)])
    policy = TorchPolicy.from_model_dir(trained_dir, checkpoint=checkpoint)
    assert policy.manifest["source"] == {"preset": "tiny", "checkpoint": "weights.pt", "trained": True}
    with pytest.raises(ValueError, match="no seed"):
        TorchPolicy.from_model_dir(trained_dir)


def test_paper_preset_needs_head_only(tmp_path):
    with pytest.raises(SystemExit, match="--head-only"):
        export_main(["--preset", "paper", "--random-weights", "--out", str(tmp_path)])


def test_norm_stats_are_checked(tmp_path):
    stats = tmp_path / "stats.json"
    stats.write_text(json.dumps({"state": {"mean": [0.0] * 14, "std": [1.0] * 14}, "action": {"mean": [0.0] * 3, "std": [1.0] * 3}}))
    with pytest.raises(ValueError, match="action.mean must be a list of 14 numbers"):
        export_main(["--preset", "tiny", "--random-weights", "--head-only", "--norm-stats", str(stats), "--out", str(tmp_path / "m")])


def test_preprocess_images_layout(tiny_model_dir):
    policy = TorchPolicy.from_model_dir(tiny_model_dir)
    size = policy.manifest["image"]["height"]
    frame = np.zeros((size, size, 3), dtype=np.uint8)
    frame[0, 1] = [255, 0, 51]
    images = {camera: frame for camera in policy.manifest["cameras"]}
    tensor = policy.preprocess_images(images)
    assert tensor.shape == (1, 3, 3, size, size)
    mean, std = policy.manifest["image"]["mean"], policy.manifest["image"]["std"]
    assert tensor[0, 0, 0, 0, 1].item() == pytest.approx((1.0 - mean[0]) / std[0], rel=1e-6)
    assert tensor[0, 0, 2, 0, 1].item() == pytest.approx((0.2 - mean[2]) / std[2], rel=1e-6)
