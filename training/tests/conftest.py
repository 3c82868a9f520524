import sys
from pathlib import Path

import pytest
import torch

TRAINING_DIR = Path(__file__).resolve().parents[1]
REPO_DIR = TRAINING_DIR.parent
sys.path.insert(0, str(TRAINING_DIR))

from rdvla.export import main as export_main  # noqa: E402
from rdvla.model import HeadConfig, RDVLAHead  # noqa: E402


@pytest.fixture
def small_config() -> HeadConfig:
    return HeadConfig(
        hidden_size=32,
        heads=4,
        chunk_size=4,
        core_layers=2,
        ffn_size=64,
        action_size=3,
        proprio_size=5,
        backbone_hidden_size=24,
        latent_tokens=3,
        context_tokens=7,
    )


@pytest.fixture
def small_head(small_config: HeadConfig) -> RDVLAHead:
    torch.manual_seed(0)
    return RDVLAHead(small_config)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """The tiny preset exported once per test session."""
    out = tmp_path_factory.mktemp("rdvla-tiny")
    export_main(["--preset", "tiny", "--random-weights", "--seed", "3", "--out", str(out)])
    return out
