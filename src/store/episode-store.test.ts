import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { UserError } from '../common/errors.js';
import { EpisodeStore } from './episode-store.js';
import { bytesOf, sampleMeta, sampleStep } from './test-support/sample-episode.js';

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-store-'));
  path = join(dir, 'episodes.db');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

function withStore<T>(work: (store: EpisodeStore) => T, options = {}): T {
  const store = EpisodeStore.open(path, options);
  try {
    return work(store);
  } finally {
    store.close();
  }
}

describe('EpisodeStore round trip', () => {
  test('episode metadata', () => {
    const meta = sampleMeta({ kind: 'rollout', policy: { model: 'rdvla-base', depth: 12 } });
    const id = withStore((store) => store.createEpisode(meta));
    const episode = withStore((store) => store.getEpisode(id), { readonly: true });

    expect(episode).toEqual({
      id,
      task: 'fold the towel',
      kind: 'rollout',
      fps: 50,
      startedAt: '2026-03-01T10:00:00.000Z',
      endedAt: null,
      outcome: 'unlabelled',
      incomplete: true,
      stepCount: 0,
      durationS: 0,
      rig: meta.rig,
      calibration: meta.calibration,
      policy: { model: 'rdvla-base', depth: 12 },
      startNs: 1_000_000_000_000n,
      endNs: null,
    });
  });

  test('steps are bit-exact', () => {
    const steps = Array.from({ length: 30 }, (_, index) => ({ ...sampleStep(index), index }));
    const read = withStore((store) => {
      const id = store.createEpisode(sampleMeta());
      store.appendSteps(id, steps.slice(0, 10));
      store.appendSteps(id, steps.slice(10));
      return store.readSteps(id);
    });

    expect(read).toHaveLength(30);
    for (const [i, step] of read.entries()) {
      const expected = steps[i]!;
      expect(step.index).toBe(i);
      expect(step.tNs).toBe(expected.tNs);
      expect(bytesOf(step.observationState)).toEqual(bytesOf(expected.observationState));
      expect(bytesOf(step.action)).toEqual(bytesOf(expected.action));
      expect(bytesOf(step.followerVelocity)).toEqual(bytesOf(expected.followerVelocity));
      expect(bytesOf(step.followerCurrent)).toEqual(bytesOf(expected.followerCurrent));
      expect([step.periodMs, step.latenessMs, step.busMs]).toEqual([expected.periodMs, expected.latenessMs, expected.busMs]);
    }
  });

  test('t_ns beyond 2^53 keeps every bit', () => {
    const tNs = 2n ** 62n + 7n;
    const read = withStore((store) => {
      const id = store.createEpisode(sampleMeta({ startNs: tNs - 1n }));
      store.appendSteps(id, [{ ...sampleStep(0), tNs, index: 0 }]);
      return { step: store.readSteps(id)[0]!, episode: store.getEpisode(id)! };
    });

    expect(read.step.tNs).toBe(tNs);
    expect(read.episode.startNs).toBe(tNs - 1n);
  });

  test('frames, inferences and camera stats', () => {
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    const result = withStore((store) => {
      const id = store.createEpisode(sampleMeta({ kind: 'rollout' }));
      store.appendFrames(id, [
        { camera: 'cam_high', index: 0, tNs: 5n, jpeg, width: 640, height: 480 },
        { camera: 'cam_high', index: 1, tNs: 38n, jpeg: jpeg.subarray(2), width: 640, height: 480 },
        { camera: 'cam_left_wrist', index: 0, tNs: 6n, jpeg, width: 320, height: 240 },
      ]);
      store.appendInferences(id, [
        {
          index: 0,
          tNs: 100n,
          stepIndex: 3,
          kStar: 7,
          horizon: 5,
          trace: [0.25, 0.01, 0.0004],
          timings: { vision: 40.5, backbone: 20, head: 15.25 },
          waitedTicks: 1,
        },
      ]);
      store.setCameraStats(id, 'cam_high', { fps: 30, width: 640, height: 480, frames: 2, dropped: 1, late: 0 });
      store.setCameraStats(id, 'cam_high', { fps: 30, width: 640, height: 480, frames: 3, dropped: 1, late: 2 });
      return {
        all: store.readFrames(id),
        wrist: store.readFrames(id, 'cam_left_wrist'),
        inferences: store.readInferences(id),
        cameras: store.readCameraStats(id),
      };
    });

    expect(result.all.map((frame) => [frame.camera, frame.index, frame.tNs, frame.width, frame.height])).toEqual([
      ['cam_high', 0, 5n, 640, 480],
      ['cam_high', 1, 38n, 640, 480],
      ['cam_left_wrist', 0, 6n, 320, 240],
    ]);
    expect([...result.all[1]!.jpeg]).toEqual([0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    expect(result.wrist).toHaveLength(1);
    expect([...result.wrist[0]!.jpeg]).toEqual([...jpeg]);
    expect(result.inferences).toEqual([
      {
        index: 0,
        tNs: 100n,
        stepIndex: 3,
        kStar: 7,
        horizon: 5,
        trace: [0.25, 0.01, 0.0004],
        timings: { vision: 40.5, backbone: 20, head: 15.25 },
        waitedTicks: 1,
      },
    ]);
    expect(result.cameras).toEqual({ cam_high: { fps: 30, width: 640, height: 480, frames: 3, dropped: 1, late: 2 } });
  });
});

describe('EpisodeStore episodes', () => {
  test('finish, stats and duration', () => {
    const result = withStore((store) => {
      const id = store.createEpisode(sampleMeta());
      store.appendSteps(id, Array.from({ length: 200 }, (_, index) => ({ ...sampleStep(index), index })));
      const whileRecording = store.getEpisode(id)!;
      store.finishEpisode(id, { endNs: 1_000_000_000_000n + 4_500_000_000n, outcome: 'success' });
      return { whileRecording, finished: store.getEpisode(id)!, stats: store.episodeStats(id) };
    });

    // The last step is at start + 199 * 20 ms.
    expect(result.whileRecording.durationS).toBeCloseTo(3.98, 9);
    expect(result.whileRecording.incomplete).toBe(true);
    expect(result.finished.incomplete).toBe(false);
    expect(result.finished.outcome).toBe('success');
    expect(result.finished.stepCount).toBe(200);
    expect(result.finished.durationS).toBe(4.5);
    // period_ms cycles through 20 + k/8 for k = 0..6; 200 steps = 28 full cycles + k = 0..3.
    const expectedMean = (28 * (7 * 20 + 21 / 8) + (4 * 20 + 6 / 8)) / 200;
    expect(result.stats.meanPeriodMs).toBeCloseTo(expectedMean, 9);
    // lateness_ms is (i % 100) / 10: the sorted values are 0,0,0.1,0.1,...,9.9,9.9; rank 198 is 9.8.
    expect(result.stats.p99LatenessMs).toBe(9.8);
    expect(result.stats.durationS).toBe(4.5);
  });

  test('stats of an episode without steps', () => {
    const stats = withStore((store) => store.episodeStats(store.createEpisode(sampleMeta())));
    expect(stats).toEqual({ meanPeriodMs: null, p99LatenessMs: null, durationS: 0 });
  });

  test('list filters by task, kind and outcome', () => {
    const ids = withStore((store) => {
      const a = store.createEpisode(sampleMeta({ task: 'fold' }));
      const b = store.createEpisode(sampleMeta({ task: 'fold', kind: 'rollout' }));
      const c = store.createEpisode(sampleMeta({ task: 'pour' }));
      store.setOutcome(b, 'failure');
      store.setOutcome(c, 'success');
      return { a, b, c };
    });

    const list = (filter = {}) => withStore((store) => store.listEpisodes(filter).map((episode) => episode.id), { readonly: true });
    expect(list()).toEqual([ids.a, ids.b, ids.c]);
    expect(list({ task: 'fold' })).toEqual([ids.a, ids.b]);
    expect(list({ kind: 'rollout' })).toEqual([ids.b]);
    expect(list({ outcome: 'unlabelled' })).toEqual([ids.a]);
    expect(list({ task: 'fold', outcome: 'failure' })).toEqual([ids.b]);
    expect(list({ task: 'wipe' })).toEqual([]);
  });

  test('delete removes every row of the episode', () => {
    withStore((store) => {
      const kept = store.createEpisode(sampleMeta());
      const deleted = store.createEpisode(sampleMeta());
      for (const id of [kept, deleted]) {
        store.appendSteps(id, [{ ...sampleStep(0), index: 0 }]);
        store.appendFrames(id, [{ camera: 'cam_high', index: 0, tNs: 1n, jpeg: new Uint8Array([1]), width: 1, height: 1 }]);
        store.setCameraStats(id, 'cam_high', { fps: 30, width: 1, height: 1, frames: 1, dropped: 0, late: 0 });
      }
      store.deleteEpisode(deleted);

      expect(store.getEpisode(deleted)).toBeUndefined();
      expect(store.readSteps(deleted)).toEqual([]);
      expect(store.readFrames(deleted)).toEqual([]);
      expect(store.readCameraStats(deleted)).toEqual({});
      expect(store.readSteps(kept)).toHaveLength(1);
      expect(store.readFrames(kept)).toHaveLength(1);
    });
  });

  test('missing episode ids', () => {
    withStore((store) => {
      expect(() => store.setOutcome(99, 'success')).toThrow(`episode 99 not found in ${path}`);
      expect(() => store.deleteEpisode(99)).toThrow(UserError);
      expect(() => store.finishEpisode(99, { endNs: 1n })).toThrow(UserError);
      expect(() => store.appendSteps(99, [{ ...sampleStep(0), index: 0 }])).toThrow(UserError);
      expect(() => store.episodeStats(99)).toThrow(UserError);
    });
  });

  test('invalid outcome', () => {
    withStore((store) => {
      const id = store.createEpisode(sampleMeta());
      expect(() => store.setOutcome(id, 'maybe' as never)).toThrow('invalid outcome "maybe": use one of unlabelled, success, failure');
    });
  });
});

describe('EpisodeStore.open', () => {
  test('uses the WAL journal', () => {
    withStore(() => undefined);
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  test('file that is not SQLite', () => {
    writeFileSync(path, 'task,kind\nfold,teleop\n'.repeat(100));
    expect(() => EpisodeStore.open(path)).toThrow(
      new UserError(`${path} is not an RD-VLA episode database (file is not a database): pass another --db path or move the file away`),
    );
    expect(() => EpisodeStore.open(path, { readonly: true })).toThrow(UserError);
  });

  test('SQLite file of another application', () => {
    const db = new Database(path);
    db.exec('CREATE TABLE moz_places (id INTEGER PRIMARY KEY)');
    db.close();
    expect(() => EpisodeStore.open(path)).toThrow(
      `${path} is not an RD-VLA episode database (SQLite file of another application, tables: moz_places)`,
    );
  });

  test('path in a missing folder', () => {
    const missing = join(dirname(path), 'no-such-folder', 'episodes.db');
    expect(() => EpisodeStore.open(missing)).toThrow(
      new UserError(`cannot create the episode database ${missing}: the folder ${dirname(missing)} does not exist, so create it or pass another --db`),
    );
  });

  test('empty file becomes a store', () => {
    writeFileSync(path, '');
    expect(withStore((store) => store.listEpisodes())).toEqual([]);
  });

  test('read-only open of a missing file', () => {
    expect(() => EpisodeStore.open(path, { readonly: true })).toThrow(new UserError(
      `no episode database at ${path}: pass --db with the path of an existing file, or record an episode first`,
    ));
  });
});
