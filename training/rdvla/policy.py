"""The PyTorch model behind an exported model directory, with the runtime's pre- and post-processing."""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

import numpy as np
import torch

from .backbone import TinyBackbone
from .checkpoint import build_random, check_against_onnx, load_checkpoint
from .inference import InferenceResult, InferenceSettings, run_head
from .manifest import read_manifest
from .model import HeadContext, RDVLAHead
from .presets import get_preset
from .scratchpad import initial_scratchpad
from .tokenizer import WordLevelTokenizer


class TorchPolicy:
    def __init__(self, manifest: dict, head: RDVLAHead, backbone: TinyBackbone, tokenizer: WordLevelTokenizer) -> None:
        self.manifest = manifest
        self.head = head
        self.backbone = backbone
        self.tokenizer = tokenizer
        self.settings = InferenceSettings.from_manifest(manifest["inference"])
        stats = manifest["normalization"]
        self.state_mean = torch.tensor(stats["state"]["mean"], dtype=torch.float32)
        self.state_std = torch.tensor(stats["state"]["std"], dtype=torch.float32)
        self.action_mean = torch.tensor(stats["action"]["mean"], dtype=torch.float32)
        self.action_std = torch.tensor(stats["action"]["std"], dtype=torch.float32)

    @classmethod
    def from_model_dir(cls, model_dir: Path, checkpoint: Optional[Path] = None) -> "TorchPolicy":
        """Rebuild the PyTorch weights of model_dir and check them against its ONNX graphs.

        The weights come from `checkpoint` when given, else from the checkpoint file named in
        manifest.source (trained models keep it in the model directory), else from the preset and
        seed recorded there (untrained models). A mismatch with the ONNX weights raises ValueError.
        """
        model_dir = Path(model_dir)
        manifest = read_manifest(model_dir)
        stored_checkpoint = manifest.get("source", {}).get("checkpoint")
        if checkpoint is None and stored_checkpoint and (model_dir / stored_checkpoint).is_file():
            checkpoint = model_dir / stored_checkpoint
        if checkpoint is not None:
            _, head, backbone = load_checkpoint(checkpoint)
        else:
            source = manifest.get("source", {})
            if "seed" not in source:
                raise ValueError(f"{model_dir}: manifest.source has no seed; pass the checkpoint the model was exported from")
            head, backbone = build_random(get_preset(source["preset"]), int(source["seed"]))
        if backbone is None or manifest["graphs"]["backbone"] is None:
            raise ValueError(f"{model_dir}: a policy needs the backbone graph and weights")

        compared = check_against_onnx(backbone, "backbone", model_dir / manifest["graphs"]["backbone"])
        for graph in ("prelude", "core", "coda"):
            compared += check_against_onnx(head, "head", model_dir / manifest["graphs"][graph])
        if compared == 0:
            raise ValueError(f"{model_dir}: no ONNX weight carries a parameter name, so the weights cannot be checked")

        tokenizer = WordLevelTokenizer.from_file(model_dir / manifest["tokenizer"])
        return cls(manifest, head, backbone, tokenizer)

    def preprocess_images(self, images: Mapping[str, np.ndarray]) -> torch.Tensor:
        """Turn uint8 RGB images [H, W, 3] per camera into the backbone input [1, C, 3, H, W]."""
        spec = self.manifest["image"]
        mean = torch.tensor(spec["mean"], dtype=torch.float32).view(3, 1, 1)
        std = torch.tensor(spec["std"], dtype=torch.float32).view(3, 1, 1)
        frames = []
        for camera in self.manifest["cameras"]:
            frame = np.asarray(images[camera], dtype=np.uint8)
            if frame.shape != (spec["height"], spec["width"], 3):
                raise ValueError(f"{camera}: expected an image of {spec['height']}x{spec['width']}x3, got {frame.shape}")
            pixels = torch.from_numpy(frame.astype(np.float32)).permute(2, 0, 1) / 255.0  # [3, H, W]
            frames.append((pixels - mean) / std)
        return torch.stack(frames).unsqueeze(0)

    def encode_task(self, task: str) -> Dict[str, torch.Tensor]:
        ids, mask = self.tokenizer.encode_padded(task, self.manifest["maxTaskTokens"])
        return {"input_ids": torch.tensor([ids], dtype=torch.int64), "attention_mask": torch.tensor([mask], dtype=torch.int64)}

    def context(self, images: Mapping[str, np.ndarray], task: str, state: Sequence[float]) -> HeadContext:
        tokens = self.encode_task(task)
        proprio = (torch.tensor([state], dtype=torch.float32) - self.state_mean) / self.state_std
        with torch.no_grad():
            features = self.backbone(self.preprocess_images(images), tokens["input_ids"], tokens["attention_mask"])
            return self.head.encode(features, proprio)

    def initial_scratchpad(self, seed: int) -> torch.Tensor:
        config = self.head.config
        s0 = initial_scratchpad(seed, config.chunk_size, config.hidden_size, config.scratchpad_init_scale)
        return torch.from_numpy(s0).unsqueeze(0)  # [1, K, D]

    def act(
        self,
        images: Mapping[str, np.ndarray],
        task: str,
        state: Sequence[float],
        seed: int,
        mode: str,
        depth: Optional[int] = None,
        delta: Optional[float] = None,
    ) -> InferenceResult:
        """Predict one action chunk; the returned actions are de-normalised [K, A]."""
        context = self.context(images, task, state)
        result = run_head(self.head, context, self.initial_scratchpad(seed), mode, self.settings, depth, delta)
        result.actions = result.actions[0] * self.action_std + self.action_mean
        return result
