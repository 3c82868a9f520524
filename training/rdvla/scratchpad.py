"""Seeded scratchpad S_0 shared with the TypeScript runtime.

The generator is mulberry32 (32-bit state) and the normal draw is Box-Muller on float64, so
Python and JavaScript produce the same S_0 for the same seed. All arithmetic below keeps
values as unsigned 32-bit integers, which gives the same bits as JavaScript's int32 ops.
"""

from __future__ import annotations

import math

import numpy as np

UINT32 = 0xFFFFFFFF
TRUNCATION = 3.0  # S_0 values are cut at +-3 sigma


def _imul(a: int, b: int) -> int:
    """32-bit multiply, low 32 bits, as JavaScript's Math.imul (read as unsigned)."""
    return (a * b) & UINT32


class Mulberry32:
    """mulberry32 uniform generator on [0, 1)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & UINT32

    def next_float(self) -> float:
        self.state = (self.state + 0x6D2B79F5) & UINT32
        t = self.state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & UINT32
        return ((t ^ (t >> 14)) & UINT32) / 4294967296.0

    def next_truncated_normal(self) -> float:
        """Standard normal draw, redrawn while |z| > 3 (float64)."""
        while True:
            u1 = self.next_float()
            u2 = self.next_float()
            z = math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2)
            if abs(z) <= TRUNCATION:
                return z


def scratchpad_sigma(init_scale: float) -> float:
    return init_scale * math.sqrt(2.0 / 5.0)


def initial_scratchpad(seed: int, chunk_size: int, hidden_size: int, init_scale: float) -> np.ndarray:
    """Return S_0 [K, D] float32, filled row-major: value = float32(z * sigma)."""
    rng = Mulberry32(seed)
    sigma = scratchpad_sigma(init_scale)
    values = [rng.next_truncated_normal() * sigma for _ in range(chunk_size * hidden_size)]
    return np.asarray(values, dtype=np.float64).astype(np.float32).reshape(chunk_size, hidden_size)
