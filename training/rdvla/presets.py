"""Named model sizes: `paper` (the released head) and `tiny` (CPU-sized, for the simulator)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional

from .backbone import BackboneConfig
from .model import HeadConfig, paper_head_config
from .tokenizer import TASK_WORDS

CAMERAS = ["cam_high", "cam_left_wrist", "cam_right_wrist"]
ARM_JOINTS = ["waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper"]
JOINT_NAMES = [f"{side}_{joint}" for side in ("left", "right") for joint in ARM_JOINTS]

# ImageNet statistics, the usual choice for RGB encoders.
IMAGE_MEAN = [0.485, 0.456, 0.406]
IMAGE_STD = [0.229, 0.224, 0.225]


@dataclass
class Preset:
    name: str
    head: HeadConfig
    backbone: Optional[BackboneConfig]  # None: the backbone is an external model
    cameras: List[str]
    image_size: int
    max_task_tokens: int


def tiny_preset() -> Preset:
    # [PAD], [UNK] and the task words: the tokenizer's vocabulary.
    backbone = BackboneConfig(
        vocab_size=2 + len(set(TASK_WORDS)), cameras=len(CAMERAS), stem_channels=8, token_locations=True, goal_size=len(JOINT_NAMES)
    )
    # 25 actions (0.5 s at 50 Hz), the ALOHA-style chunk. With 8 actions (0.16 s) every target is so
    # close to the joint state that the policy can score well by repeating the state.
    head = HeadConfig(
        hidden_size=64,
        heads=4,
        chunk_size=25,
        core_layers=2,
        ffn_size=256,
        action_size=len(JOINT_NAMES),
        proprio_size=len(JOINT_NAMES),
        backbone_hidden_size=backbone.hidden_size,
        latent_tokens=backbone.latent_tokens,
        context_tokens=backbone.context_tokens,
    )
    return Preset("tiny", head, backbone, CAMERAS, backbone.image_size, backbone.max_task_tokens)


def paper_preset() -> Preset:
    # The RD-VLA paper's backbone (Qwen2.5-0.5B with DINOv2 + SigLIP) is not built here.
    return Preset("paper", paper_head_config(), None, ["cam_high", "cam_left_wrist"], 224, 32)


def get_preset(name: str) -> Preset:
    presets = {"tiny": tiny_preset, "paper": paper_preset}
    if name not in presets:
        raise ValueError(f"unknown preset {name!r}: expected one of {sorted(presets)}")
    return presets[name]()
