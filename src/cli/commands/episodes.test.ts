import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { EpisodeStore } from '../../store/episode-store.js';
import { sampleMeta, sampleStep } from '../../store/test-support/sample-episode.js';
import { main } from '../main.js';

let dir: string;
let db: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rdvla-episodes-cli-'));
  db = join(dir, 'lab.db');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function runCli(args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void err.push(String(line)));
  const previousExitCode = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'rdvla', ...args]);
    return { stdout: out.join('\n'), stderr: err.join('\n'), exitCode: process.exitCode };
  } finally {
    log.mockRestore();
    error.mockRestore();
    process.exitCode = previousExitCode;
  }
}

/** Writes episode 1, a finished teleop of 100 steps over 2 s with one camera, and episode 2, a rollout still recording. */
function writeLab(): void {
  const store = EpisodeStore.open(db);
  const teleop = store.createEpisode(sampleMeta({ task: 'fold' }));
  store.appendSteps(teleop, Array.from({ length: 100 }, (_, index) => ({ ...sampleStep(index), index })));
  store.setCameraStats(teleop, 'cam_high', { fps: 30, width: 640, height: 480, frames: 60, dropped: 1, late: 2 });
  store.finishEpisode(teleop, { endNs: 1_000_000_000_000n + 2_000_000_000n, outcome: 'success' });
  const rollout = store.createEpisode(sampleMeta({ task: 'pour', kind: 'rollout', fps: 30 }));
  store.appendSteps(rollout, [0, 1, 2].map((index) => ({ ...sampleStep(index), index })));
  store.close();
}

describe('rdvla episodes list', () => {
  test('JSON shape', async () => {
    writeLab();
    const { stdout, exitCode } = await runCli(['episodes', 'list', '--db', db, '--json']);

    expect(exitCode).toBeUndefined();
    expect(JSON.parse(stdout)).toEqual([
      { id: 1, task: 'fold', kind: 'teleop', steps: 100, fps: 50, durationS: 2, outcome: 'success', incomplete: false },
      { id: 2, task: 'pour', kind: 'rollout', steps: 3, fps: 30, durationS: 0.04, outcome: 'unlabelled', incomplete: true },
    ]);
  });

  test('filters', async () => {
    writeLab();
    const ids = async (...filter: string[]) =>
      (JSON.parse((await runCli(['episodes', 'list', '--db', db, '--json', ...filter])).stdout) as Array<{ id: number }>).map(
        (entry) => entry.id,
      );

    expect(await ids('--task', 'pour')).toEqual([2]);
    expect(await ids('--kind', 'teleop')).toEqual([1]);
    expect(await ids('--outcome', 'success')).toEqual([1]);
    expect(await ids('--outcome', 'failure')).toEqual([]);
  });

  test('table', async () => {
    writeLab();
    const { stdout } = await runCli(['episodes', 'list', '--db', db]);
    const rows = stdout.split('\n').map((line) => line.split(/\s{2,}/));

    expect(rows).toEqual([
      ['ID', 'TASK', 'KIND', 'STEPS', 'FPS', 'DURATION', 'OUTCOME', 'STATE'],
      ['1', 'fold', 'teleop', '100', '50', '2.0 s', 'success', 'complete'],
      ['2', 'pour', 'rollout', '3', '30', '0.0 s', 'unlabelled', 'incomplete'],
    ]);
  });

  test('missing database file', async () => {
    const { stderr, exitCode } = await runCli(['episodes', 'list', '--db', db, '--json']);

    expect(exitCode).toBe(1);
    expect(stderr).toBe(`rdvla: no episode database at ${db}: pass --db with the path of an existing file, or record an episode first`);
    expect(existsSync(db)).toBe(false);
  });

  test('file that is not SQLite', async () => {
    writeFileSync(db, '{"not": "a database"}\n'.repeat(200));
    const { stderr, exitCode } = await runCli(['episodes', 'list', '--db', db]);

    expect(exitCode).toBe(1);
    expect(stderr).toBe(
      `rdvla: ${db} is not an RD-VLA episode database (file is not a database): pass another --db path or move the file away`,
    );
  });
});

describe('rdvla episodes show', () => {
  test('JSON shape', async () => {
    writeLab();
    const { stdout } = await runCli(['episodes', 'show', '1', '--db', db, '--json']);
    const detail = JSON.parse(stdout) as Record<string, unknown>;

    expect(Object.keys(detail)).toEqual([
      'id', 'task', 'kind', 'steps', 'fps', 'durationS', 'outcome', 'incomplete', 'meanPeriodMs', 'p99LatenessMs', 'cameras', 'frames',
    ]);
    expect(detail).toMatchObject({ id: 1, task: 'fold', kind: 'teleop', steps: 100, fps: 50, durationS: 2, outcome: 'success', incomplete: false });
    // period_ms cycles through 20 + k/8 (k = 0..6): 14 full cycles and k = 0, 1.
    expect(detail.meanPeriodMs).toBeCloseTo((14 * (140 + 21 / 8) + 40 + 1 / 8) / 100, 9);
    // lateness_ms = i / 10 for i < 100: nearest rank 99 of 100 is 9.8.
    expect(detail.p99LatenessMs).toBe(9.8);
    expect(detail.cameras).toEqual({ cam_high: { fps: 30, width: 640, height: 480, frames: 60, dropped: 1, late: 2 } });
    expect(detail.frames).toEqual({});
  });

  test('JSON counts stored frames', async () => {
    const store = EpisodeStore.open(db);
    const id = store.createEpisode(sampleMeta({ task: 'fold' }));
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    // 30 fps stamps with one frame missing after the third, then one 1.4 periods late.
    const periods = [0, 1, 2, 4, 5.4, 6.4];
    const frames = periods.map((period, index) => ({ camera: 'cam_high', index, tNs: 1_000_000_000_000n + BigInt(Math.round((period * 1e9) / 30)), jpeg, width: 4, height: 4 }));
    store.appendFrames(id, frames);
    store.appendFrames(id, [{ camera: 'cam_left_wrist', index: 0, tNs: 1_000_000_000_000n, jpeg, width: 4, height: 4 }]);
    store.setCameraStats(id, 'cam_high', { fps: 30, width: 4, height: 4, frames: 6, dropped: 1, late: 1 });
    store.close();

    const detail = JSON.parse((await runCli(['episodes', 'show', String(id), '--db', db, '--json'])).stdout) as { frames: unknown };
    expect(detail.frames).toEqual({
      cam_high: { count: 6, dropped: 1, late: 1, fps: 23.44 },
      cam_left_wrist: { count: 1, dropped: 0, late: 0, fps: 0 },
    });
  });

  test('table', async () => {
    writeLab();
    const { stdout } = await runCli(['episodes', 'show', '1', '--db', db]);

    expect(stdout).toContain('steps         100 at 50 fps');
    expect(stdout).toContain('p99 lateness  9.80 ms');
    expect(stdout).toContain('cam_high  640x480  30   60      1        2');
  });

  test('unknown id', async () => {
    writeLab();
    const { stderr, exitCode } = await runCli(['episodes', 'show', '7', '--db', db]);

    expect(exitCode).toBe(1);
    expect(stderr).toBe(`rdvla: episode 7 not found in ${db}: list the ids with \`rdvla episodes list --db ${db}\``);
  });
});

describe('rdvla episodes label and delete', () => {
  test('label sets the outcome', async () => {
    writeLab();
    const { stdout } = await runCli(['episodes', 'label', '2', 'failure', '--db', db]);
    const listed = JSON.parse((await runCli(['episodes', 'list', '--db', db, '--json', '--outcome', 'failure'])).stdout);

    expect(stdout).toBe('episode 2: outcome failure');
    expect(listed.map((entry: { id: number }) => entry.id)).toEqual([2]);
  });

  test('delete needs --yes', async () => {
    writeLab();
    const refused = await runCli(['episodes', 'delete', '1', '--db', db]);
    const deleted = await runCli(['episodes', 'delete', '1', '--db', db, '--yes']);
    const listed = JSON.parse((await runCli(['episodes', 'list', '--db', db, '--json'])).stdout);

    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe('rdvla: deleting episode 1 removes its steps, frames and inferences for good: add --yes to confirm');
    expect(deleted.stdout).toBe(`episode 1: deleted from ${db}`);
    expect(listed.map((entry: { id: number }) => entry.id)).toEqual([2]);
  });

  test('label on a missing database file', async () => {
    const { exitCode } = await runCli(['episodes', 'label', '1', 'success', '--db', db]);

    expect(exitCode).toBe(1);
    expect(existsSync(db)).toBe(false);
  });
});
