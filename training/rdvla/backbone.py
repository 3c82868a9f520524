"""Backbone interface and a tiny vision-language backbone that runs in milliseconds on a CPU.

Any backbone feeds the head through one interface:
    images [B, C, 3, H, W] (normalised), input_ids [B, T], attention_mask [B, T]
    -> BackboneFeatures(mid_context [B, Nc, Db], mid_latent [B, L, Db],
                        last_context [B, Nc, Db], last_latent [B, L, Db])
The sequence is [image patches of every camera ; task tokens ; L learned latent tokens]; the
context is everything before the latent tokens (Nc = C * patches + T).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
import torch.nn as nn

from .model import BackboneFeatures, RMSNorm, SelfAttention, SwiGLU

MASKED_LOGIT = -1e9  # added to attention logits of padding keys; finite so ONNX softmax stays defined


@dataclass
class BackboneConfig:
    cameras: int = 3  # C
    image_size: int = 64  # H = W
    patch_size: int = 16
    # Channels of the convolutional stem that runs at full resolution before the patches are cut;
    # 0 cuts the patches straight from the pixels.
    stem_channels: int = 0
    # With a stem: each task token looks up where in each camera image the stem's features match
    # it (a softmax over the pixels), and that position is added to the token's embedding.
    token_locations: bool = False
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
        if self.token_locations and self.stem_channels == 0:
            raise ValueError("token_locations needs the convolutional stem: set stem_channels")
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


class ConvStem(nn.Module):
    """Two 3x3 convolutions with ReLU over the pixels and their image coordinates.

    A target on the table covers a few pixels of a 64x64 image. Per-pixel features after a ReLU can
    mark a colour, such as red against the table's brown, before the patch embedding mixes the
    patch's pixels. The coordinate channels carry where in the image each pixel lies.
    """

    def __init__(self, image_size: int, channels: int) -> None:
        super().__init__()
        axis = torch.linspace(-1.0, 1.0, image_size)
        rows, columns = torch.meshgrid(axis, axis, indexing="ij")
        self.register_buffer("coordinates", torch.stack([columns, rows])[None], persistent=False)  # [1, 2, H, W]
        self.convs = nn.Sequential(
            nn.Conv2d(5, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
            nn.ReLU(),
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        coordinates = self.coordinates.expand(pixels.shape[0], -1, -1, -1)
        return self.convs(torch.cat([pixels, coordinates], dim=1))


class TokenLocations(nn.Module):
    """Position of each task token's best match in each camera image, added to its embedding.

    A token's query is compared with a key at every pixel of a camera's stem features. The softmax
    of the scores over the pixels then weights the pixel coordinates into one expected position.
    A word like "red" can learn a query that matches red pixels, so its embedding then gives the
    red target's position in every camera. A learned scale, starting at 4, sharpens the softmax so
    that a target of a few dozen pixels can outweigh the thousands of table pixels. The positions of
    all cameras pass through a linear map with small initial weights.
    """

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        self.cameras, self.pixels = config.cameras, config.image_size**2
        channels = config.stem_channels
        self.query = nn.Linear(config.hidden_size, channels, bias=False)
        self.key = nn.Conv2d(channels, channels, kernel_size=1)
        self.log_scale = nn.Parameter(torch.tensor(math.log(4.0)))
        self.embed = nn.Linear(2 * config.cameras, config.hidden_size)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.zeros_(self.embed.bias)

    def locate(self, text: torch.Tensor, features: torch.Tensor, coordinates: torch.Tensor) -> torch.Tensor:
        """text [B, T, Db], features [B * C, c, H, W], coordinates [1, 2, H, W] -> positions [B, T, 2C]."""
        batch, tokens = text.shape[0], text.shape[1]
        keys = self.key(features).reshape(batch, self.cameras, -1, self.pixels)  # [B, C, c, HW]
        scores = torch.matmul(self.query(text).unsqueeze(1), keys) * self.log_scale.exp()  # [B, C, T, HW]
        grid = coordinates.reshape(2, self.pixels).transpose(0, 1)  # [HW, 2]: x, y
        positions = torch.matmul(scores.softmax(dim=-1), grid)  # [B, C, T, 2]
        return positions.transpose(1, 2).reshape(batch, tokens, 2 * self.cameras)


class TinyBackbone(nn.Module):
    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        self.config = config
        width = config.hidden_size
        patch_input = 3
        self.stem = None
        if config.stem_channels > 0:
            self.stem = ConvStem(config.image_size, config.stem_channels)
            patch_input = config.stem_channels
        self.token_locations = TokenLocations(config) if config.token_locations else None
        self.patch_embed = nn.Conv2d(patch_input, width, kernel_size=config.patch_size, stride=config.patch_size)
        self.token_embed = nn.Embedding(config.vocab_size, width)
        self.latents = nn.Parameter(torch.randn(config.latent_tokens, width) * 0.02)  # [L, Db]
        self.position = nn.Parameter(torch.randn(config.sequence_length, width) * 0.02)  # [Nc + L, Db]
        self.layers = nn.ModuleList([BackboneLayer(config) for _ in range(config.layers)])

    def forward(self, images: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> BackboneFeatures:
        return self.features_and_positions(images, input_ids, attention_mask)[0]

    def features_and_positions(
        self, images: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> Tuple[BackboneFeatures, Optional[torch.Tensor]]:
        """Return the features and where each task token matches in each camera, [B, T, 2C].

        The positions are None for a backbone without token locations.
        """
        batch, cameras = images.shape[0], images.shape[1]
        config = self.config

        pixels = images.reshape(batch * cameras, 3, config.image_size, config.image_size)
        features = self.stem(pixels) if self.stem is not None else pixels
        patches = self.patch_embed(features)
        patches = patches.flatten(2).transpose(1, 2)  # [B * C, patches, Db]
        vision = patches.reshape(batch, cameras * config.patches_per_image, config.hidden_size)
        text = self.token_embed(input_ids)  # [B, T, Db]
        positions = None
        if self.token_locations is not None:
            positions = self.token_locations.locate(text, features, self.stem.coordinates)
            text = text + self.token_locations.embed(positions)
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
        return BackboneFeatures(mid[:, :split], mid[:, split:], last[:, :split], last[:, split:]), positions
