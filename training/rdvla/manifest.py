"""manifest.json of an exported model directory (camelCase, read by the TypeScript runtime)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from .graphs import OPSET
from .inference import InferenceSettings
from .presets import IMAGE_MEAN, IMAGE_STD, JOINT_NAMES, Preset
from .tokenizer import PAD_ID

FORMAT = "rdvla-onnx"
FORMAT_VERSION = 1


def identity_normalization(proprio_size: int, action_size: int) -> dict:
    """Statistics that leave values unchanged: the default for untrained weights."""
    return {
        "state": {"mean": [0.0] * proprio_size, "std": [1.0] * proprio_size},
        "action": {"mean": [0.0] * action_size, "std": [1.0] * action_size},
    }


def load_normalization(path: Path, proprio_size: int, action_size: int) -> dict:
    """Read {"state": {"mean", "std"}, "action": {"mean", "std"}} and check the sizes."""
    stats = json.loads(Path(path).read_text(encoding="utf-8"))
    for key, size in (("state", proprio_size), ("action", action_size)):
        for field in ("mean", "std"):
            values = stats.get(key, {}).get(field)
            if not isinstance(values, list) or len(values) != size:
                raise ValueError(f"{path}: {key}.{field} must be a list of {size} numbers")
        if any(value <= 0 for value in stats[key]["std"]):
            raise ValueError(f"{path}: {key}.std must be positive")
    return {key: {field: [float(v) for v in stats[key][field]] for field in ("mean", "std")} for key in ("state", "action")}


def build_manifest(
    name: str,
    preset: Preset,
    normalization: dict,
    settings: InferenceSettings,
    source: dict,
    has_backbone: bool,
) -> dict:
    head = preset.head
    if head.action_size != len(JOINT_NAMES):
        raise ValueError(f"jointNames has {len(JOINT_NAMES)} names but the action size is {head.action_size}")
    return {
        "format": FORMAT,
        "formatVersion": FORMAT_VERSION,
        "name": name,
        "opset": OPSET,
        "cameras": list(preset.cameras),
        "image": {"height": preset.image_size, "width": preset.image_size, "mean": IMAGE_MEAN, "std": IMAGE_STD},
        "tokenizer": "tokenizer.json",
        "maxTaskTokens": preset.max_task_tokens,
        "padTokenId": PAD_ID,
        "proprioSize": head.proprio_size,
        "actionSize": head.action_size,
        "chunkSize": head.chunk_size,
        "hiddenSize": head.hidden_size,
        "backboneHiddenSize": head.backbone_hidden_size,
        "heads": head.heads,
        "coreLayers": head.core_layers,
        "latentTokens": head.latent_tokens,
        "contextTokens": head.context_tokens,
        "jointNames": list(JOINT_NAMES),
        "normalization": normalization,
        "scratchpadInitScale": head.scratchpad_init_scale,
        "inference": settings.to_manifest(),
        "graphs": {
            "backbone": "backbone.onnx" if has_backbone else None,
            "prelude": "prelude.onnx",
            "core": "core.onnx",
            "coda": "coda.onnx",
        },
        "source": source,
    }


def read_manifest(model_dir: Path) -> dict:
    path = Path(model_dir) / "manifest.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: export a model with `python3 -m rdvla.export --out {model_dir}`")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("formatVersion") != FORMAT_VERSION:
        raise ValueError(f"{path}: expected format {FORMAT} version {FORMAT_VERSION}")
    return manifest


def write_json(path: Path, document: dict, indent: Optional[int] = 2) -> None:
    Path(path).write_text(json.dumps(document, indent=indent) + "\n", encoding="utf-8")
