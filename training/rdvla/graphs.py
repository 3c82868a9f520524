"""The four ONNX graphs of a model directory, as modules with the contract's inputs and outputs.

backbone.onnx  images, input_ids, attention_mask -> mid_context, mid_latent, last_context, last_latent
prelude.onnx   the four features + proprio -> s_pre, core_kv_latent, core_kv_context,
               coda_kv_latent, coda_kv_context
core.onnx      s_prev, s_pre, core_kv_latent, core_kv_context -> s_next (one iteration)
coda.onnx      s, coda_kv_latent, coda_kv_context -> actions
Batch is fixed at 1, so the key/value tensors drop it: [layers, 2 (k, v), nh, tokens, hd].
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Dict, List, Tuple

import torch
import torch.nn as nn

from .backbone import TinyBackbone
from .model import BackboneFeatures, ContextKV, RDVLAHead

OPSET = 17

FEATURE_NAMES = ["mid_context", "mid_latent", "last_context", "last_latent"]
GRAPH_IO: Dict[str, Tuple[List[str], List[str]]] = {
    "backbone": (["images", "input_ids", "attention_mask"], FEATURE_NAMES),
    "prelude": (
        FEATURE_NAMES + ["proprio"],
        ["s_pre", "core_kv_latent", "core_kv_context", "coda_kv_latent", "coda_kv_context"],
    ),
    "core": (["s_prev", "s_pre", "core_kv_latent", "core_kv_context"], ["s_next"]),
    "coda": (["s", "coda_kv_latent", "coda_kv_context"], ["actions"]),
}


def _stack_layers(kvs: List[ContextKV]) -> Tuple[torch.Tensor, torch.Tensor]:
    # per layer ([1, 2, nh, L+1, hd], [1, 2, nh, Nc, hd]) -> ([layers, 2, nh, L+1, hd], [layers, 2, nh, Nc, hd])
    return torch.cat([kv[0] for kv in kvs], dim=0), torch.cat([kv[1] for kv in kvs], dim=0)


class BackboneGraph(nn.Module):
    def __init__(self, backbone: TinyBackbone) -> None:
        super().__init__()
        self.backbone = backbone

    def forward(self, images, input_ids, attention_mask):
        return tuple(self.backbone(images, input_ids, attention_mask))


class PreludeGraph(nn.Module):
    def __init__(self, head: RDVLAHead) -> None:
        super().__init__()
        self.head = head

    def forward(self, mid_context, mid_latent, last_context, last_latent, proprio):
        context = self.head.encode(BackboneFeatures(mid_context, mid_latent, last_context, last_latent), proprio)
        core_kv_latent, core_kv_context = _stack_layers(context.core_kv)
        coda_kv_latent, coda_kv_context = context.coda_kv
        return context.s_pre, core_kv_latent, core_kv_context, coda_kv_latent, coda_kv_context


class CoreGraph(nn.Module):
    def __init__(self, head: RDVLAHead) -> None:
        super().__init__()
        self.head = head

    def forward(self, s_prev, s_pre, core_kv_latent, core_kv_context):
        layers = self.head.config.core_layers
        core_kv = [(core_kv_latent[i : i + 1], core_kv_context[i : i + 1]) for i in range(layers)]
        return self.head.core_step(s_prev, s_pre, core_kv)


class CodaGraph(nn.Module):
    def __init__(self, head: RDVLAHead) -> None:
        super().__init__()
        self.head = head

    def forward(self, s, coda_kv_latent, coda_kv_context):
        return self.head.decode(s, (coda_kv_latent, coda_kv_context))


def head_example_inputs(head: RDVLAHead) -> Dict[str, torch.Tensor]:
    """Zero-filled batch-1 tensors for every input name of the prelude, core and coda graphs."""
    config = head.config
    nh, hd, k, dim = config.heads, config.head_dim, config.chunk_size, config.hidden_size
    latent, context, width = config.latent_tokens, config.context_tokens, config.backbone_hidden_size
    return {
        "mid_context": torch.zeros(1, context, width),
        "mid_latent": torch.zeros(1, latent, width),
        "last_context": torch.zeros(1, context, width),
        "last_latent": torch.zeros(1, latent, width),
        "proprio": torch.zeros(1, config.proprio_size),
        "s_prev": torch.zeros(1, k, dim),
        "s_pre": torch.zeros(1, k, dim),
        "s": torch.zeros(1, k, dim),
        "core_kv_latent": torch.zeros(config.core_layers, 2, nh, latent + 1, hd),
        "core_kv_context": torch.zeros(config.core_layers, 2, nh, context, hd),
        "coda_kv_latent": torch.zeros(1, 2, nh, latent + 1, hd),
        "coda_kv_context": torch.zeros(1, 2, nh, context, hd),
    }


def backbone_example_inputs(backbone: TinyBackbone) -> Dict[str, torch.Tensor]:
    config = backbone.config
    size = config.image_size
    return {
        "images": torch.zeros(1, config.cameras, 3, size, size),
        "input_ids": torch.zeros(1, config.max_task_tokens, dtype=torch.int64),
        "attention_mask": torch.ones(1, config.max_task_tokens, dtype=torch.int64),
    }


def export_graph(module: nn.Module, name: str, inputs: Dict[str, torch.Tensor], path: Path) -> None:
    """Export one graph with static shapes at opset 17 and the contract's input/output names."""
    input_names, output_names = GRAPH_IO[name]
    options = {}
    # PyTorch 2.9 switched torch.onnx.export to the dynamo exporter by default; keep the
    # TorchScript exporter on every version so the graphs keep the same structure.
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        options["dynamo"] = False
    module.eval()
    with torch.no_grad():
        torch.onnx.export(
            module,
            tuple(inputs[input_name] for input_name in input_names),
            str(path),
            input_names=input_names,
            output_names=output_names,
            opset_version=OPSET,
            do_constant_folding=False,
            export_params=True,
            **options,
        )
