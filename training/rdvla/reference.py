"""Write parity fixtures: inputs and the PyTorch model's outputs for the TypeScript runtime's tests.

    PYTHONPATH=training /usr/bin/python3 -m rdvla.reference --model native-models/rdvla-tiny-sim \\
        --out native-models/rdvla-tiny-sim/parity.json

The expected outputs come from the PyTorch modules, not from the ONNX graphs, so the fixtures
check the export as well as the runtime.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
from pathlib import Path
from typing import List, Optional

import numpy as np

from .checkpoint import ModelFileError
from .policy import TorchPolicy

log = logging.getLogger("rdvla.reference")

FIXED_DEPTHS = (1, 4, 12)
# Preferred k* per adaptive mode: binary past its threshold, linear past tauBase or, for a core
# that converges within a few iterations, just past its full-chunk limit.
TARGET_K = {"converge": (6, 5, 7, 8, 4, 9, 10), "binary": (7, 6, 8, 5, 9, 10), "linear": (10, 11, 9, 12, 13, 14, 15, 16, 8, 7)}
DELTA_MARGIN = 1.5  # delta sits this factor away from the neighbouring trace values, at least

CASES = [
    {
        "name": "both-grippers",
        "task": "move the left gripper to the red cube and the right gripper to the blue cube",
        "seed": 7,
        "imageSeed": 1,
    },
    {
        "name": "unknown-words",
        "task": "Reach the GREEN target, then push the yellow block!",
        "seed": 3141592653,
        "imageSeed": 2,
    },
]


def synthetic_image(rng: np.random.RandomState, height: int, width: int) -> np.ndarray:
    """Draw a gradient background with a few coloured squares, uint8 [H, W, 3]."""
    rows = np.linspace(0, 1, height)[:, None]
    cols = np.linspace(0, 1, width)[None, :]
    base = rng.uniform(0.2, 0.8, size=3)
    image = np.stack([base[c] * 200 * (0.5 + 0.5 * rows) + 40 * cols for c in range(3)], axis=-1)
    for _ in range(3):
        size = rng.randint(height // 8, height // 3)
        top, left = rng.randint(0, height - size), rng.randint(0, width - size)
        image[top : top + size, left : left + size] = rng.randint(0, 256, size=3)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def choose_delta(trace: List[float], targets: tuple) -> Optional[float]:
    """Pick delta so the convergence stop lands on the first reachable target k*, with a margin.

    trace[i] is the change at k = i + 2. A delta between trace[k-2] and the smallest earlier
    change stops at exactly k; the geometric mean keeps it DELTA_MARGIN away from both.
    """
    for k in targets:
        if k - 2 >= len(trace) or k < 3:
            continue
        current, earlier = trace[k - 2], min(trace[: k - 2])
        if earlier >= current * DELTA_MARGIN**2:
            return math.sqrt(current * earlier)
    return None


def run_record(policy: TorchPolicy, images, case: dict, mode: str, depth=None, delta=None) -> dict:
    result = policy.act(images, case["task"], case["state"], case["seed"], mode, depth=depth, delta=delta)
    record = {"mode": mode}
    if depth is not None:
        record["depth"] = depth
    if delta is not None:
        record["delta"] = delta
    record.update(
        {
            "actions": [[float(value) for value in row] for row in result.actions.tolist()],
            "kStar": result.k_star,
            "horizon": result.horizon,
            "trace": result.trace,
        }
    )
    return record


def build_case(policy: TorchPolicy, spec: dict) -> dict:
    manifest = policy.manifest
    height, width = manifest["image"]["height"], manifest["image"]["width"]
    rng = np.random.RandomState(spec["imageSeed"])
    images = {camera: synthetic_image(rng, height, width) for camera in manifest["cameras"]}
    state = [float(np.float32(value)) for value in rng.normal(0.0, 0.3, size=manifest["proprioSize"])]
    case = {"name": spec["name"], "task": spec["task"], "seed": spec["seed"], "state": state}
    tokens = policy.encode_task(spec["task"])

    context = policy.context(images, spec["task"], state)
    runs = [run_record(policy, images, case, "fixed", depth=depth) for depth in FIXED_DEPTHS]
    full = policy.act(images, spec["task"], state, spec["seed"], "converge", delta=0.0)
    for mode, targets in TARGET_K.items():
        delta = choose_delta(full.trace, targets)
        if delta is None:
            log.warning("%s: no delta puts k* for %s mode on %s; skipping that run", spec["name"], mode, targets)
            continue
        runs.append(run_record(policy, images, case, mode, delta=delta))

    case.update(
        {
            "inputIds": tokens["input_ids"][0].tolist(),
            "attentionMask": tokens["attention_mask"][0].tolist(),
            "images": {camera: images[camera].reshape(-1).tolist() for camera in manifest["cameras"]},
            "debug": {
                "sPreFirst8": [float(v) for v in context.s_pre[0, 0, :8]],
                "scratchpadFirst16": [float(v) for v in policy.initial_scratchpad(spec["seed"])[0].reshape(-1)[:16]],
            },
            "runs": runs,
        }
    )
    return case


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python3 -m rdvla.reference", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="exported model directory")
    parser.add_argument("--out", type=Path, required=True, help="parity JSON file to write")
    parser.add_argument("--checkpoint", type=Path, help="weights the model was exported from (trained models)")
    args = parser.parse_args(argv)

    try:
        policy = TorchPolicy.from_model_dir(args.model, args.checkpoint)
    except ModelFileError as error:
        raise SystemExit(str(error)) from None
    config = policy.head.config
    scratchpad_checks = [
        {"seed": seed, "first16": [float(v) for v in policy.initial_scratchpad(seed)[0].reshape(-1)[:16]]}
        for seed in (0, 1, 4294967295)
    ]
    document = {
        "format": "rdvla-parity",
        "formatVersion": 1,
        "model": policy.manifest["name"],
        "imageLayout": "HWC uint8, row-major, RGB interleaved",
        "scratchpad": {"chunkSize": config.chunk_size, "hiddenSize": config.hidden_size, "checks": scratchpad_checks},
        "cases": [build_case(policy, spec) for spec in CASES],
    }
    args.out.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    log.info("wrote %s: %d cases, %.0f kB", args.out, len(document["cases"]), args.out.stat().st_size / 1e3)


if __name__ == "__main__":
    main()
