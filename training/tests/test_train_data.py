"""Reading training samples from an episode database in the app's schema."""

import sqlite3

import numpy as np
import pytest
import torch

from rdvla.data import (
    MID_GREY,
    NO_FRAME,
    ChunkDataset,
    DatasetError,
    Episode,
    EpisodeQuery,
    action_chunk,
    compute_normalization,
    latest_frame_indices,
    load_episodes,
    start_sample_indices,
)
from rdvla.presets import CAMERAS, IMAGE_MEAN, IMAGE_STD
from rdvla.tokenizer import TASK_WORDS, WordLevelTokenizer, build_tokenizer_json
from train_fixtures import add_episode, create_database, solid_jpeg

TASK = "move the left gripper to the red cube"
COLOURS = [(250, 0, 0), (0, 250, 0), (0, 0, 250), (250, 250, 0)]


def ramp(steps: int, offset: float) -> np.ndarray:
    return (np.arange(steps * 14, dtype=np.float32).reshape(steps, 14) / 100.0 + offset).astype(np.float32)


@pytest.fixture
def db_path(tmp_path):
    """Episode 1: 6 steps 20 ms apart, cam_high frames at steps 1, 3 and 4 (none before step 1).

    Episodes 2-5 differ in task, outcome, kind or completeness, for the filters.
    """
    path = tmp_path / "episodes.db"
    connection = create_database(path)
    times = [1_000 + 20_000_000 * i for i in range(6)]
    frames = {
        "cam_high": [(times[1], solid_jpeg(COLOURS[0])), (times[3] - 5, solid_jpeg(COLOURS[1])), (times[4], solid_jpeg(COLOURS[2]))],
        "cam_left_wrist": [(times[0], solid_jpeg(COLOURS[3]))],
        "cam_right_wrist": [(times[0] - 1, solid_jpeg(COLOURS[3]))],
    }
    add_episode(connection, TASK, ramp(6, 0.0), ramp(6, 1.0), times, frames)
    add_episode(connection, "push the blue block", ramp(4, 2.0), ramp(4, 3.0), times[:4], frames)
    add_episode(connection, TASK, ramp(4, 4.0), ramp(4, 5.0), times[:4], frames, outcome="failure")
    add_episode(connection, TASK, ramp(4, 6.0), ramp(4, 7.0), times[:4], frames, kind="rollout")
    add_episode(connection, TASK, ramp(4, 8.0), ramp(4, 9.0), times[:4], frames, outcome="unlabelled", incomplete=1)
    connection.close()
    return path


def load(db_path, query=EpisodeQuery()):
    return load_episodes(db_path, query, CAMERAS, 64, 14, 14)


def make_dataset(episodes, chunk_size=4):
    return ChunkDataset(
        episodes,
        compute_normalization(episodes),
        WordLevelTokenizer(build_tokenizer_json(TASK_WORDS)),
        chunk_size,
        24,
        CAMERAS,
        IMAGE_MEAN,
        IMAGE_STD,
    )


def test_latest_frame_indices():
    frames = np.asarray([10, 20, 30])
    steps = np.asarray([5, 10, 19, 20, 29, 31, 1000])
    assert latest_frame_indices(steps, frames).tolist() == [NO_FRAME, 0, 0, 1, 1, 2, 2]


def test_action_chunk_pads_with_last_action():
    actions = np.arange(5, dtype=np.float32).reshape(5, 1)
    assert action_chunk(actions, 0, 3)[:, 0].tolist() == [0, 1, 2]
    assert action_chunk(actions, 3, 4)[:, 0].tolist() == [3, 4, 4, 4]
    assert action_chunk(actions, 4, 2)[:, 0].tolist() == [4, 4]


def test_default_query_filters(db_path):
    # Default: any task, outcome success or unlabelled, kind teleop, complete episodes only.
    assert [episode.id for episode in load(db_path)] == [1, 2]


@pytest.mark.parametrize(
    "query, expected",
    [
        (EpisodeQuery(task=TASK), [1]),
        (EpisodeQuery(task=TASK, outcomes=("failure",)), [3]),
        (EpisodeQuery(task=TASK, kinds=("rollout",)), [4]),
        (EpisodeQuery(task=TASK, include_incomplete=True), [1, 5]),
        (EpisodeQuery(outcomes=(), kinds=(), include_incomplete=True), [1, 2, 3, 4, 5]),
    ],
)
def test_query_selects_episodes(db_path, query, expected):
    assert [episode.id for episode in load(db_path, query)] == expected


def test_no_match_raises(db_path):
    with pytest.raises(DatasetError, match="no episode with steps matches task 'pour water'"):
        load(db_path, EpisodeQuery(task="pour water"))


def test_missing_database_raises(tmp_path):
    with pytest.raises(DatasetError, match="not found"):
        load(tmp_path / "absent.db")


def test_foreign_database_raises(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(str(path)).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(DatasetError, match="is not an RD-VLA episode database"):
        load(path)


def test_states_and_actions_read(db_path):
    episode = load(db_path, EpisodeQuery(task=TASK))[0]
    np.testing.assert_array_equal(episode.states, ramp(6, 0.0))
    np.testing.assert_array_equal(episode.actions, ramp(6, 1.0))
    assert episode.task == TASK


def test_frames_aligned_to_steps(db_path):
    episode = load(db_path, EpisodeQuery(task=TASK))[0]
    # cam_high: step 0 has no frame yet; the frame 5 ns before step 3 belongs to step 3.
    assert episode.frame_index["cam_high"].tolist() == [NO_FRAME, 0, 0, 1, 2, 2]
    assert episode.frame_index["cam_left_wrist"].tolist() == [0] * 6
    dataset = make_dataset([episode])
    expected_high = [None, COLOURS[0], COLOURS[0], COLOURS[1], COLOURS[2], COLOURS[2]]
    for step, colour in enumerate(expected_high):
        pixels = dataset.images(episode, step)  # [C, H, W, 3]
        if colour is None:
            assert (pixels[0] == MID_GREY).all()
        else:
            assert np.abs(pixels[0].astype(int) - np.asarray(colour)).max() <= 4, step
        assert np.abs(pixels[1].astype(int) - np.asarray(COLOURS[3])).max() <= 4


def test_normalization_statistics(db_path):
    episodes = load(db_path)
    stats = compute_normalization(episodes)
    states = np.concatenate([ramp(6, 0.0), ramp(4, 2.0)])
    actions = np.concatenate([ramp(6, 1.0), ramp(4, 3.0)])
    np.testing.assert_allclose(stats.state_mean, states.mean(0), rtol=1e-6)
    np.testing.assert_allclose(stats.state_std, states.std(0), rtol=1e-5)
    np.testing.assert_allclose(stats.action_mean, actions.mean(0), rtol=1e-6)
    np.testing.assert_allclose(stats.action_std, actions.std(0), rtol=1e-5)


def test_normalization_std_floor(db_path):
    episode = load(db_path, EpisodeQuery(task=TASK))[0]
    episode.states[:, 3] = 0.5  # a joint that never moves
    stats = compute_normalization([episode], min_std=0.01)
    assert stats.state_std[3] == pytest.approx(0.01)
    assert stats.state_mean[3] == pytest.approx(0.5)


def test_batch_normalised_chunks(db_path):
    episodes = load(db_path)
    dataset = make_dataset(episodes, chunk_size=4)
    stats = dataset.normalization
    assert len(dataset) == 10
    batch = dataset.batch([4, 9])  # episode 1 step 4, episode 2 step 3 (its last)

    assert batch["images"].shape == (2, 3, 3, 64, 64)
    assert batch["actions"].shape == (2, 4, 14)
    first = (ramp(6, 1.0)[[4, 5, 5, 5]] - stats.action_mean) / stats.action_std
    last = (ramp(4, 3.0)[[3, 3, 3, 3]] - stats.action_mean) / stats.action_std
    np.testing.assert_allclose(batch["actions"][0].numpy(), first, rtol=1e-5)
    np.testing.assert_allclose(batch["actions"][1].numpy(), last, rtol=1e-5)
    np.testing.assert_allclose(batch["proprio"][0].numpy(), (ramp(6, 0.0)[4] - stats.state_mean) / stats.state_std, rtol=1e-5)
    # The goal target is the episode's last joint state, whatever the step.
    np.testing.assert_allclose(batch["final_state"][0].numpy(), (ramp(6, 0.0)[5] - stats.state_mean) / stats.state_std, rtol=1e-5)


def test_start_samples_stop_once_the_arms_moved():
    def episode(path):
        states = np.repeat(np.asarray(path, dtype=np.float32)[:, None], 14, axis=1)
        return Episode(1, TASK, states, states.copy(), {}, {})

    # Way covered: 0, 0.1, 0.3, 0.8, 1 of the first episode's, then 0, 0, 1 of the second's.
    episodes = [episode([0.0, 0.1, 0.3, 0.8, 1.0]), episode([2.0, 2.0, 4.0])]
    indices = start_sample_indices(episodes, np.ones(14, dtype=np.float32))
    assert indices.tolist() == [0, 1, 5, 6]


def test_batch_images_and_tokens(db_path):
    dataset = make_dataset(load(db_path, EpisodeQuery(task=TASK)))
    batch = dataset.batch([0, 3])
    tokenizer = WordLevelTokenizer(build_tokenizer_json(TASK_WORDS))
    ids, mask = tokenizer.encode_padded(TASK, 24)
    assert batch["input_ids"][0].tolist() == ids
    assert batch["attention_mask"][1].tolist() == mask

    # Step 0 of cam_high is mid grey: (128 / 255 - mean) / std per channel.
    grey = (MID_GREY / 255.0 - torch.tensor(IMAGE_MEAN)) / torch.tensor(IMAGE_STD)
    torch.testing.assert_close(batch["images"][0, 0, :, 10, 10], grey)
    green = (torch.tensor(COLOURS[1]) / 255.0 - torch.tensor(IMAGE_MEAN)) / torch.tensor(IMAGE_STD)
    torch.testing.assert_close(batch["images"][1, 0, :, 10, 10], green, atol=0.1, rtol=0)
