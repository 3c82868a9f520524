"""Recurrent-Depth VLA action head: Prelude -> weight-tied Core (x r) -> Coda.

The head turns backbone features (middle and last layer, each split into context and latent
positions) plus the joint state into a chunk of K actions. It refines a scratchpad S of K x D
floats by applying the same core block r times. Depth changes the number of iterations but
never the memory.

Shape names: B batch, K chunk length (= learned queries), D head hidden size, Db backbone
hidden size, L latent tokens, Nc context tokens (vision + task), A action size, P proprio
size, nh heads, hd head dim.

Everything here runs on PyTorch 1.13 and 2.x: attention is written out instead of using
F.scaled_dot_product_attention, and RMSNorm is defined here because nn.RMSNorm needs 2.4.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, NamedTuple, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class HeadConfig:
    hidden_size: int = 896  # D
    heads: int = 8  # nh, head dim D / nh
    chunk_size: int = 8  # K: learned queries, one action each
    core_layers: int = 2  # layers inside the weight-tied core block
    ffn_size: int = 3584  # SwiGLU inner size
    action_size: int = 14  # A
    proprio_size: int = 14  # P
    backbone_hidden_size: int = 896  # Db
    latent_tokens: int = 64  # L
    context_tokens: int = 544  # Nc: vision + task positions
    scratchpad_init_scale: float = 1.0  # gamma: S_0 sigma = gamma * sqrt(2/5)
    mean_recurrence: int = 32  # mean training depth, also scales the output projections' init
    bptt_depth: int = 8  # iterations that keep gradients in training
    rope_base: float = 10000.0
    norm_eps: float = 1e-6

    def __post_init__(self) -> None:
        if self.hidden_size % self.heads != 0:
            raise ValueError(f"hidden_size {self.hidden_size} is not divisible by heads {self.heads}")
        if self.head_dim % 2 != 0:
            raise ValueError(f"head dim {self.head_dim} must be even for rotary embeddings")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.heads


def paper_head_config() -> HeadConfig:
    """Sizes of the released head: about 70 M parameters in its four layers.

    Nc = 512 image tokens (two 224x224 cameras, 256 each) + 32 task-token positions.
    """
    return HeadConfig()


class BackboneFeatures(NamedTuple):
    mid_context: torch.Tensor  # [B, Nc, Db]
    mid_latent: torch.Tensor  # [B, L, Db]
    last_context: torch.Tensor  # [B, Nc, Db]
    last_latent: torch.Tensor  # [B, L, Db]


# Key/value projections of one block's context, stacked as [B, 2 (k, v), nh, N, hd].
ContextKV = Tuple[torch.Tensor, torch.Tensor]  # (kv over [latent ; proprio], kv over vision/task context)


class HeadContext(NamedTuple):
    """Everything the head computes once per control step."""

    s_pre: torch.Tensor  # [B, K, D]
    core_kv: List[ContextKV]  # one per core layer
    coda_kv: ContextKV


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class RotaryEmbedding(nn.Module):
    """Rotary position embedding over a fixed number of positions (the K queries)."""

    def __init__(self, head_dim: int, positions: int, base: float) -> None:
        super().__init__()
        inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        angles = torch.outer(torch.arange(positions, dtype=torch.float32), inv_freq)  # [N, hd/2]
        angles = torch.cat([angles, angles], dim=-1)  # [N, hd]
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x [B, nh, N, hd]
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * self.cos + rotated * self.sin


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    # [B, N, nh * hd] -> [B, nh, N, hd]
    batch, tokens, width = x.shape
    return x.reshape(batch, tokens, heads, width // heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    # [B, nh, N, hd] -> [B, N, nh * hd]
    batch, heads, tokens, head_dim = x.shape
    return x.transpose(1, 2).reshape(batch, tokens, heads * head_dim)


class SelfAttention(nn.Module):
    """Bidirectional multi-head self-attention, optionally with RoPE and a key bias (padding)."""

    def __init__(self, dim: int, heads: int, rope: Optional[RotaryEmbedding]) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.rope = rope

    def forward(self, x: torch.Tensor, key_bias: Optional[torch.Tensor] = None) -> torch.Tensor:
        # x [B, N, dim]; key_bias [B, 1, 1, N] added to the logits (large negative = masked)
        q = split_heads(self.wq(x), self.heads)  # [B, nh, N, hd]
        k = split_heads(self.wk(x), self.heads)
        v = split_heads(self.wv(x), self.heads)
        if self.rope is not None:
            q, k = self.rope(q), self.rope(k)

        logits = q @ k.transpose(-2, -1) * self.scale  # [B, nh, N, N]
        if key_bias is not None:
            logits = logits + key_bias
        return self.wo(merge_heads(logits.softmax(dim=-1) @ v))


class GatedCrossAttention(nn.Module):
    """Cross-attention from the K queries to two key/value sets under one softmax.

    Set 1 is [latent tokens ; proprio token], set 2 the vision/task context. The context logits
    are multiplied by tanh(gate). The gate starts at 0, so a fresh head spreads the context share
    of its attention evenly instead of following untrained context keys.
    """

    def __init__(self, dim: int, context_dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.scale = (dim // heads) ** -0.5
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk_latent = nn.Linear(context_dim, dim, bias=False)
        self.wv_latent = nn.Linear(context_dim, dim, bias=False)
        self.wk_context = nn.Linear(context_dim, dim, bias=False)
        self.wv_context = nn.Linear(context_dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.gate = nn.Parameter(torch.zeros(1))

    def project(self, latent: torch.Tensor, context: torch.Tensor) -> ContextKV:
        # latent [B, L+1, Db], context [B, Nc, Db] -> ([B, 2, nh, L+1, hd], [B, 2, nh, Nc, hd])
        kv_latent = torch.stack(
            [split_heads(self.wk_latent(latent), self.heads), split_heads(self.wv_latent(latent), self.heads)], dim=1
        )
        kv_context = torch.stack(
            [split_heads(self.wk_context(context), self.heads), split_heads(self.wv_context(context), self.heads)],
            dim=1,
        )
        return kv_latent, kv_context

    def forward(self, x: torch.Tensor, kv: ContextKV) -> torch.Tensor:
        # x [B, K, D]
        kv_latent, kv_context = kv
        q = split_heads(self.wq(x), self.heads)  # [B, nh, K, hd]
        logits_latent = q @ kv_latent[:, 0].transpose(-2, -1) * self.scale  # [B, nh, K, L+1]
        logits_context = q @ kv_context[:, 0].transpose(-2, -1) * (self.scale * torch.tanh(self.gate))  # [B, nh, K, Nc]
        weights = torch.cat([logits_latent, logits_context], dim=-1).softmax(dim=-1)

        latent_count = logits_latent.shape[-1]
        mixed = weights[..., :latent_count] @ kv_latent[:, 1] + weights[..., latent_count:] @ kv_context[:, 1]
        return self.wo(merge_heads(mixed))  # [B, K, D]


class SwiGLU(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.w_gate = nn.Linear(dim, hidden, bias=False)
        self.w_up = nn.Linear(dim, hidden, bias=False)
        self.w_down = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


class HeadBlock(nn.Module):
    """Pre-norm residual block: self-attention, gated cross-attention, SwiGLU."""

    def __init__(self, config: HeadConfig, rope: RotaryEmbedding) -> None:
        super().__init__()
        dim, eps = config.hidden_size, config.norm_eps
        self.norm_self = RMSNorm(dim, eps)
        self.self_attn = SelfAttention(dim, config.heads, rope)
        self.norm_context = RMSNorm(config.backbone_hidden_size, eps)
        self.norm_cross = RMSNorm(dim, eps)
        self.cross_attn = GatedCrossAttention(dim, config.backbone_hidden_size, config.heads)
        self.norm_ffn = RMSNorm(dim, eps)
        self.ffn = SwiGLU(dim, config.ffn_size)

    def project_context(self, latent: torch.Tensor, context: torch.Tensor) -> ContextKV:
        # The context is fixed for a control step, so this runs once per step, not per iteration.
        return self.cross_attn.project(self.norm_context(latent), self.norm_context(context))

    def forward(self, x: torch.Tensor, kv: ContextKV) -> torch.Tensor:
        # x [B, K, D] -> [B, K, D]
        x = x + self.self_attn(self.norm_self(x))
        x = x + self.cross_attn(self.norm_cross(x), kv)
        return x + self.ffn(self.norm_ffn(x))


class RDVLAHead(nn.Module):
    def __init__(self, config: HeadConfig) -> None:
        super().__init__()
        self.config = config
        dim = config.hidden_size
        rope = RotaryEmbedding(config.head_dim, config.chunk_size, config.rope_base)

        self.queries = nn.Parameter(torch.empty(config.chunk_size, dim))  # [K, D]
        self.proprio_proj = nn.Linear(config.proprio_size, config.backbone_hidden_size, bias=False)
        self.prelude = HeadBlock(config, rope)
        # S_pre enters every iteration next to the unit-RMS scratchpad. Normalising it puts both
        # halves of the adapter input on one scale, so the scratchpad does not drown S_pre out.
        self.prelude_norm = RMSNorm(dim, config.norm_eps)

        self.adapter = nn.Linear(2 * dim, dim, bias=False)  # W_adapt: [S_{k-1} ; S_pre] -> D
        self.adapter_gain = nn.Parameter(torch.ones(1))  # gamma_adapt
        self.adapter_norm = RMSNorm(dim, config.norm_eps)
        self.core = nn.ModuleList([HeadBlock(config, rope) for _ in range(config.core_layers)])
        self.core_norm = RMSNorm(dim, config.norm_eps)

        self.coda = HeadBlock(config, rope)
        self.coda_norm = RMSNorm(dim, config.norm_eps)
        self.action_out = nn.Linear(dim, config.action_size, bias=True)

        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Initialise weights from a truncated normal with std sqrt(2 / (5 D)), cut at +-3 std.

        Output projections (attention outputs, SwiGLU down) get that std divided by
        sqrt(mean_recurrence * core_layers) so a deep unrolled core starts close to identity.
        """
        config = self.config
        std = math.sqrt(2.0 / (5.0 * config.hidden_size))
        out_std = std / math.sqrt(config.mean_recurrence * config.core_layers)
        for name, module in self.named_modules():
            if isinstance(module, nn.Linear):
                is_output = name.endswith(("self_attn.wo", "cross_attn.wo", "ffn.w_down"))
                scale = out_std if is_output else std
                nn.init.trunc_normal_(module.weight, std=scale, a=-3 * scale, b=3 * scale)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
        nn.init.trunc_normal_(self.queries, std=std, a=-3 * std, b=3 * std)

    # --- once per control step -------------------------------------------------------------

    def encode(self, features: BackboneFeatures, proprio: torch.Tensor) -> HeadContext:
        # proprio [B, P] (normalised) -> one token [B, 1, Db]
        proprio_token = self.proprio_proj(proprio).unsqueeze(1)
        mid_latent = torch.cat([features.mid_latent, proprio_token], dim=1)  # [B, L+1, Db]
        last_latent = torch.cat([features.last_latent, proprio_token], dim=1)  # [B, L+1, Db]

        queries = self.queries.unsqueeze(0).expand(proprio.shape[0], -1, -1)  # [B, K, D]
        prelude_kv = self.prelude.project_context(mid_latent, features.mid_context)
        s_pre = self.prelude_norm(self.prelude(queries, prelude_kv))  # [B, K, D]

        core_kv = [block.project_context(last_latent, features.last_context) for block in self.core]
        coda_kv = self.coda.project_context(last_latent, features.last_context)
        return HeadContext(s_pre, core_kv, coda_kv)

    # --- once per iteration ------------------------------------------------------------------

    def core_step(self, s_prev: torch.Tensor, s_pre: torch.Tensor, core_kv: List[ContextKV]) -> torch.Tensor:
        # s_prev, s_pre [B, K, D] -> s_next [B, K, D]
        x = self.adapter_norm(self.adapter_gain * self.adapter(torch.cat([s_prev, s_pre], dim=-1)))
        for block, kv in zip(self.core, core_kv):
            x = block(x, kv)
        return self.core_norm(x)

    def core_step_recomputing_context(
        self, s_prev: torch.Tensor, s_pre: torch.Tensor, latent: torch.Tensor, context: torch.Tensor
    ) -> torch.Tensor:
        """Run one core iteration that projects the context again (the public code's pattern).

        latent is [last_latent ; proprio token] [B, L+1, Db], context is last_context [B, Nc, Db].
        Gives the same result as core_step; it exists to measure what caching saves.
        """
        core_kv = [block.project_context(latent, context) for block in self.core]
        return self.core_step(s_prev, s_pre, core_kv)

    def decode(self, s: torch.Tensor, coda_kv: ContextKV) -> torch.Tensor:
        # s [B, K, D] -> normalised actions [B, K, A]
        return self.action_out(self.coda_norm(self.coda(s, coda_kv)))

    # --- full passes -------------------------------------------------------------------------

    def random_scratchpad(self, batch: int, generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Draw S_0 [B, K, D] for training from torch's generator (inference uses scratchpad.py)."""
        sigma = self.config.scratchpad_init_scale * math.sqrt(2.0 / 5.0)
        s0 = torch.empty(batch, self.config.chunk_size, self.config.hidden_size, device=self.queries.device)
        if generator is None:
            return nn.init.trunc_normal_(s0, std=sigma, a=-3 * sigma, b=3 * sigma)
        # trunc_normal_ takes no generator: redraw values outside +-3 sigma from a seeded normal.
        z = torch.randn(s0.shape, generator=generator)
        while bool((z.abs() > 3).any()):
            outside = z.abs() > 3
            z[outside] = torch.randn(int(outside.sum()), generator=generator)
        return (z * sigma).to(s0.device)

    def iterate(
        self, context: HeadContext, s0: torch.Tensor, iterations: int, bptt_depth: Optional[int] = None
    ) -> torch.Tensor:
        """Apply the core `iterations` times from s0 and return the final scratchpad [B, K, D].

        With bptt_depth d, the first max(0, iterations - d) iterations run without gradients
        (truncated backpropagation through time); None keeps gradients for every iteration.
        """
        if iterations < 1:
            raise ValueError(f"iterations must be at least 1, got {iterations}")
        detached = max(0, iterations - bptt_depth) if bptt_depth is not None else 0

        s = s0
        with torch.no_grad():
            for _ in range(detached):
                s = self.core_step(s, context.s_pre, context.core_kv)
        for _ in range(iterations - detached):
            s = self.core_step(s, context.s_pre, context.core_kv)
        return s

    def forward(
        self,
        features: BackboneFeatures,
        proprio: torch.Tensor,
        iterations: int,
        s0: Optional[torch.Tensor] = None,
        bptt_depth: Optional[int] = None,
    ) -> torch.Tensor:
        # -> normalised action chunk [B, K, A]
        context = self.encode(features, proprio)
        if s0 is None:
            s0 = self.random_scratchpad(proprio.shape[0])
        s = self.iterate(context, s0, iterations, bptt_depth)
        return self.decode(s, context.coda_kv)


def sample_training_depth(mean_recurrence: int = 32, generator: Optional[torch.Generator] = None) -> int:
    """Draw a training depth from the log-normal Poisson schedule.

    tau ~ Normal(ln(mean) - 0.125, 0.5), lambda = min(e^tau, 100), N = clamp(Poisson(lambda) + 1, 1, 64).
    The -0.125 (= sigma^2 / 2) makes the mean of e^tau equal to mean_recurrence.
    """
    tau = torch.normal(torch.tensor(math.log(mean_recurrence) - 0.125), torch.tensor(0.5), generator=generator)
    rate = torch.clamp(torch.exp(tau), max=100.0)
    draws = torch.poisson(rate.reshape(1), generator=generator)
    return int(torch.clamp(draws[0] + 1, 1, 64).item())


def l1_chunk_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 loss over a normalised action chunk [B, K, A]."""
    return (predicted - target).abs().mean()
