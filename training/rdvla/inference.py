"""Adaptive-depth inference: convergence stop and the execution-horizon rules.

Modes:
  fixed     run `depth` iterations, decode once, execute fixed_horizon actions (trace is empty);
  converge  convergence stop, execute fixed_horizon actions;
  binary    convergence stop, horizon from the binary rule on k*;
  linear    convergence stop, horizon from the linear-decay rule on k*.
The convergence stop decodes a_k after every iteration k and, from k = first_check on, stops
when mean((a_k - a_{k-1})^2) over the normalised chunk is below delta, capped at max_iterations.
k* is the number of iterations that ran.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import List, Optional

import torch

from .model import HeadContext, RDVLAHead

MODES = ("fixed", "converge", "binary", "linear")
HARD_REPLANS_SOONER = "hard-replans-sooner"  # k* > threshold -> short horizon (RD-VLA paper)
HARD_RUNS_LONGER = "hard-runs-longer"  # k* > threshold -> long horizon (released RD-VLA code)


@dataclass
class BinaryRule:
    threshold: int = 4
    short: int = 4
    long: int = 8
    direction: str = HARD_REPLANS_SOONER

    def horizon(self, k_star: int) -> int:
        hard = k_star > self.threshold
        if self.direction == HARD_REPLANS_SOONER:
            return self.short if hard else self.long
        if self.direction == HARD_RUNS_LONGER:
            return self.long if hard else self.short
        raise ValueError(f"unknown binary direction {self.direction!r}: expected {HARD_REPLANS_SOONER!r} or {HARD_RUNS_LONGER!r}")


@dataclass
class LinearRule:
    h_max: int = 7
    h_min: int = 2
    tau_base: int = 8
    full_chunk_at_or_below: Optional[int] = 6  # None: no full-chunk case

    def horizon(self, k_star: int, chunk_size: int) -> int:
        if self.full_chunk_at_or_below is not None and k_star <= self.full_chunk_at_or_below:
            return chunk_size
        return max(self.h_min, self.h_max - max(0, k_star - self.tau_base))


@dataclass
class InferenceSettings:
    default_depth: int = 12
    max_iterations: int = 32
    delta: float = 5e-4
    first_check: int = 2
    binary: BinaryRule = field(default_factory=BinaryRule)
    linear: LinearRule = field(default_factory=LinearRule)
    fixed_horizon: int = 5

    def to_manifest(self) -> dict:
        linear = asdict(self.linear)
        return {
            "defaultDepth": self.default_depth,
            "maxIterations": self.max_iterations,
            "delta": self.delta,
            "firstCheck": self.first_check,
            "binary": asdict(self.binary),
            "linear": {
                "hMax": linear["h_max"],
                "hMin": linear["h_min"],
                "tauBase": linear["tau_base"],
                "fullChunkAtOrBelow": linear["full_chunk_at_or_below"],
            },
            "fixedHorizon": self.fixed_horizon,
        }

    @classmethod
    def from_manifest(cls, section: dict) -> "InferenceSettings":
        linear = section["linear"]
        return cls(
            default_depth=section["defaultDepth"],
            max_iterations=section["maxIterations"],
            delta=section["delta"],
            first_check=section["firstCheck"],
            binary=BinaryRule(**section["binary"]),
            linear=LinearRule(
                h_max=linear["hMax"],
                h_min=linear["hMin"],
                tau_base=linear["tauBase"],
                full_chunk_at_or_below=linear.get("fullChunkAtOrBelow"),
            ),
            fixed_horizon=section["fixedHorizon"],
        )


@dataclass
class InferenceResult:
    actions: torch.Tensor  # normalised chunk [B, K, A]
    k_star: int
    horizon: int
    trace: List[float]  # mean squared change of the decoded chunk at k = 2 .. k*


def run_head(
    head: RDVLAHead,
    context: HeadContext,
    s0: torch.Tensor,
    mode: str,
    settings: InferenceSettings,
    depth: Optional[int] = None,
    delta: Optional[float] = None,
) -> InferenceResult:
    """Refine the scratchpad from s0 and decode an action chunk with the given mode.

    depth overrides settings.default_depth (fixed mode); delta overrides settings.delta.
    """
    if mode not in MODES:
        raise ValueError(f"unknown inference mode {mode!r}: expected one of {MODES}")
    chunk_size = head.config.chunk_size

    with torch.no_grad():
        if mode == "fixed":
            iterations = depth if depth is not None else settings.default_depth
            s = head.iterate(context, s0, iterations)
            return InferenceResult(head.decode(s, context.coda_kv), iterations, settings.fixed_horizon, [])

        threshold = delta if delta is not None else settings.delta
        s = head.core_step(s0, context.s_pre, context.core_kv)
        actions = head.decode(s, context.coda_kv)
        trace: List[float] = []
        k = 1
        while k < settings.max_iterations:
            k += 1
            s = head.core_step(s, context.s_pre, context.core_kv)
            next_actions = head.decode(s, context.coda_kv)
            change = float((next_actions - actions).pow(2).mean())
            trace.append(change)
            actions = next_actions
            if k >= settings.first_check and change < threshold:
                break

    if mode == "binary":
        horizon = settings.binary.horizon(k)
    elif mode == "linear":
        horizon = settings.linear.horizon(k, chunk_size)
    else:
        horizon = settings.fixed_horizon
    return InferenceResult(actions, k, horizon, trace)
