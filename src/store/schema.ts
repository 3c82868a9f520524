import type Database from 'better-sqlite3';
import { UserError } from '../common/errors.js';

/** PRAGMA application_id of an RD-VLA episode database: the bytes "RDVL". */
export const APPLICATION_ID = 0x5244564c;

type Migration = (db: Database.Database) => void;

/** Version 1: episodes and their joint steps. */
function createEpisodesAndSteps(db: Database.Database): void {
  db.exec(`
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
  `);
  db.pragma(`application_id = ${APPLICATION_ID}`);
}

/** Version 2: camera frames, per-camera statistics and policy inferences of rollouts. */
function addCamerasAndInferences(db: Database.Database): void {
  db.exec(`
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
  `);
}

/** Migration i brings a database from user_version i to i + 1. Append new ones and leave old ones unchanged. */
export const MIGRATIONS: readonly Migration[] = [createEpisodesAndSteps, addCamerasAndInferences];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the migrations from the database's user_version up to `target` in one IMMEDIATE
 * transaction, so two processes opening a fresh file do not both create the tables.
 */
export function migrate(db: Database.Database, path: string, target = SCHEMA_VERSION): void {
  const run = db.transaction(() => {
    const current = schemaVersion(db);
    if (current > SCHEMA_VERSION) throw newerSchemaError(path, current);
    for (let version = current; version < target; version++) MIGRATIONS[version]!(db);
    if (current < target) db.pragma(`user_version = ${target}`);
  });
  run.immediate();
}

export function newerSchemaError(path: string, version: number): UserError {
  return new UserError(
    `${path} has episode schema version ${version}, newer than the ${SCHEMA_VERSION} this build reads: ` +
      'update RD-VLA Studio to open it',
  );
}
