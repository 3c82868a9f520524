"""Time the action head in PyTorch eager mode, with and without cached context projections.

    PYTHONPATH=training /usr/bin/python3 -m rdvla.bench_head --preset paper --depths 1,4,8,12,32,64 --json

Patterns:
  recompute  the public code's pattern: every core iteration and the coda project the context
             keys/values again;
  cached     the prelude projects them once per control step and every iteration reuses them.
Timings are per inference (prelude + depth iterations + coda), median of --repeats runs, with
random weights and random backbone features of the contract's shapes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Callable, Dict, List, Optional

import torch

from .model import BackboneFeatures, HeadConfig, RDVLAHead
from .presets import get_preset

PATTERNS = ("recompute", "cached")
CONTEXT_PROJECTIONS = ("norm_context", "wk_latent", "wv_latent", "wk_context", "wv_context")


def machine_threads() -> int:
    """CPU cores this process may run on (the affinity mask where the OS reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def random_features(config: HeadConfig, batch: int = 1) -> BackboneFeatures:
    """Draw standard-normal backbone features of the head's input shapes."""
    width = config.backbone_hidden_size
    return BackboneFeatures(
        torch.randn(batch, config.context_tokens, width),
        torch.randn(batch, config.latent_tokens, width),
        torch.randn(batch, config.context_tokens, width),
        torch.randn(batch, config.latent_tokens, width),
    )


def infer_recompute(head: RDVLAHead, features: BackboneFeatures, proprio: torch.Tensor, depth: int) -> torch.Tensor:
    proprio_token = head.proprio_proj(proprio).unsqueeze(1)
    mid_latent = torch.cat([features.mid_latent, proprio_token], dim=1)
    last_latent = torch.cat([features.last_latent, proprio_token], dim=1)
    queries = head.queries.unsqueeze(0)
    s_pre = head.prelude_norm(head.prelude(queries, head.prelude.project_context(mid_latent, features.mid_context)))

    s = head.random_scratchpad(1)
    for _ in range(depth):
        s = head.core_step_recomputing_context(s, s_pre, last_latent, features.last_context)
    return head.decode(s, head.coda.project_context(last_latent, features.last_context))


def infer_cached(head: RDVLAHead, features: BackboneFeatures, proprio: torch.Tensor, depth: int) -> torch.Tensor:
    context = head.encode(features, proprio)
    s = head.iterate(context, head.random_scratchpad(1), depth)
    return head.decode(s, context.coda_kv)


def median_ms(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: allocator and thread pool
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1e3)
    return statistics.median(samples)


def parameter_bytes_per_iteration(head: RDVLAHead) -> Dict[str, int]:
    """Bytes of weights one core iteration reads, per pattern."""
    adapter = sum(p.numel() * p.element_size() for n, p in head.named_parameters() if n.startswith(("adapter", "core_norm")))
    core_all = sum(p.numel() * p.element_size() for p in head.core.parameters())
    context_only = sum(
        p.numel() * p.element_size() for n, p in head.core.named_parameters() if any(part in n for part in CONTEXT_PROJECTIONS)
    )
    return {"recompute": adapter + core_all, "cached": adapter + core_all - context_only}


def flops_per_iteration(config: HeadConfig) -> Dict[str, int]:
    """Floating-point operations of one core iteration (a multiply-add counts 2), per pattern.

    Norms, softmax and activations are left out: they are a small share at these sizes.
    """
    k, dim, width, ffn = config.chunk_size, config.hidden_size, config.backbone_hidden_size, config.ffn_size
    keys = config.latent_tokens + 1 + config.context_tokens
    adapter = 2 * k * (2 * dim) * dim
    per_layer = (
        4 * 2 * k * dim * dim  # self-attention q, k, v, o
        + 2 * 2 * k * k * dim  # self-attention scores and mix
        + 2 * 2 * k * dim * dim  # cross-attention q, o
        + 2 * 2 * k * keys * dim  # cross-attention scores and mix
        + 3 * 2 * k * dim * ffn  # SwiGLU
    )
    context_projections = 2 * 2 * keys * width * dim  # k and v of both sets
    cached = adapter + config.core_layers * per_layer
    return {"recompute": cached + config.core_layers * context_projections, "cached": cached}


def run_benchmark(preset_name: str, depths: List[int], repeats: int, seed: int = 0) -> dict:
    threads = machine_threads()
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    config = get_preset(preset_name).head
    head = RDVLAHead(config).eval()
    features = random_features(config)
    proprio = torch.randn(1, config.proprio_size)

    patterns = {"recompute": infer_recompute, "cached": infer_cached}
    results: Dict[str, Dict[str, float]] = {}
    with torch.no_grad():
        for name, infer in patterns.items():
            results[name] = {str(d): round(median_ms(lambda: infer(head, features, proprio, d), repeats), 3) for d in depths}

    return {
        **results,
        "perIterationMs": {name: round(_slope(depths, results[name]), 3) for name in PATTERNS},
        "parameterBytesPerIteration": parameter_bytes_per_iteration(head),
        "flopsPerIteration": flops_per_iteration(config),
        "preset": preset_name,
        "parameters": sum(p.numel() for p in head.parameters()),
        "threads": threads,
        "repeats": repeats,
        "torch": torch.__version__,
    }


def _slope(depths: List[int], timings: Dict[str, float]) -> float:
    """Least-squares ms per iteration over the measured depths (0 with a single depth)."""
    if len(depths) < 2:
        return 0.0
    mean_d = statistics.mean(depths)
    mean_t = statistics.mean(timings[str(d)] for d in depths)
    spread = sum((d - mean_d) ** 2 for d in depths)
    return sum((d - mean_d) * (timings[str(d)] - mean_t) for d in depths) / spread


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python3 -m rdvla.bench_head", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["tiny", "paper"], default="paper", help="head sizes (default: paper)")
    parser.add_argument("--depths", default="1,4,8,12,32,64", help="comma-separated iteration counts")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per depth, after one warm-up run")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    depths = [int(value) for value in args.depths.split(",") if value.strip()]
    if not depths or min(depths) < 1:
        parser.error(f"--depths must list iteration counts of at least 1, got {args.depths!r}")

    report = run_benchmark(args.preset, depths, args.repeats)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"preset {report['preset']}, {report['parameters'] / 1e6:.1f} M parameters, {report['threads']} threads")
    print("depth  " + "  ".join(f"{name:>12}" for name in PATTERNS) + "   (ms per inference)")
    for depth in depths:
        print(f"{depth:>5}  " + "  ".join(f"{report[name][str(depth)]:>12.2f}" for name in PATTERNS))
    for name in PATTERNS:
        print(
            f"{name}: {report['perIterationMs'][name]:.2f} ms, "
            f"{report['flopsPerIteration'][name] / 1e9:.2f} GFLOP, "
            f"{report['parameterBytesPerIteration'][name] / 1e6:.1f} MB of weights per iteration"
        )


if __name__ == "__main__":
    main()
