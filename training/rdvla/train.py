"""Train an RD-VLA policy on episodes of the app's database and export a model directory.

    PYTHONPATH=training /usr/bin/python3 -m rdvla.train --db episodes.db --out models/my-policy --steps 2000

Each optimiser step draws one recurrence depth N from the log-normal Poisson schedule, the same N
on every process. The first N - 8 core iterations run without gradients and the last 8 with them
(truncated backpropagation through time). The loss is L1 on the normalised action chunk. The backbone (the tiny preset's, trained from scratch) and the head train together with
AdamW, linear warm-up and cosine decay.

More machines or GPUs: start it through torchrun, e.g.
    torchrun --nproc_per_node 8 -m rdvla.train --db episodes.db --out DIR --device cuda
Each process draws its own batches of --batch-size samples and DistributedDataParallel averages
the gradients; process 0 writes checkpoints and the export.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sqlite3
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn

from .checkpoint import ModelFileError, build_random, save_checkpoint
from .data import ChunkDataset, DatasetError, EpisodeQuery, Normalization, compute_normalization, load_episodes
from .export import main as export_main
from .manifest import read_manifest, write_json
from .model import RDVLAHead, l1_chunk_loss, sample_training_depth
from .presets import IMAGE_MEAN, IMAGE_STD, get_preset
from .backbone import TinyBackbone
from .tokenizer import TASK_WORDS, WordLevelTokenizer, build_tokenizer_json
from .train_state import TrainState, apply_train_state, read_train_state, save_train_state

log = logging.getLogger("rdvla.train")

STATE_FILE = Path("training") / "state.pt"
NORMALIZATION_FILE = Path("training") / "normalization.json"
CHECKPOINT_FILE = "checkpoint.pt"

# Streams of the per-step random generators, so batches, depths, S_0 and noise never share draws.
DEPTH_STREAM, SCRATCHPAD_STREAM, BATCH_STREAM, NOISE_STREAM, GOAL_STREAM = 1, 2, 3, 4, 5


@dataclass
class TrainOptions:
    db: Path
    out: Path
    task: Optional[str] = None
    outcomes: tuple = ("success", "unlabelled")
    kinds: tuple = ("teleop",)
    include_incomplete: bool = False
    preset: str = "tiny"
    steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3
    min_lr_ratio: float = 0.1
    warmup_steps: int = 100
    weight_decay: float = 0.01
    grad_clip: float = 1.0
    depth_mean: int = 32
    bptt_depth: int = 8
    state_noise: float = 0.0
    goal_weight: float = 0.0
    seed: int = 0
    device: str = "auto"
    resume: bool = False
    checkpoint_every: int = 200
    log_every: int = 10
    progress: str = "text"
    export: bool = True
    name: Optional[str] = None


class VLAPolicy(nn.Module):
    """Backbone and head trained as one module (DistributedDataParallel wraps this)."""

    def __init__(self, backbone: TinyBackbone, head: RDVLAHead) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = head

    def forward(
        self,
        images: torch.Tensor,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        proprio: torch.Tensor,
        s0: torch.Tensor,
        iterations: int,
        bptt_depth: int,
        goal_inputs: Optional[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = None,
    ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Return the normalised action chunk [B, K, A] and the goal map's prediction for goal_inputs.

        goal_inputs, a second batch of (images, input_ids, attention_mask), gets the predicted last
        joint state [B2, P]; without it the prediction is None.
        """
        features = self.backbone(images, input_ids, attention_mask)
        goal = self.backbone.goal(*goal_inputs) if goal_inputs is not None else None
        return self.head(features, proprio, iterations, s0=s0, bptt_depth=bptt_depth), goal


def learning_rate_factor(step: int, warmup_steps: int, total_steps: int, min_ratio: float) -> float:
    """Linear warm-up to 1 over warmup_steps, then cosine decay to min_ratio at total_steps."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * progress))


def step_generator(seed: int, step: int, stream: int, rank: int = 0) -> torch.Generator:
    """A generator that depends only on (seed, step, stream, rank), so a resumed run draws the same."""
    return torch.Generator().manual_seed(((seed * 1_000_003 + step) * 16 + stream) * 4096 + rank)


def resolve_device(name: str, local_rank: int) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: this PyTorch build sees no CUDA GPU; pass --device cpu")
        return torch.device("cuda", local_rank)
    try:
        return torch.device(name)
    except RuntimeError:
        raise SystemExit(f"--device {name} is invalid: use auto, cpu, cuda or a PyTorch device such as cuda:1") from None


class Distributed:
    """Process group from torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK); one process without it."""

    def __init__(self, device_name: str) -> None:
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = resolve_device(device_name, self.local_rank)
        if self.world_size > 1:
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def close(self) -> None:
        if self.enabled:
            dist.destroy_process_group()


class Progress:
    """Loss, iterations per second and time left, as text on stderr or JSON lines on stdout."""

    def __init__(self, options: TrainOptions, first_step: int) -> None:
        self.options = options
        self.started = time.monotonic()
        self.first_step = first_step
        self.losses: List[float] = []

    def update(self, step: int, loss: float, lr: float, depth: int) -> None:
        self.losses.append(loss)
        done = step + 1
        if done % self.options.log_every != 0 and done != self.options.steps:
            return
        elapsed = time.monotonic() - self.started
        rate = (done - self.first_step) / elapsed if elapsed > 0 else 0.0
        left_s = (self.options.steps - done) / rate if rate > 0 else float("nan")
        mean_loss = sum(self.losses) / len(self.losses)
        self.losses.clear()
        if self.options.progress == "json":
            record = {"event": "progress", "step": done, "steps": self.options.steps, "loss": mean_loss, "lr": lr,
                      "depth": depth, "itPerS": rate, "leftS": left_s if math.isfinite(left_s) else None}
            print(json.dumps(record), flush=True)
        else:
            log.info("step %d/%d loss %.4f lr %.2e depth %d, %.2f it/s, %s left",
                     done, self.options.steps, mean_loss, lr, depth, rate, format_duration(left_s))


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def build_dataset(options: TrainOptions, normalization: Optional[Normalization]) -> ChunkDataset:
    preset = get_preset(options.preset)
    query = EpisodeQuery(options.task, options.outcomes, options.kinds, options.include_incomplete)
    episodes = load_episodes(
        options.db, query, preset.cameras, preset.image_size, preset.head.proprio_size, preset.head.action_size
    )
    return ChunkDataset(
        episodes,
        normalization if normalization is not None else compute_normalization(episodes),
        WordLevelTokenizer(build_tokenizer_json(TASK_WORDS)),
        preset.head.chunk_size,
        preset.max_task_tokens,
        preset.cameras,
        IMAGE_MEAN,
        IMAGE_STD,
    )


def build_training(options: TrainOptions, device: torch.device):
    """Build the model, optimiser and schedule; returns (preset, policy, optimizer, scheduler)."""
    preset = get_preset(options.preset)
    if preset.backbone is None:
        raise SystemExit(f"preset {options.preset!r} has no built-in backbone to train: use --preset tiny")
    preset.head.mean_recurrence = options.depth_mean  # scales the output projections' initial weights
    preset.head.bptt_depth = options.bptt_depth
    head, backbone = build_random(preset, options.seed)
    if options.goal_weight > 0 and backbone.goal_map is None:
        raise SystemExit(f"--goal-weight: preset {options.preset!r} has no goal map to train; drop --goal-weight")
    policy = VLAPolicy(backbone.train(), head.train()).to(device)

    optimizer = torch.optim.AdamW(policy.parameters(), lr=options.lr, weight_decay=options.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: learning_rate_factor(step, options.warmup_steps, options.steps, options.min_lr_ratio),
    )
    return preset, policy, optimizer, scheduler


def train_step(
    model: nn.Module, dataset: ChunkDataset, options: TrainOptions, step: int, rank: int, device: torch.device, optimizer
) -> tuple:
    """Run one optimiser step; returns (loss, depth)."""
    head: RDVLAHead = (model.module if hasattr(model, "module") else model).head
    depth = sample_training_depth(options.depth_mean, step_generator(options.seed, step, DEPTH_STREAM))
    indices = torch.randint(len(dataset), (options.batch_size,), generator=step_generator(options.seed, step, BATCH_STREAM, rank))
    batch = {key: value.to(device) for key, value in dataset.batch(indices.tolist()).items()}
    s0 = head.random_scratchpad(options.batch_size, step_generator(options.seed, step, SCRATCHPAD_STREAM, rank)).to(device)
    if options.state_noise > 0:
        # Noise in joint units, scaled into the normalised state the model reads.
        scale = torch.from_numpy(options.state_noise / dataset.normalization.state_std.astype("float32")).to(device)
        noise = torch.randn(batch["proprio"].shape, generator=step_generator(options.seed, step, NOISE_STREAM, rank)).to(device)
        batch["proprio"] = batch["proprio"] + noise * scale

    goal_batch, goal_inputs = None, None
    if options.goal_weight > 0:
        # The goal loss reads its own batch of start samples, twice the size: they are cheap, since
        # the goal map runs before the transformer layers.
        draw = torch.randint(len(dataset.start_samples), (2 * options.batch_size,), generator=step_generator(options.seed, step, GOAL_STREAM, rank))
        goal_batch = {key: value.to(device) for key, value in dataset.batch(dataset.start_samples[draw.numpy()].tolist()).items()}
        goal_inputs = (goal_batch["images"], goal_batch["input_ids"], goal_batch["attention_mask"])
    predicted, goal = model(
        batch["images"], batch["input_ids"], batch["attention_mask"], batch["proprio"], s0, depth, options.bptt_depth,
        goal_inputs,
    )
    loss = l1_chunk_loss(predicted, batch["actions"])
    if goal_batch is not None:
        loss = loss + options.goal_weight * (goal - goal_batch["final_state"]).abs().mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if options.grad_clip > 0:
        nn.utils.clip_grad_norm_(model.parameters(), options.grad_clip)
    optimizer.step()
    return float(loss.detach()), depth


def run_training(options: TrainOptions) -> VLAPolicy:
    """Train (or resume) and, on process 0, write checkpoints and the export. Returns the trained module."""
    distributed = Distributed(options.device)
    try:
        return _train(options, distributed)
    finally:
        distributed.close()


def _train(options: TrainOptions, distributed: Distributed) -> VLAPolicy:
    out = Path(options.out)
    if out.exists() and not out.is_dir():
        raise SystemExit(f"--out {out} is a file, not a folder: pass the model folder to write")
    state_path = out / STATE_FILE
    if state_path.exists() and not options.resume:
        raise SystemExit(f"{out} already contains a training run: pass --resume to continue it, or choose another --out")
    if not state_path.exists() and (out / "manifest.json").exists():
        raise SystemExit(f"{out} already contains a model and no training state to resume: choose another --out, or delete the model first")
    if not state_path.exists() and out.is_dir() and any(out.iterdir()):
        raise SystemExit(f"{out} is a folder with other files in it: pass a new or empty folder as --out, so the model does not mix with them")
    if options.resume and not state_path.exists():
        raise SystemExit(f"--resume: {state_path} not found, so there is no run to continue: drop --resume to start one")

    device = distributed.device
    preset, policy, optimizer, scheduler = build_training(options, device)
    saved: Optional[TrainState] = None
    if options.resume:
        document = read_train_state(state_path)
        changed = changed_settings(document["options"], asdict_options(options))
        if changed:
            raise SystemExit(f"{out}: --resume with settings that differ from the saved run ({changed}): pass the saved values, or start a new run")
        saved = apply_train_state(document, policy, optimizer, scheduler, state_path)
    if saved is not None and saved.step >= options.steps:
        raise SystemExit(f"{out}: the saved run already finished {saved.step} steps: pass a larger --steps to train further")
    dataset = build_dataset(options, saved.normalization if saved else None)
    if saved is not None and saved.episode_ids != dataset.episode_ids():
        raise SystemExit(
            f"{out}: the run was trained on episodes {saved.episode_ids} but the filters now select "
            f"{dataset.episode_ids()}: pass the same --db, --task, --outcome and --kind, or start a new run"
        )
    first_step = saved.step if saved is not None else 0
    planned = saved.options.get("steps") if saved is not None else None
    if distributed.is_main and planned is not None and planned != options.steps:
        # The cosine decay follows --steps, so a new total moves the learning rate of the remaining
        # steps (unless they all lie in the warm-up).
        before = learning_rate_factor(first_step, options.warmup_steps, planned, options.min_lr_ratio) * options.lr
        after = learning_rate_factor(first_step, options.warmup_steps, options.steps, options.min_lr_ratio) * options.lr
        if not math.isclose(before, after, rel_tol=1e-6):
            log.warning("--steps %d differs from the saved run's %d: the learning-rate decay now spans %d steps, "
                        "so the rate at step %d changes from %.2e to %.2e", options.steps, planned, options.steps, first_step, before, after)

    model: nn.Module = policy
    if distributed.enabled:
        model = nn.parallel.DistributedDataParallel(policy, device_ids=[device.index] if device.type == "cuda" else None)
    if distributed.is_main:
        parameters = sum(p.numel() for p in policy.parameters())
        log.info("training %s (%.2f M parameters) on %s x %d, steps %d..%d, batch %d per process, depth mean %d, bptt %d, state noise %g, goal weight %g",
                 preset.name, parameters / 1e6, device, distributed.world_size, first_step, options.steps,
                 options.batch_size, options.depth_mean, options.bptt_depth, options.state_noise, options.goal_weight)

    def save(step: int, loss: float) -> None:
        if distributed.is_main:
            save_train_state(state_path, TrainState(step, loss, dataset.normalization, dataset.episode_ids(), asdict_options(options)),
                             policy, optimizer, scheduler)

    progress = Progress(options, first_step)
    loss = float("nan")
    completed = first_step
    try:
        for step in range(first_step, options.steps):
            loss, depth = train_step(model, dataset, options, step, distributed.rank, device, optimizer)
            if not math.isfinite(loss):
                state_message = (
                    f"The last saved state ({state_path}, every {options.checkpoint_every} steps) is unchanged."
                    if state_path.exists()
                    else "No training state was saved yet."
                )
                raise SystemExit(
                    f"the loss became {loss} at step {step + 1}, so training stopped and nothing was exported: "
                    f"lower --lr, or check the episodes. {state_message}"
                )
            scheduler.step()
            completed = step + 1
            if distributed.is_main:
                progress.update(step, loss, scheduler.get_last_lr()[0], depth)
            if completed % options.checkpoint_every == 0 and completed < options.steps:
                save(completed, loss)
    except KeyboardInterrupt:
        save(completed, loss)
        log.info("interrupted after step %d: state saved to %s, continue with --resume", completed, state_path)
        raise

    save(options.steps, loss)
    if distributed.is_main and options.export:
        export_model(options, preset.name, policy, dataset, loss)
    return policy


# Settings a resumed run must keep, because they decide its batches, depths, noise and schedule.
RUN_SETTINGS = ("batch_size", "lr", "min_lr_ratio", "warmup_steps", "weight_decay", "grad_clip", "depth_mean", "bptt_depth", "state_noise", "goal_weight", "seed")


def changed_settings(saved: dict, current: dict) -> str:
    """List the run settings that differ between a saved run and this one, e.g. "batch_size 4 -> 8"."""
    changed = [f"{name} {saved[name]} -> {current[name]}" for name in RUN_SETTINGS if name in saved and saved[name] != current[name]]
    return ", ".join(changed)


def asdict_options(options: TrainOptions) -> dict:
    return {key: str(value) if isinstance(value, Path) else value for key, value in asdict(options).items()}


def export_model(options: TrainOptions, preset_name: str, policy: VLAPolicy, dataset: ChunkDataset, loss: float) -> None:
    """Write checkpoint.pt and the ONNX model directory the app loads, with the data's statistics."""
    out = Path(options.out)
    backbone, head = policy.backbone.cpu().eval(), policy.head.cpu().eval()
    save_checkpoint(out / CHECKPOINT_FILE, preset_name, head, backbone)
    write_json(out / NORMALIZATION_FILE, dataset.normalization.to_manifest())
    arguments = ["--checkpoint", str(out / CHECKPOINT_FILE), "--norm-stats", str(out / NORMALIZATION_FILE), "--out", str(out)]
    if options.name:
        arguments += ["--name", options.name]
    export_main(arguments)

    manifest = read_manifest(out)
    manifest["source"]["training"] = {
        "steps": options.steps,
        "episodes": len(dataset.episodes),
        "samples": len(dataset),
        "task": options.task,
        "depthMean": options.depth_mean,
        "bpttDepth": options.bptt_depth,
        "stateNoise": options.state_noise,
        "goalWeight": options.goal_weight,
        "batchSize": options.batch_size,
        "finalLoss": loss,
    }
    write_json(out / "manifest.json", manifest)
    if options.progress == "json":
        print(json.dumps({"event": "exported", "out": str(out), "finalLoss": loss}), flush=True)


def comma_list(value: str) -> tuple:
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    return () if items == ("any",) else items


def parse_args(argv: Optional[List[str]]) -> TrainOptions:
    parser = argparse.ArgumentParser(prog="python3 -m rdvla.train", description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="episode database (SQLite) written by the app")
    parser.add_argument("--out", type=Path, required=True, help="model directory to write (training state in DIR/training/)")
    parser.add_argument("--task", help="train only on episodes with exactly this task text (default: every task)")
    parser.add_argument("--outcome", type=comma_list, default=("success", "unlabelled"),
                        help="comma-separated outcomes to train on, or 'any' (default: success,unlabelled)")
    parser.add_argument("--kind", type=comma_list, default=("teleop",), help="comma-separated episode kinds, or 'any' (default: teleop)")
    parser.add_argument("--include-incomplete", action="store_true", help="also train on episodes whose recording did not finish")
    parser.add_argument("--preset", choices=["tiny"], default="tiny", help="model sizes (default: tiny)")
    parser.add_argument("--steps", type=int, default=2000, help="optimiser steps in total, counting resumed ones (default: 2000)")
    parser.add_argument("--batch-size", type=int, default=32, help="samples per step per process (default: 32)")
    parser.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default: 1e-3)")
    parser.add_argument("--warmup-steps", type=int, default=100, help="linear warm-up steps (default: 100)")
    parser.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay (default: 0.01)")
    parser.add_argument("--depth-mean", type=int, default=32,
                        help="mean of the training depth schedule (default: 32; a CPU run of the tiny model may use 8)")
    parser.add_argument("--bptt-depth", type=int, default=8, help="last iterations that keep gradients (default: 8)")
    parser.add_argument("--state-noise", type=float, default=0.0,
                        help="standard deviation of Gaussian noise added to the joint state in training, in joint units "
                             "(radians; gripper 0..1), so the policy cannot read the task from the state alone (default: 0)")
    parser.add_argument("--goal-weight", type=float, default=0.0,
                        help="weight of an auxiliary L1 loss that predicts each episode's last joint state from the "
                             "backbone at every step, so the backbone learns to find the goal in the cameras (default: 0)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights, batches, depths and S_0 (default: 0)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or a torch device name (default: auto)")
    parser.add_argument("--resume", action="store_true", help="continue the run saved in DIR/training/state.pt")
    parser.add_argument("--checkpoint-every", type=int, default=200, help="steps between saved training states (default: 200)")
    parser.add_argument("--log-every", type=int, default=10, help="steps between progress reports (default: 10)")
    parser.add_argument("--progress", choices=["text", "json"], default="text", help="progress as text on stderr or JSON lines on stdout")
    parser.add_argument("--no-export", dest="export", action="store_false", help="skip writing the ONNX model directory")
    parser.add_argument("--name", help="model name in the manifest (default: the output folder's name)")
    parser.add_argument("--threads", type=int, help="PyTorch CPU threads per process (default: PyTorch's choice)")
    args = parser.parse_args(argv)

    if not math.isfinite(args.state_noise) or args.state_noise < 0:
        parser.error(f"--state-noise must be a finite number of at least 0, got {args.state_noise}")
    if not math.isfinite(args.goal_weight) or args.goal_weight < 0:
        parser.error(f"--goal-weight must be a finite number of at least 0, got {args.goal_weight}")
    if not math.isfinite(args.lr) or args.lr <= 0:
        parser.error(f"--lr must be a finite number above 0, got {args.lr}")
    for flag, value, minimum in (("--steps", args.steps, 1), ("--batch-size", args.batch_size, 1), ("--depth-mean", args.depth_mean, 1),
                                 ("--bptt-depth", args.bptt_depth, 1), ("--warmup-steps", args.warmup_steps, 1),
                                 ("--checkpoint-every", args.checkpoint_every, 1), ("--log-every", args.log_every, 1)):
        if value < minimum:
            parser.error(f"{flag} must be at least {minimum}, got {value}")
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    return TrainOptions(
        db=args.db, out=args.out, task=args.task, outcomes=args.outcome, kinds=args.kind, include_incomplete=args.include_incomplete,
        preset=args.preset, steps=args.steps, batch_size=args.batch_size, lr=args.lr, warmup_steps=args.warmup_steps,
        weight_decay=args.weight_decay, depth_mean=args.depth_mean, bptt_depth=args.bptt_depth, state_noise=args.state_noise,
        goal_weight=args.goal_weight, seed=args.seed,
        device=args.device, resume=args.resume, checkpoint_every=args.checkpoint_every, log_every=args.log_every,
        progress=args.progress, export=args.export, name=args.name,
    )


def main(argv: Optional[List[str]] = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s", stream=sys.stderr)
    options = parse_args(argv)
    try:
        run_training(options)
    except (DatasetError, ModelFileError) as error:
        raise SystemExit(str(error)) from None
    except sqlite3.DatabaseError as error:
        raise SystemExit(f"{options.db} failed to open ({error}): the database is damaged, so train on a backup or a copy that opens") from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None


if __name__ == "__main__":
    main()
