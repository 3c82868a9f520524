import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { UserError } from '../common/errors.js';
import { EpisodeStore } from '../store/episode-store.js';
import type { EpisodeKind, EpisodeOutcome } from '../store/episode-types.js';
import { selectEpisodes } from './episode-selection.js';

let dir: string;
let store: EpisodeStore;

function addEpisode(task: string, kind: EpisodeKind, outcome: EpisodeOutcome, options: { finished?: boolean; steps?: number } = {}): number {
  const id = store.createEpisode({ task, kind, fps: 50, rig: {}, calibration: {}, startNs: 1_000_000n });
  const steps = Array.from({ length: options.steps ?? 2 }, (_, index) => ({
    index,
    tNs: 1_000_000n + BigInt(index) * 20_000_000n,
    observationState: new Float32Array(14),
    action: new Float32Array(14),
    periodMs: 20,
    latenessMs: 0,
    busMs: 1,
  }));
  if (steps.length > 0) store.appendSteps(id, steps);
  if (options.finished ?? true) store.finishEpisode(id, { endNs: 100_000_000n, outcome });
  return id;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-select-'));
  store = EpisodeStore.open(join(dir, 'episodes.db'));
  addEpisode('fold', 'teleop', 'success');
  addEpisode('fold', 'rollout', 'failure');
  addEpisode('stack', 'teleop', 'success');
  addEpisode('fold', 'teleop', 'unlabelled', { finished: false });
  addEpisode('fold', 'teleop', 'success', { steps: 0 });
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = (selection: ReturnType<typeof selectEpisodes>) => selection.selected.map((episode) => episode.id);

test('selection filters by task, kind and outcome', () => {
  expect(ids(selectEpisodes(store, { filter: { task: 'fold' } }))).toEqual([1, 2]);
  expect(ids(selectEpisodes(store, { filter: { kind: 'teleop' } }))).toEqual([1, 3]);
  expect(ids(selectEpisodes(store, { filter: { outcome: 'failure' } }))).toEqual([2]);
});

test('selection skips incomplete and empty episodes', () => {
  const selection = selectEpisodes(store, { filter: { task: 'fold', kind: 'teleop' } });

  expect(ids(selection)).toEqual([1]);
  expect(selection.skipped.map((skipped) => skipped.id)).toEqual([4, 5]);
  expect(selection.skipped[0]!.reason).toContain('--include-incomplete');
  expect(selection.skipped[1]!.reason).toBe('has no steps');
});

test('selection includes incomplete on request', () => {
  expect(ids(selectEpisodes(store, { filter: { task: 'fold' }, includeIncomplete: true }))).toEqual([1, 2, 4]);
});

test('selection by ids respects the filter', () => {
  const selection = selectEpisodes(store, { ids: [3, 1, 2], filter: { kind: 'teleop' } });

  expect(ids(selection)).toEqual([1, 3]);
  expect(selection.skipped).toEqual([{ id: 2, reason: 'does not match --kind "teleop"' }]);
});

test('selection rejects unknown ids', () => {
  expect(() => selectEpisodes(store, { ids: [1, 42] })).toThrow(UserError);
  expect(() => selectEpisodes(store, { ids: [42] })).toThrow(/episode 42 not found/);
});

test('selection rejects an empty result', () => {
  expect(() => selectEpisodes(store, { filter: { task: 'pour' } })).toThrow(/nothing to export: no episode/);
  expect(() => selectEpisodes(store, { ids: [4] })).toThrow(/every matching episode was skipped/);
});
