import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { UserError } from '../common/errors.js';
import { EpisodeStore } from './episode-store.js';
import { float32Blob } from './episode-rows.js';
import { SCHEMA_VERSION, migrate, schemaVersion } from './schema.js';
import { bytesOf, float32Bits } from './test-support/sample-episode.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-schema-'));
  path = join(dir, 'episodes.db');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes a version 1 file (episodes and steps only) with one recorded episode. */
function writeVersion1File(): void {
  const db = new Database(path);
  migrate(db, path, 1);
  db.prepare(
    `INSERT INTO episodes (task, kind, fps, rig, calibration, started_at, start_ns, ended_at, end_ns, outcome, incomplete, step_count)
     VALUES ('pour', 'teleop', 50, '{}', '{}', '2026-01-05T09:00:00.000Z', 1000, '2026-01-05T09:00:01.000Z', 1000001000, 'success', 0, 1)`,
  ).run();
  db.prepare(
    `INSERT INTO steps (episode_id, step_index, t_ns, observation_state, action, period_ms, lateness_ms, bus_ms)
     VALUES (1, 0, 1000, ?, ?, 20, 0.5, 3)`,
  ).run(float32Blob(float32Bits(1, 14)), float32Blob(float32Bits(2, 14)));
  db.close();
}

test('version 1 file migrates to the current schema', () => {
  writeVersion1File();

  const store = EpisodeStore.open(path);
  const episode = store.getEpisode(1)!;
  const steps = store.readSteps(1);
  store.appendFrames(1, [{ camera: 'cam_high', index: 0, tNs: 2000n, jpeg: new Uint8Array([1, 2]), width: 2, height: 1 }]);
  const frames = store.readFrames(1);
  store.close();

  const db = new Database(path, { readonly: true });
  expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
  db.close();
  expect(SCHEMA_VERSION).toBe(2);
  expect(episode.task).toBe('pour');
  expect(episode.outcome).toBe('success');
  expect(episode.durationS).toBe(1);
  expect(steps).toHaveLength(1);
  expect(bytesOf(steps[0]!.observationState)).toEqual(bytesOf(float32Bits(1, 14)));
  expect(steps[0]!.followerVelocity).toBeNull();
  expect(frames).toHaveLength(1);
});

test('read-only open migrates a version 1 file', () => {
  writeVersion1File();

  const store = EpisodeStore.open(path, { readonly: true });
  expect(store.readCameraStats(1)).toEqual({});
  expect(store.listEpisodes().map((episode) => episode.id)).toEqual([1]);
  store.close();
});

test('newer schema version is rejected', () => {
  EpisodeStore.open(path).close();
  const db = new Database(path);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();

  expect(() => EpisodeStore.open(path)).toThrow(
    new UserError(
      `${path} has episode schema version ${SCHEMA_VERSION + 1}, newer than the ${SCHEMA_VERSION} this build reads: update RD-VLA Studio to open it`,
    ),
  );
});
