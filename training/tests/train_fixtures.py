"""Small episode databases in the app's schema (src/store/schema.ts, version 2), for trainer tests."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

SCHEMA = """
CREATE TABLE episodes (
  id          INTEGER PRIMARY KEY,
  task        TEXT    NOT NULL,
  kind        TEXT    NOT NULL CHECK (kind IN ('teleop', 'rollout')),
  fps         REAL    NOT NULL,
  rig         TEXT    NOT NULL,
  calibration TEXT    NOT NULL,
  policy      TEXT,
  started_at  TEXT    NOT NULL,
  start_ns    INTEGER NOT NULL,
  ended_at    TEXT,
  end_ns      INTEGER,
  outcome     TEXT    NOT NULL DEFAULT 'unlabelled'
              CHECK (outcome IN ('unlabelled', 'success', 'failure')),
  incomplete  INTEGER NOT NULL DEFAULT 1,
  step_count  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX episodes_task ON episodes (task);
CREATE TABLE steps (
  episode_id        INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
  step_index        INTEGER NOT NULL,
  t_ns              INTEGER NOT NULL,
  observation_state BLOB    NOT NULL,
  action            BLOB    NOT NULL,
  follower_velocity BLOB,
  follower_current  BLOB,
  period_ms         REAL    NOT NULL,
  lateness_ms       REAL    NOT NULL,
  bus_ms            REAL    NOT NULL,
  PRIMARY KEY (episode_id, step_index)
) WITHOUT ROWID;
CREATE TABLE frames (
  episode_id  INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
  camera      TEXT    NOT NULL,
  frame_index INTEGER NOT NULL,
  t_ns        INTEGER NOT NULL,
  jpeg        BLOB    NOT NULL,
  width       INTEGER NOT NULL,
  height      INTEGER NOT NULL,
  PRIMARY KEY (episode_id, camera, frame_index)
) WITHOUT ROWID;
CREATE TABLE cameras (
  episode_id INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
  camera     TEXT    NOT NULL,
  fps        REAL    NOT NULL,
  width      INTEGER NOT NULL,
  height     INTEGER NOT NULL,
  frames     INTEGER NOT NULL,
  dropped    INTEGER NOT NULL,
  late       INTEGER NOT NULL,
  PRIMARY KEY (episode_id, camera)
) WITHOUT ROWID;
CREATE TABLE inferences (
  episode_id      INTEGER NOT NULL REFERENCES episodes (id) ON DELETE CASCADE,
  inference_index INTEGER NOT NULL,
  t_ns            INTEGER NOT NULL,
  step_index      INTEGER NOT NULL,
  k_star          INTEGER NOT NULL,
  horizon         INTEGER NOT NULL,
  trace           TEXT    NOT NULL,
  timings         TEXT    NOT NULL,
  waited_ticks    INTEGER NOT NULL,
  PRIMARY KEY (episode_id, inference_index)
) WITHOUT ROWID;
PRAGMA application_id = 1380210252;
PRAGMA user_version = 2;
"""

CAMERAS = ["cam_high", "cam_left_wrist", "cam_right_wrist"]


def solid_jpeg(colour: Sequence[int], size: int = 64) -> bytes:
    """A JPEG of one colour; its decoded pixels stay within a few levels of the colour."""
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), tuple(int(c) for c in colour)).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def create_database(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path))
    connection.executescript(SCHEMA)
    return connection


def add_episode(
    connection: sqlite3.Connection,
    task: str,
    states: np.ndarray,
    actions: np.ndarray,
    step_times_ns: Sequence[int],
    frames: Dict[str, List[tuple]],
    outcome: str = "success",
    kind: str = "teleop",
    incomplete: int = 0,
) -> int:
    """Insert an episode; frames maps camera -> [(t_ns, jpeg bytes)]. Returns the episode id."""
    cursor = connection.execute(
        "INSERT INTO episodes (task, kind, fps, rig, calibration, started_at, start_ns, outcome, incomplete, step_count) "
        "VALUES (?, ?, 50, '{}', '{}', '2026-01-05T09:00:00.000Z', ?, ?, ?, ?)",
        (task, kind, int(step_times_ns[0]) if len(step_times_ns) else 0, outcome, incomplete, len(step_times_ns)),
    )
    episode_id = int(cursor.lastrowid)
    for index, t_ns in enumerate(step_times_ns):
        connection.execute(
            "INSERT INTO steps (episode_id, step_index, t_ns, observation_state, action, period_ms, lateness_ms, bus_ms) "
            "VALUES (?, ?, ?, ?, ?, 20, 0, 1)",
            (episode_id, index, int(t_ns), states[index].astype("<f4").tobytes(), actions[index].astype("<f4").tobytes()),
        )
    for camera, camera_frames in frames.items():
        for index, (t_ns, jpeg) in enumerate(camera_frames):
            connection.execute(
                "INSERT INTO frames (episode_id, camera, frame_index, t_ns, jpeg, width, height) VALUES (?, ?, ?, ?, ?, 64, 64)",
                (episode_id, camera, index, int(t_ns), jpeg),
            )
    connection.commit()
    return episode_id


def make_training_database(path: Path, episodes: int = 3, steps: int = 12, seed: int = 0, size: int = 64) -> Path:
    """A database of episodes whose actions follow the state, with one frame per camera every 2 steps."""
    rng = np.random.RandomState(seed)
    connection = create_database(path)
    for episode in range(episodes):
        states = rng.normal(0.0, 0.5, size=(steps, 14)).astype(np.float32)
        actions = (states + 0.1).astype(np.float32)
        times = [1_000_000 + 20_000_000 * i for i in range(steps)]
        colour: Optional[tuple] = tuple(int(v) for v in rng.randint(0, 256, size=3))
        frames = {camera: [(times[i], solid_jpeg(colour, size)) for i in range(0, steps, 2)] for camera in CAMERAS}
        add_episode(connection, "move the left gripper to the red cube", states, actions, times, frames)
    connection.close()
    return path
