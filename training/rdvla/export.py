"""Export an RD-VLA model directory: four ONNX graphs, manifest.json and tokenizer.json.

Run from the repository root:
    PYTHONPATH=training /usr/bin/python3 -m rdvla.export --preset tiny --random-weights --seed 0 --out DIR
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import List, Optional

from .checkpoint import ModelFileError, build_random, load_checkpoint, save_checkpoint
from .graphs import (
    BackboneGraph,
    CodaGraph,
    CoreGraph,
    PreludeGraph,
    backbone_example_inputs,
    export_graph,
    head_example_inputs,
)
from .inference import InferenceSettings
from .manifest import build_manifest, identity_normalization, load_normalization, write_json
from .presets import get_preset
from .tokenizer import TASK_WORDS, build_tokenizer_config, build_tokenizer_json

log = logging.getLogger("rdvla.export")


def parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python3 -m rdvla.export", description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=["tiny", "paper"], default="tiny", help="model sizes (default: tiny)")
    weights = parser.add_mutually_exclusive_group(required=True)
    weights.add_argument("--random-weights", action="store_true", help="export untrained, seeded weights")
    weights.add_argument("--checkpoint", type=Path, help="export the weights of a checkpoint file")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights (default: 0)")
    parser.add_argument("--head-only", action="store_true", help="skip backbone.onnx (manifest graphs.backbone is null)")
    parser.add_argument("--out", type=Path, required=True, help="output model directory")
    parser.add_argument("--name", help="model name in the manifest (default: the output folder's name)")
    parser.add_argument(
        "--norm-stats",
        type=Path,
        help='JSON {"state": {"mean", "std"}, "action": {"mean", "std"}}; default: identity statistics',
    )
    parser.add_argument("--save-checkpoint", type=Path, help="also write the exported weights as a checkpoint")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    args = parse_args(argv)

    if args.checkpoint is not None:
        try:
            preset, head, backbone = load_checkpoint(args.checkpoint)
        except ModelFileError as error:
            raise SystemExit(str(error)) from None
        source = {"preset": preset.name, "checkpoint": args.checkpoint.name, "trained": True}
    else:
        preset = get_preset(args.preset)
        if preset.backbone is None and not args.head_only:
            raise SystemExit(f"preset {preset.name!r} has no built-in backbone: pass --head-only to export the head alone")
        head, backbone = build_random(preset, args.seed, with_backbone=not args.head_only)
        source = {"preset": preset.name, "seed": args.seed, "trained": False}
    if backbone is None and not args.head_only:
        raise SystemExit(f"{args.checkpoint} contains no backbone weights: pass --head-only to export the head alone")
    if args.head_only:
        backbone = None

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    head_inputs = head_example_inputs(head)
    if backbone is not None:
        export_graph(BackboneGraph(backbone), "backbone", backbone_example_inputs(backbone), out / "backbone.onnx")
    export_graph(PreludeGraph(head), "prelude", head_inputs, out / "prelude.onnx")
    export_graph(CoreGraph(head), "core", head_inputs, out / "core.onnx")
    export_graph(CodaGraph(head), "coda", head_inputs, out / "coda.onnx")

    config = head.config
    normalization = (
        load_normalization(args.norm_stats, config.proprio_size, config.action_size)
        if args.norm_stats is not None
        else identity_normalization(config.proprio_size, config.action_size)
    )
    write_json(out / "tokenizer.json", build_tokenizer_json(TASK_WORDS))
    write_json(out / "tokenizer_config.json", build_tokenizer_config(preset.max_task_tokens))
    manifest = build_manifest(
        args.name or out.resolve().name, preset, normalization, InferenceSettings(), source, backbone is not None
    )
    write_json(out / "manifest.json", manifest)
    if args.save_checkpoint is not None:
        save_checkpoint(args.save_checkpoint, preset.name, head, backbone)

    size = sum(path.stat().st_size for path in out.glob("*.onnx"))
    log.info("wrote %s: preset %s, %d graphs, %.1f MB of ONNX", out, preset.name, len(list(out.glob("*.onnx"))), size / 1e6)


if __name__ == "__main__":
    main()
