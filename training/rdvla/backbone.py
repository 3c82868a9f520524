"""Backbone interface and a tiny vision-language backbone that runs in milliseconds on a CPU.

Any backbone feeds the head through one interface:
    images [B, C, 3, H, W] (normalised), input_ids [B, T], attention_mask [B, T]
    -> BackboneFeatures(mid_context [B, Nc, Db], mid_latent [B, L, Db],
                        last_context [B, Nc, Db], last_latent [B, L, Db])
The sequence is [image patches of every camera ; task tokens ; L learned latent tokens]; the
context is everything before the latent tokens (Nc = C * patches + T).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from .model import BackboneFeatures, RMSNorm, SelfAttention, SwiGLU

MASKED_LOGIT = -1e9  # added to attention logits of padding keys; finite so ONNX softmax stays defined


@dataclass
class BackboneConfig:
    cameras: int = 3  # C
    image_size: int = 64  # H = W
    patch_size: int = 16
    vocab_size: int = 64
    max_task_tokens: int = 24  # T
    hidden_size: int = 96  # Db
    heads: int = 4
    layers: int = 4
    ffn_size: int = 256
    latent_tokens: int = 8  # L
    norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        if self.image_size % self.patch_size != 0:
            raise ValueError(f"image_size {self.image_size} is not a multiple of patch_size {self.patch_size}")
        if self.hidden_size % self.heads != 0:
            raise ValueError(f"hidden_size {self.hidden_size} is not divisible by heads {self.heads}")
        if self.layers < 2:
            raise ValueError(f"the backbone needs at least 2 layers to have a middle layer, got {self.layers}")

    @property
    def patches_per_image(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    @property
    def context_tokens(self) -> int:
        return self.cameras * self.patches_per_image + self.max_task_tokens

    @property
    def sequence_length(self) -> int:
        return self.context_tokens + self.latent_tokens

    @property
    def middle_layer(self) -> int:
        """Index into the hidden-state list (0 = embeddings) of the middle layer's output."""
        return self.layers // 2


class BackboneLayer(nn.Module):
    """Pre-norm transformer layer with bidirectional attention that skips padding keys."""

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        self.norm_attn = RMSNorm(config.hidden_size, config.norm_eps)
        self.attn = SelfAttention(config.hidden_size, config.heads, rope=None)
        self.norm_ffn = RMSNorm(config.hidden_size, config.norm_eps)
        self.ffn = SwiGLU(config.hidden_size, config.ffn_size)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm_attn(x), key_bias)
        return x + self.ffn(self.norm_ffn(x))


class TinyBackbone(nn.Module):
    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        self.config = config
        width = config.hidden_size
        self.patch_embed = nn.Conv2d(3, width, kernel_size=config.patch_size, stride=config.patch_size)
        self.token_embed = nn.Embedding(config.vocab_size, width)
        self.latents = nn.Parameter(torch.randn(config.latent_tokens, width) * 0.02)  # [L, Db]
        self.position = nn.Parameter(torch.randn(config.sequence_length, width) * 0.02)  # [Nc + L, Db]
        self.layers = nn.ModuleList([BackboneLayer(config) for _ in range(config.layers)])

    def forward(self, images: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> BackboneFeatures:
        batch, cameras = images.shape[0], images.shape[1]
        config = self.config

        patches = self.patch_embed(images.reshape(batch * cameras, 3, config.image_size, config.image_size))
        patches = patches.flatten(2).transpose(1, 2)  # [B * C, patches, Db]
        vision = patches.reshape(batch, cameras * config.patches_per_image, config.hidden_size)
        text = self.token_embed(input_ids)  # [B, T, Db]
        latents = self.latents.unsqueeze(0).expand(batch, -1, -1)  # [B, L, Db]
        x = torch.cat([vision, text, latents], dim=1) + self.position  # [B, Nc + L, Db]

        keep = torch.cat(
            [
                torch.ones(batch, vision.shape[1], dtype=attention_mask.dtype, device=attention_mask.device),
                attention_mask,
                torch.ones(batch, config.latent_tokens, dtype=attention_mask.dtype, device=attention_mask.device),
            ],
            dim=1,
        )
        key_bias = ((1 - keep).to(x.dtype) * MASKED_LOGIT)[:, None, None, :]  # [B, 1, 1, Nc + L]

        hidden_states = [x]
        for layer in self.layers:
            x = layer(x, key_bias)
            hidden_states.append(x)

        mid, last = hidden_states[config.middle_layer], hidden_states[-1]
        split = config.context_tokens
        return BackboneFeatures(mid[:, :split], mid[:, split:], last[:, :split], last[:, split:])
