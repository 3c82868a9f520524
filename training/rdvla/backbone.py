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

import torch
import torch.nn as nn

from .model import BackboneFeatures, RMSNorm, SelfAttention, SwiGLU

MASKED_LOGIT = -1e9  # added to attention logits of padding keys; finite so ONNX softmax stays defined
GOAL_HIDDEN = 128  # width of the goal map's hidden layer


@dataclass
class BackboneConfig:
    cameras: int = 3  # C
    image_size: int = 64  # H = W
    patch_size: int = 16
    # Channels of the convolutional stem that runs at full resolution before the patches are cut;
    # 0 cuts the patches straight from the pixels.
    stem_channels: int = 0
    # Each task token looks up where it matches in each camera image, and that position is added
    # to the token's embedding. The match is a softmax over the pixels of features from two
    # convolutions with location_channels channels.
    token_locations: bool = False
    location_channels: int = 16
    # Values of the goal map's prediction (0: no goal map). The map needs token locations: it
    # predicts the joint state the episode ends in from the token positions.
    goal_size: int = 0
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
        if self.goal_size > 0 and not self.token_locations:
            raise ValueError("goal_size needs token_locations: the goal map reads the token positions")
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


def image_coordinates(image_size: int) -> torch.Tensor:
    """Return [1, 2, H, W]: each pixel's column (x) and row (y), from -1 to 1."""
    axis = torch.linspace(-1.0, 1.0, image_size)
    rows, columns = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([columns, rows])[None]


class ConvStem(nn.Module):
    """Two 3x3 convolutions with ReLU over the pixels and their image coordinates.

    A target on the table covers a few pixels of a 64x64 image. Per-pixel features after a ReLU can
    mark a colour, such as red against the table's brown, before the patch embedding mixes the
    patch's pixels. The coordinate channels carry where in the image each pixel lies.
    """

    def __init__(self, image_size: int, channels: int) -> None:
        super().__init__()
        self.register_buffer("coordinates", image_coordinates(image_size), persistent=False)  # [1, 2, H, W]
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

    Two convolutions turn each camera's pixels into per-pixel features. Every token of the
    vocabulary has its own query vector, and a token's score at a pixel is the dot product of its
    query with the pixel's features. The softmax of the scores over the pixels weights the pixel
    coordinates into one expected position. A word like "red" can learn a query that matches red
    pixels, so its embedding then gives the red target's position in every camera. The features
    carry no coordinates, so a query matches what a pixel shows rather than where it lies. The
    positions of all cameras pass through a linear map with small initial weights.
    """

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        self.cameras, self.pixels = config.cameras, config.image_size**2
        channels = config.location_channels
        self.register_buffer("coordinates", image_coordinates(config.image_size), persistent=False)
        self.features = nn.Sequential(
            nn.Conv2d(3, channels, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, kernel_size=3, padding=1),
        )
        self.query = nn.Embedding(config.vocab_size, channels)
        self.log_scale = nn.Parameter(torch.tensor(math.log(3.0)))
        self.embed = nn.Linear(2 * config.cameras, config.hidden_size)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.zeros_(self.embed.bias)

    def locate(self, pixels: torch.Tensor, input_ids: torch.Tensor) -> torch.Tensor:
        """pixels [B * C, 3, H, W], input_ids [B, T] -> positions [B, T, 2C]."""
        batch, tokens = input_ids.shape
        features = self.features(pixels).reshape(batch, self.cameras, -1, self.pixels)  # [B, C, c, HW]
        scores = torch.matmul(self.query(input_ids).unsqueeze(1), features) * self.log_scale.exp()  # [B, C, T, HW]
        grid = self.coordinates.reshape(2, self.pixels).transpose(0, 1)  # [HW, 2]: x, y
        positions = torch.matmul(scores.softmax(dim=-1), grid)  # [B, C, T, 2]
        return positions.transpose(1, 2).reshape(batch, tokens, 2 * self.cameras)


class GoalMap(nn.Module):
    """Network that predicts the joint state the episode ends in from the task tokens' positions.

    A linear map with small initial weights adds the prediction (normalised like the joint state)
    to every latent token, so the head reads where the task leads. The trainer can supervise the
    prediction with each episode's last joint state.
    """

    def __init__(self, config: BackboneConfig) -> None:
        super().__init__()
        self.predict = nn.Sequential(
            nn.Linear(config.max_task_tokens * 2 * config.cameras, GOAL_HIDDEN),
            nn.ReLU(),
            nn.Linear(GOAL_HIDDEN, config.goal_size),
        )
        self.embed = nn.Linear(config.goal_size, config.hidden_size)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.zeros_(self.embed.bias)


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
        self.goal_map = GoalMap(config) if config.goal_size > 0 else None
        self.patch_embed = nn.Conv2d(patch_input, width, kernel_size=config.patch_size, stride=config.patch_size)
        self.token_embed = nn.Embedding(config.vocab_size, width)
        self.latents = nn.Parameter(torch.randn(config.latent_tokens, width) * 0.02)  # [L, Db]
        self.position = nn.Parameter(torch.randn(config.sequence_length, width) * 0.02)  # [Nc + L, Db]
        self.layers = nn.ModuleList([BackboneLayer(config) for _ in range(config.layers)])

    def goal(self, images: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Return the goal map's prediction [B, goal_size] alone, without running the transformer layers."""
        if self.goal_map is None or self.token_locations is None:
            raise ValueError("this backbone has no goal map: its config sets goal_size 0")
        positions = self.token_locations.locate(self.camera_pixels(images), input_ids)
        return self.predict_goal(positions, attention_mask)

    def camera_pixels(self, images: torch.Tensor) -> torch.Tensor:
        """Return images [B, C, 3, H, W] as one batch of camera images [B * C, 3, H, W]."""
        size = self.config.image_size
        return images.reshape(images.shape[0] * images.shape[1], 3, size, size)

    def predict_goal(self, positions: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Return the goal map's prediction [B, goal_size] from token positions [B, T, 2C]."""
        # Padding tokens have no position, so their ids cannot change the goal.
        unpadded = positions * attention_mask.unsqueeze(-1).to(positions.dtype)
        return self.goal_map.predict(unpadded.flatten(1))

    def forward(self, images: torch.Tensor, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> BackboneFeatures:
        batch, cameras = images.shape[0], images.shape[1]
        config = self.config

        pixels = self.camera_pixels(images)
        features = self.stem(pixels) if self.stem is not None else pixels
        patches = self.patch_embed(features)
        patches = patches.flatten(2).transpose(1, 2)  # [B * C, patches, Db]
        vision = patches.reshape(batch, cameras * config.patches_per_image, config.hidden_size)
        text = self.token_embed(input_ids)  # [B, T, Db]
        latents = self.latents.unsqueeze(0).expand(batch, -1, -1)  # [B, L, Db]
        if self.token_locations is not None:
            positions = self.token_locations.locate(pixels, input_ids)  # [B, T, 2C]
            text = text + self.token_locations.embed(positions)
            if self.goal_map is not None:
                goal = self.predict_goal(positions, attention_mask)
                latents = latents + self.goal_map.embed(goal).unsqueeze(1)
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
