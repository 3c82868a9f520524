"""The committed tiny model and its parity fixtures must agree with the current code.

The shipped model is the one the closed loop on the simulated rig trained (bench/depth-results.md).
If these fail after a change to the model code, retrain and install it with
`INSTALL=1 training/scripts/closed_loop.sh`.
"""

import json

import numpy as np
import pytest

from conftest import REPO_DIR
from rdvla.policy import TorchPolicy

MODEL_DIR = REPO_DIR / "native-models" / "rdvla-tiny-sim"


@pytest.fixture(scope="module")
def policy() -> TorchPolicy:
    return TorchPolicy.from_model_dir(MODEL_DIR)


@pytest.fixture(scope="module")
def parity() -> dict:
    return json.loads((MODEL_DIR / "parity.json").read_text())


def test_shipped_manifest(policy):
    manifest = policy.manifest
    assert manifest["name"] == "rdvla-tiny-sim"
    source = manifest["source"]
    assert (source["preset"], source["trained"], source["checkpoint"]) == ("tiny", True, "checkpoint.pt")
    assert source["training"]["episodes"] >= 100
    assert manifest["chunkSize"] == 25
    # Statistics of recorded data, not the untrained model's placeholders.
    assert manifest["normalization"]["action"]["std"][6] != 0.25


def test_parity_fixtures_match_pytorch(policy, parity):
    modes = set()
    for case in parity["cases"]:
        size = policy.manifest["image"]["height"]
        images = {camera: np.asarray(pixels, dtype=np.uint8).reshape(size, size, 3) for camera, pixels in case["images"].items()}
        ids = policy.encode_task(case["task"])
        assert ids["input_ids"][0].tolist() == case["inputIds"]
        for run in case["runs"]:
            result = policy.act(images, case["task"], case["state"], case["seed"], run["mode"], depth=run.get("depth"), delta=run.get("delta"))
            label = f"{case['name']} {run['mode']} {run.get('depth', run.get('delta'))}"
            assert result.k_star == run["kStar"], label
            assert result.horizon == run["horizon"], label
            np.testing.assert_allclose(result.actions.numpy(), np.asarray(run["actions"]), atol=1e-5, err_msg=label)
            np.testing.assert_allclose(result.trace, run["trace"], rtol=1e-4, atol=1e-9, err_msg=label)
            modes.add(run["mode"])
    assert modes == {"fixed", "converge", "binary", "linear"}


def test_parity_scratchpad_checks(policy, parity):
    for check in parity["scratchpad"]["checks"]:
        assert policy.initial_scratchpad(check["seed"])[0].reshape(-1)[:16].tolist() == check["first16"]
