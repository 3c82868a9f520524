"""Training loop: resume, export and two-process DistributedDataParallel on gloo."""

import json
import os
import socket

import pytest
import torch
import torch.multiprocessing as mp

from rdvla.policy import TorchPolicy
from rdvla.train import STATE_FILE, TrainOptions, build_training, main, parse_args, run_training
from rdvla.train_state import load_train_state
from train_fixtures import make_training_database


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return make_training_database(tmp_path_factory.mktemp("train") / "episodes.db", episodes=3, steps=12)


def options(db_path, out, **overrides) -> TrainOptions:
    values = dict(db=db_path, out=out, steps=4, batch_size=2, depth_mean=3, warmup_steps=2, log_every=100, export=False)
    values.update(overrides)
    return TrainOptions(**values)


def test_resume_gives_same_weights(db_path, tmp_path):
    straight = run_training(options(db_path, tmp_path / "straight"))

    run_training(options(db_path, tmp_path / "split", steps=2))
    resumed = run_training(options(db_path, tmp_path / "split", steps=4, resume=True))

    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_state_noise_is_seeded(db_path, tmp_path):
    plain = run_training(options(db_path, tmp_path / "plain", steps=2))
    noisy = run_training(options(db_path, tmp_path / "noisy", steps=2, state_noise=0.1))
    again = run_training(options(db_path, tmp_path / "again", steps=2, state_noise=0.1))

    assert any(not torch.equal(a, b) for a, b in zip(plain.state_dict().values(), noisy.state_dict().values()))
    for (name, a), b in zip(noisy.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), name


@pytest.mark.parametrize("flag, value", [
    ("--state-noise", "-0.1"), ("--state-noise", "nan"), ("--state-noise", "inf"), ("--goal-weight", "-1"), ("--goal-weight", "nan"),
    ("--lr", "0"), ("--lr", "nan"),
])
def test_invalid_noise_and_rate_rejected(flag, value):
    with pytest.raises(SystemExit):
        parse_args(["--db", "x.db", "--out", "y", flag, value])


def test_goal_loss_trains_the_goal_map(db_path, tmp_path):
    plain = run_training(options(db_path, tmp_path / "plain", steps=2))
    goal = run_training(options(db_path, tmp_path / "goal", steps=2, goal_weight=1.0, export=True))

    maps = zip(plain.backbone.goal_map.predict.state_dict().values(), goal.backbone.goal_map.predict.state_dict().values())
    assert any(not torch.equal(a, b) for a, b in maps)
    TorchPolicy.from_model_dir(tmp_path / "goal")  # the goal map is part of the exported backbone, checked against the ONNX graphs


def test_damaged_database_is_reported(tmp_path):
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + b"\x07" * 4000)
    with pytest.raises(SystemExit, match="the database is damaged"):
        main(["--db", str(damaged), "--out", str(tmp_path / "model")])


def test_output_file_and_device_rejected(db_path, tmp_path):
    existing = tmp_path / "file"
    existing.write_text("")
    with pytest.raises(SystemExit, match="is a file, not a folder"):
        run_training(options(db_path, existing))
    crowded = tmp_path / "crowded"
    crowded.mkdir()
    (crowded / "episode_0.hdf5").write_bytes(b"")
    with pytest.raises(SystemExit, match="other files in it"):
        run_training(options(db_path, crowded))
    with pytest.raises(SystemExit, match="--device tpu is invalid"):
        run_training(options(db_path, tmp_path / "run", device="tpu"))


def test_non_finite_loss_stops_without_export(db_path, tmp_path):
    # Infinite noise on the state makes the first loss non-finite.
    with pytest.raises(SystemExit, match=r"the loss became (nan|inf) at step 1"):
        run_training(options(db_path, tmp_path / "diverged", state_noise=float("inf"), export=True))
    assert not (tmp_path / "diverged" / "manifest.json").exists()


def test_resume_rejects_added_goal_loss(db_path, tmp_path):
    run_training(options(db_path, tmp_path / "run", steps=2))
    with pytest.raises(SystemExit, match=r"goal_weight 0.0 -> 1.0"):
        run_training(options(db_path, tmp_path / "run", steps=4, goal_weight=1.0, resume=True))


def test_resume_with_more_steps_warns_of_new_rates(db_path, tmp_path, caplog):
    run_training(options(db_path, tmp_path / "run", steps=3))  # one step past the 2-step warm-up
    with caplog.at_level("WARNING", logger="rdvla.train"):
        run_training(options(db_path, tmp_path / "run", steps=6, resume=True))
    assert "--steps 6 differs from the saved run's 3" in caplog.text


def test_resume_within_warm_up_keeps_quiet(db_path, tmp_path, caplog):
    run_training(options(db_path, tmp_path / "run", steps=2, warmup_steps=10))
    with caplog.at_level("WARNING", logger="rdvla.train"):
        run_training(options(db_path, tmp_path / "run", steps=4, warmup_steps=10, resume=True))
    assert "differs from the saved run's" not in caplog.text


def test_damaged_state_is_reported(db_path, tmp_path):
    run_training(options(db_path, tmp_path / "run", steps=2))
    state = tmp_path / "run" / STATE_FILE
    state.write_bytes(state.read_bytes()[:3000])
    with pytest.raises(SystemExit, match=r"state.pt failed to load as a training state .*: the file is damaged or of another kind"):
        run_training(options(db_path, tmp_path / "run", steps=4, resume=True))


def test_resume_rejects_changed_settings(db_path, tmp_path):
    run_training(options(db_path, tmp_path / "run", steps=2))
    with pytest.raises(SystemExit, match=r"batch_size 2 -> 3, state_noise 0.0 -> 0.5"):
        run_training(options(db_path, tmp_path / "run", steps=4, batch_size=3, state_noise=0.5, resume=True))


def test_state_records_step_and_statistics(db_path, tmp_path):
    policy = run_training(options(db_path, tmp_path / "run", steps=3, checkpoint_every=2))
    state = load_train_state(tmp_path / "run" / STATE_FILE, policy, *optimizer_and_schedule(policy))
    assert state.step == 3
    assert state.episode_ids == [1, 2, 3]
    assert state.normalization.action_std.shape == (14,)


def optimizer_and_schedule(policy):
    optimizer = torch.optim.AdamW(policy.parameters())
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)


def test_existing_run_needs_resume(db_path, tmp_path):
    run_training(options(db_path, tmp_path / "run", steps=1))
    with pytest.raises(SystemExit, match="pass --resume"):
        run_training(options(db_path, tmp_path / "run", steps=2))


def test_resume_of_finished_run_fails(db_path, tmp_path):
    run_training(options(db_path, tmp_path / "run", steps=2))
    with pytest.raises(SystemExit, match="already finished 2 steps: pass a larger --steps"):
        run_training(options(db_path, tmp_path / "run", steps=2, resume=True))


def test_model_folder_is_not_overwritten(db_path, tmp_path):
    out = tmp_path / "model"
    out.mkdir()
    (out / "manifest.json").write_text("{}")
    with pytest.raises(SystemExit, match="already contains a model"):
        run_training(options(db_path, out))
    with pytest.raises(SystemExit, match="already contains a model"):
        run_training(options(db_path, out, resume=True))
    assert (out / "manifest.json").read_text() == "{}"


def test_resume_without_state_fails(db_path, tmp_path):
    with pytest.raises(SystemExit, match="no run to continue"):
        run_training(options(db_path, tmp_path / "empty", resume=True))


def test_export_writes_loadable_model(db_path, tmp_path):
    out = tmp_path / "model"
    run_training(options(db_path, out, steps=2, export=True, name="trained-test"))

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["name"] == "trained-test"
    assert manifest["source"]["trained"] is True
    assert manifest["source"]["training"]["episodes"] == 3
    assert manifest["source"]["training"]["steps"] == 2
    state = load_train_state(out / STATE_FILE, *loaded_modules(out))
    assert manifest["normalization"] == state.normalization.to_manifest()

    policy = TorchPolicy.from_model_dir(out)  # checks the ONNX weights against checkpoint.pt
    assert policy.manifest["normalization"]["action"]["mean"][0] == pytest.approx(float(state.normalization.action_mean[0]))


def loaded_modules(out):
    policy = TorchPolicy.from_model_dir(out)
    module = torch.nn.Module()
    module.backbone, module.head = policy.backbone, policy.head
    return (module, *optimizer_and_schedule(module))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def train_rank(rank: int, world_size: int, port: int, db_path, out, weights_dir) -> None:
    os.environ.update(
        {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank), "WORLD_SIZE": str(world_size), "LOCAL_RANK": str(rank)}
    )
    torch.set_num_threads(1)
    policy = run_training(options(db_path, out, steps=3, device="cpu"))
    torch.save(policy.state_dict(), str(weights_dir / f"rank{rank}.pt"))


def test_two_ranks_end_with_same_weights(db_path, tmp_path):
    weights_dir = tmp_path / "weights"
    weights_dir.mkdir()
    mp.spawn(train_rank, args=(2, free_port(), db_path, tmp_path / "ddp", weights_dir), nprocs=2, join=True)

    rank0 = torch.load(str(weights_dir / "rank0.pt"))
    rank1 = torch.load(str(weights_dir / "rank1.pt"))
    assert rank0.keys() == rank1.keys()
    for name in rank0:
        assert torch.equal(rank0[name], rank1[name]), name

    # The ranks trained away from the initial weights, and rank 0 wrote the state.
    _, initial, _, _ = build_training(options(db_path, tmp_path / "unused"), torch.device("cpu"))
    assert any(not torch.equal(rank0[name], value) for name, value in initial.state_dict().items())
    assert (tmp_path / "ddp" / STATE_FILE).is_file()
