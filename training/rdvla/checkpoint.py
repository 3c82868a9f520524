"""Build, save and load the PyTorch weights behind an exported model directory."""

from __future__ import annotations

import pickle

from dataclasses import asdict
from pathlib import Path
from typing import Dict, Optional, Tuple

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

from .backbone import BackboneConfig, TinyBackbone
from .model import HeadConfig, RDVLAHead
from .presets import Preset, get_preset

CHECKPOINT_FORMAT = "rdvla-checkpoint"


def build_random(preset: Preset, seed: int, with_backbone: bool = True) -> Tuple[RDVLAHead, Optional[TinyBackbone]]:
    """Build untrained models; the head draws from seed and the backbone from seed + 1."""
    torch.manual_seed(seed)
    head = RDVLAHead(preset.head)
    backbone = None
    if with_backbone and preset.backbone is not None:
        torch.manual_seed(seed + 1)
        backbone = TinyBackbone(preset.backbone)
    return head.eval(), backbone.eval() if backbone is not None else None


def save_checkpoint(path: Path, preset_name: str, head: RDVLAHead, backbone: Optional[TinyBackbone]) -> None:
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "preset": preset_name,
            "head_config": asdict(head.config),
            "backbone_config": asdict(backbone.config) if backbone is not None else None,
            "head": head.state_dict(),
            "backbone": backbone.state_dict() if backbone is not None else None,
        },
        str(path),
    )


class ModelFileError(ValueError):
    """Error for a saved checkpoint or training state that cannot be used; the message names the file and the fix."""


def read_torch_file(path: Path, kind: str, remedy: str) -> object:
    """Read a file written by torch.save, or raise ModelFileError naming the file when it is damaged.

    torch.load unpickles the file, which can run code, so only files from trusted sources belong here.
    """
    try:
        return torch.load(str(path), map_location="cpu")
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError, ValueError, AttributeError, ImportError) as error:
        raise ModelFileError(f"{path} failed to load as {kind} ({type(error).__name__}: {error}): the file is damaged or of another kind, so {remedy}") from None


class LayoutMismatch(ModelFileError):
    """Error for saved weights whose names or shapes differ from the model that this code builds."""


def load_weights(module: nn.Module, weights: dict, path: Path) -> None:
    """Load weights saved in path into module, or raise LayoutMismatch when their layout differs from the module's."""
    try:
        module.load_state_dict(weights)
    except RuntimeError as error:
        lines = [line.strip() for line in str(error).splitlines()[1:] if line.strip()]
        detail = lines[0] if lines else str(error)
        if len(detail) > 200:
            detail = detail[:200] + "..."
        raise LayoutMismatch(
            f"{path} contains weights for a different model layout than this trainer builds ({detail}): "
            "it was saved by another version of the trainer, so load it with that version or train a new model"
        ) from None


def load_checkpoint(path: Path) -> Tuple[Preset, RDVLAHead, Optional[TinyBackbone]]:
    """Load a checkpoint written by save_checkpoint; the configs stored in it win over the preset's."""
    document = read_torch_file(path, "an RD-VLA checkpoint", "restore it from a backup or train the model again")
    if not isinstance(document, dict) or document.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not an RD-VLA checkpoint (expected format {CHECKPOINT_FORMAT!r})")
    preset = get_preset(document["preset"])
    preset.head = HeadConfig(**document["head_config"])
    head = RDVLAHead(preset.head)
    load_weights(head, document["head"], path)

    backbone = None
    if document["backbone"] is not None:
        preset.backbone = BackboneConfig(**document["backbone_config"])
        backbone = TinyBackbone(preset.backbone)
        load_weights(backbone, document["backbone"], path)
    return preset, head.eval(), backbone.eval() if backbone is not None else None


def onnx_initializers(path: Path) -> Dict[str, np.ndarray]:
    model = onnx.load(str(path))
    return {tensor.name: onnx.numpy_helper.to_array(tensor) for tensor in model.graph.initializer}


def check_against_onnx(module: torch.nn.Module, prefix: str, graph_path: Path) -> int:
    """Check that every weight the ONNX graph stores under a parameter name equals the module's.

    The exporter stores parameters under their names ("head.core.0.ffn.w_up.weight"), but it keeps
    one copy of parameters with equal values, so a parameter may be absent. Absent ones are skipped.
    Returns how many parameters were compared; raises ValueError on the first mismatch.
    """
    stored = onnx_initializers(graph_path)
    compared = 0
    for name, parameter in module.state_dict().items():
        values = stored.get(f"{prefix}.{name}")
        if values is None:
            continue
        expected = parameter.detach().cpu().numpy()
        if values.shape != expected.shape or not np.array_equal(values, expected):
            raise ValueError(f"{graph_path}: weight {prefix}.{name} differs from the PyTorch model")
        compared += 1
    return compared
