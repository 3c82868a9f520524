"""Training state for --resume: weights, optimiser, schedule, step and the data's statistics.

Batches, depths and S_0 are drawn from generators seeded by the step number, so the step is all
a resumed run needs to continue with the same draws.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import List

import torch
import torch.nn as nn

from .checkpoint import ModelFileError, load_weights, read_torch_file
from .data import Normalization

STATE_FORMAT = "rdvla-train-state"


@dataclass
class TrainState:
    step: int  # optimiser steps completed
    loss: float  # loss of the last step
    normalization: Normalization
    episode_ids: List[int]
    options: dict


def save_train_state(path: Path, state: TrainState, model: nn.Module, optimizer, scheduler) -> None:
    """Write the state to path through a temporary file, so a crash leaves the previous state intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "format": STATE_FORMAT,
        "step": state.step,
        "loss": state.loss,
        "normalization": state.normalization.to_manifest(),
        "episode_ids": state.episode_ids,
        "options": state.options,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
    }
    partial = path.with_name(path.name + ".partial")
    torch.save(document, str(partial))
    os.replace(partial, path)


def read_train_state(path: Path) -> dict:
    """Read a saved training state without applying it, so its settings can be checked first."""
    try:
        document = read_torch_file(path, "a training state", "restore it from a backup or start a new run in another --out")
    except ModelFileError as error:
        raise SystemExit(str(error)) from None
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise SystemExit(f"{path} is not an RD-VLA training state (expected format {STATE_FORMAT!r})")
    return document


def apply_train_state(document: dict, model: nn.Module, optimizer, scheduler, path: Path) -> TrainState:
    """Load the weights, optimiser and schedule of a state read from path into the given objects, and return the other fields."""
    load_weights(model, document["model"], path)
    optimizer.load_state_dict(document["optimizer"])
    scheduler.load_state_dict(document["scheduler"])
    return TrainState(
        document["step"],
        document["loss"],
        Normalization.from_manifest(document["normalization"]),
        list(document["episode_ids"]),
        document["options"],
    )


def load_train_state(path: Path, model: nn.Module, optimizer, scheduler) -> TrainState:
    """Load the weights, optimiser and schedule into the given objects, and return the other fields."""
    return apply_train_state(read_train_state(path), model, optimizer, scheduler, path)
