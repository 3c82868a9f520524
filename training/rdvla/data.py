"""Training samples read straight from the app's episode database (SQLite).

Every step of an episode is one sample: the joint state (observation.state), one frame per
camera, the episode's task text and the chunk of the next K actions. A camera's frame for a step
is its latest one with t_ns at or before the step's t_ns. Near the end of an episode the chunk is
padded by repeating the last action. A camera with no frame yet at a step gets a mid-grey image,
which is what the app's runtime feeds the model for a missing camera.
"""

from __future__ import annotations

import io
import logging
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from PIL import Image

from .tokenizer import WordLevelTokenizer

log = logging.getLogger("rdvla.data")

APPLICATION_ID = 0x5244564C  # PRAGMA application_id of an episode database: the bytes "RDVL"
FRAMES_SCHEMA_VERSION = 2  # first schema version with the frames table
MID_GREY = 128  # pixel value the runtime gives a camera without a frame
NO_FRAME = -1  # frame index of a step that has no frame yet from a camera
MIN_STD = 1e-2  # floor on normalisation std, so a joint that never moved in the data stays finite
START_FRACTION = 0.2  # a start sample's state has covered at most this part of its episode's way to the last state


class DatasetError(ValueError):
    """Error for a database without usable training data; the message names the fix."""


@dataclass
class EpisodeQuery:
    """Filter on the episodes to train on. None or an empty tuple matches any value."""

    task: Optional[str] = None
    outcomes: Tuple[str, ...] = ("success", "unlabelled")
    kinds: Tuple[str, ...] = ("teleop",)
    include_incomplete: bool = False

    def describe(self) -> str:
        parts = [f"task {self.task!r}" if self.task else "any task"]
        parts.append(f"outcome {'/'.join(self.outcomes)}" if self.outcomes else "any outcome")
        parts.append(f"kind {'/'.join(self.kinds)}" if self.kinds else "any kind")
        if not self.include_incomplete:
            parts.append("complete only")
        return ", ".join(parts)


@dataclass
class Episode:
    id: int
    task: str
    states: np.ndarray  # [T, P] float32
    actions: np.ndarray  # [T, A] float32
    frames: Dict[str, np.ndarray]  # camera -> [F, H, W, 3] uint8, only the frames some step uses
    frame_index: Dict[str, np.ndarray]  # camera -> [T] int64 index into frames[camera], NO_FRAME if none yet

    @property
    def steps(self) -> int:
        return int(self.states.shape[0])


@dataclass
class Normalization:
    state_mean: np.ndarray  # [P]
    state_std: np.ndarray
    action_mean: np.ndarray  # [A]
    action_std: np.ndarray

    def to_manifest(self) -> dict:
        """Return the manifest's `normalization` section."""
        as_list = lambda values: [float(v) for v in values]  # noqa: E731
        return {
            "state": {"mean": as_list(self.state_mean), "std": as_list(self.state_std)},
            "action": {"mean": as_list(self.action_mean), "std": as_list(self.action_std)},
        }

    @classmethod
    def from_manifest(cls, section: dict) -> "Normalization":
        array = lambda values: np.asarray(values, dtype=np.float32)  # noqa: E731
        return cls(
            array(section["state"]["mean"]),
            array(section["state"]["std"]),
            array(section["action"]["mean"]),
            array(section["action"]["std"]),
        )


def compute_normalization(episodes: Sequence[Episode], min_std: float = MIN_STD) -> Normalization:
    """Mean and std of state and action over every step of every episode, std floored at min_std."""
    states = np.concatenate([episode.states for episode in episodes]).astype(np.float64)
    actions = np.concatenate([episode.actions for episode in episodes]).astype(np.float64)
    return Normalization(
        states.mean(0).astype(np.float32),
        np.maximum(states.std(0), min_std).astype(np.float32),
        actions.mean(0).astype(np.float32),
        np.maximum(actions.std(0), min_std).astype(np.float32),
    )


def action_chunk(actions: np.ndarray, start: int, chunk_size: int) -> np.ndarray:
    """Return actions[start : start + K] [K, A], padded at the episode's end with its last action."""
    indices = np.minimum(np.arange(start, start + chunk_size), actions.shape[0] - 1)
    return actions[indices]


def latest_frame_indices(step_times: np.ndarray, frame_times: np.ndarray) -> np.ndarray:
    """For each step time, the index of the latest frame with t_ns <= that time, NO_FRAME if none.

    frame_times must be sorted ascending.
    """
    return np.searchsorted(frame_times, step_times, side="right") - 1


def decode_jpeg(jpeg: bytes, size: int) -> np.ndarray:
    """Decode a JPEG into RGB uint8 [size, size, 3], resized (Lanczos, as the runtime's sharp) if needed."""
    image = Image.open(io.BytesIO(jpeg)).convert("RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.LANCZOS)
    return np.asarray(image, dtype=np.uint8)


def open_database(path: Path) -> sqlite3.Connection:
    """Open an episode database read-only and check that it is one, with camera frames."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"episode database {path} not found: record episodes with `rdvla record --db {path}`")
    connection = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    application_id = connection.execute("PRAGMA application_id").fetchone()[0]
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if application_id != APPLICATION_ID:
        connection.close()
        raise DatasetError(f"{path} is not an RD-VLA episode database (application_id {application_id:#x})")
    if version < FRAMES_SCHEMA_VERSION:
        connection.close()
        raise DatasetError(
            f"{path} has episode schema version {version}, which stores no camera frames: "
            "open it once with `rdvla episodes list` to migrate it, then record episodes with cameras"
        )
    return connection


def select_episodes(connection: sqlite3.Connection, query: EpisodeQuery) -> List[Tuple[int, str]]:
    """Return (id, task) of the episodes matching the query, oldest first."""
    clauses, params = [], []
    if query.task:
        clauses.append("task = ?")
        params.append(query.task)
    if query.outcomes:
        clauses.append(f"outcome IN ({', '.join('?' * len(query.outcomes))})")
        params.extend(query.outcomes)
    if query.kinds:
        clauses.append(f"kind IN ({', '.join('?' * len(query.kinds))})")
        params.extend(query.kinds)
    if not query.include_incomplete:
        clauses.append("incomplete = 0")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return [(int(row[0]), str(row[1])) for row in connection.execute(f"SELECT id, task FROM episodes {where} ORDER BY id", params)]


def read_vectors(blobs: Sequence[bytes], size: int, what: str, episode_id: int) -> np.ndarray:
    """Stack little-endian float32 BLOBs into [N, size]."""
    for index, blob in enumerate(blobs):
        if len(blob) != 4 * size:
            raise DatasetError(f"episode {episode_id} step {index}: {what} has {len(blob) // 4} values, the model takes {size}")
    return np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(blobs), size).astype(np.float32)


def read_episode(
    connection: sqlite3.Connection,
    episode_id: int,
    task: str,
    cameras: Sequence[str],
    image_size: int,
    state_size: int,
    action_size: int,
) -> Optional[Episode]:
    """Read one episode's steps and the frames they use; None if it has no steps."""
    rows = connection.execute(
        "SELECT t_ns, observation_state, action FROM steps WHERE episode_id = ? ORDER BY step_index", (episode_id,)
    ).fetchall()
    if not rows:
        return None
    step_times = np.asarray([row[0] for row in rows], dtype=np.int64)
    states = read_vectors([row[1] for row in rows], state_size, "observation.state", episode_id)
    actions = read_vectors([row[2] for row in rows], action_size, "action", episode_id)

    frames: Dict[str, np.ndarray] = {}
    frame_index: Dict[str, np.ndarray] = {}
    for camera in cameras:
        stored = connection.execute(
            "SELECT t_ns, jpeg FROM frames WHERE episode_id = ? AND camera = ? ORDER BY t_ns, frame_index",
            (episode_id, camera),
        ).fetchall()
        latest = latest_frame_indices(step_times, np.asarray([row[0] for row in stored], dtype=np.int64))

        # Decode only the frames some step uses, and renumber them densely.
        used = np.unique(latest[latest != NO_FRAME])
        renumber = {int(old): new for new, old in enumerate(used)}
        frame_index[camera] = np.asarray([renumber.get(int(i), NO_FRAME) for i in latest], dtype=np.int64)
        decoded = [decode_jpeg(stored[int(i)][1], image_size) for i in used]
        frames[camera] = np.stack(decoded) if decoded else np.zeros((0, image_size, image_size, 3), dtype=np.uint8)
        if not decoded:
            log.warning("episode %d has no frames from camera %s: training sees a grey image for it", episode_id, camera)

    return Episode(episode_id, task, states, actions, frames, frame_index)


def load_episodes(
    db_path: Path,
    query: EpisodeQuery,
    cameras: Sequence[str],
    image_size: int,
    state_size: int,
    action_size: int,
) -> List[Episode]:
    """Read every episode matching the query; raises DatasetError if none has steps."""
    connection = open_database(db_path)
    try:
        selected = select_episodes(connection, query)
        episodes = [
            episode
            for episode_id, task in selected
            if (episode := read_episode(connection, episode_id, task, cameras, image_size, state_size, action_size)) is not None
        ]
    finally:
        connection.close()

    if not episodes:
        raise DatasetError(
            f"{db_path}: no episode with steps matches {query.describe()} ({len(selected)} matched without steps): "
            "check --task, --outcome and --kind against `rdvla episodes list`"
        )
    log.info("%s: %d episodes, %d steps (%s)", db_path, len(episodes), sum(e.steps for e in episodes), query.describe())
    return episodes


def start_sample_indices(episodes: Sequence[Episode], state_std: np.ndarray) -> np.ndarray:
    """Return the sample indices of the steps before each episode's joint state has moved far from its first.

    A step counts while its normalised distance from the episode's first state (mean absolute
    difference) is at most START_FRACTION of the last state's distance. These steps show the scene
    before the arms move toward the goal, so only the cameras and the task tell where it is.
    """
    indices, offset = [], 0
    for episode in episodes:
        moved = np.abs((episode.states - episode.states[0]) / state_std).mean(axis=-1)  # [T]
        indices.append(offset + np.flatnonzero(moved <= START_FRACTION * moved[-1]))
        offset += episode.steps
    return np.concatenate(indices).astype(np.int64) if indices else np.zeros(0, dtype=np.int64)


@dataclass
class ChunkDataset:
    """All samples of a list of episodes, normalised, batched on request."""

    episodes: List[Episode]
    normalization: Normalization
    tokenizer: WordLevelTokenizer
    chunk_size: int
    max_task_tokens: int
    cameras: Sequence[str]
    image_mean: Sequence[float]
    image_std: Sequence[float]
    samples: np.ndarray = field(init=False)  # [N, 2] (episode position, step index)
    start_samples: np.ndarray = field(init=False)  # [M] indices into samples, see start_sample_indices
    tokens: List[Tuple[List[int], List[int]]] = field(init=False)  # per episode (input_ids, attention_mask)

    def __post_init__(self) -> None:
        self.samples = np.asarray([(e, s) for e, episode in enumerate(self.episodes) for s in range(episode.steps)], dtype=np.int64)
        self.tokens = [self.tokenizer.encode_padded(episode.task, self.max_task_tokens) for episode in self.episodes]
        self.start_samples = start_sample_indices(self.episodes, self.normalization.state_std)
        self._image_mean = torch.tensor(self.image_mean, dtype=torch.float32).view(1, 1, 3, 1, 1)
        self._image_std = torch.tensor(self.image_std, dtype=torch.float32).view(1, 1, 3, 1, 1)

    def __len__(self) -> int:
        return int(self.samples.shape[0])

    def episode_ids(self) -> List[int]:
        return [episode.id for episode in self.episodes]

    def images(self, episode: Episode, step: int) -> np.ndarray:
        """Return the step's frames [C, H, W, 3] uint8, mid grey for a camera without one yet."""
        views = []
        for camera in self.cameras:
            index = int(episode.frame_index[camera][step])
            frames = episode.frames[camera]
            views.append(frames[index] if index != NO_FRAME else np.full(frames.shape[1:], MID_GREY, dtype=np.uint8))
        return np.stack(views)

    def batch(self, indices: Sequence[int]) -> Dict[str, torch.Tensor]:
        """Build a batch: images [B, C, 3, H, W], input_ids/attention_mask [B, T], proprio and the episode's final state [B, P], actions [B, K, A]."""
        norm = self.normalization
        images, ids, masks, states, finals, chunks = [], [], [], [], [], []
        for sample in indices:
            position, step = (int(v) for v in self.samples[int(sample)])
            episode = self.episodes[position]
            images.append(self.images(episode, step))
            ids.append(self.tokens[position][0])
            masks.append(self.tokens[position][1])
            states.append((episode.states[step] - norm.state_mean) / norm.state_std)
            finals.append((episode.states[-1] - norm.state_mean) / norm.state_std)
            chunks.append((action_chunk(episode.actions, step, self.chunk_size) - norm.action_mean) / norm.action_std)

        pixels = torch.from_numpy(np.stack(images)).permute(0, 1, 4, 2, 3).float() / 255.0  # [B, C, 3, H, W]
        return {
            "images": (pixels - self._image_mean) / self._image_std,
            "input_ids": torch.tensor(ids, dtype=torch.int64),
            "attention_mask": torch.tensor(masks, dtype=torch.int64),
            "proprio": torch.from_numpy(np.stack(states).astype(np.float32)),
            "final_state": torch.from_numpy(np.stack(finals).astype(np.float32)),
            "actions": torch.from_numpy(np.stack(chunks).astype(np.float32)),
        }
