import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EpisodeStore } from '../src/store/episode-store.js';
import { alohaRig } from '../src/rig/presets.js';
import { messageLines, runCli } from './cli-run.js';

const FPS = 50;
const SECONDS = 10;

describe('record on the simulated rig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rdvla-record-'));
  const db = path.join(dir, 'episodes.db');
  let stdout = '';

  beforeAll(async () => {
    const result = await runCli(['record', '--sim', '--db', db, '--task', 'move the arms', '--seconds', String(SECONDS), '--json'], { timeoutMs: 90_000 });
    expect(messageLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    stdout = result.stdout;
  }, 120_000);

  it('stores one episode of 500 steps', async () => {
    const listed = await runCli(['episodes', 'list', '--db', db, '--json']);
    const episodes = JSON.parse(listed.stdout) as { id: number; steps: number; fps: number; incomplete: boolean; kind: string }[];
    expect(episodes).toHaveLength(1);
    expect(Math.abs(episodes[0]!.steps - FPS * SECONDS)).toBeLessThanOrEqual(5);
    expect(episodes[0]!.fps).toBe(FPS);
    expect(episodes[0]!.incomplete).toBe(false);
    expect(episodes[0]!.kind).toBe('teleop');
    expect(stdout).toContain('"steps"');
  });

  it('stores increasing timestamps', () => {
    const store = EpisodeStore.open(db, { readonly: true });
    const steps = store.readSteps(1);
    store.close();
    for (let index = 1; index < steps.length; index += 1) {
      expect(steps[index]!.tNs > steps[index - 1]!.tNs).toBe(true);
    }
    // A busy machine can skip a tick now and then, so check the typical period, not the span.
    const periodsMs = steps.slice(1).map((step, index) => Number(step.tNs - steps[index]!.tNs) / 1e6).sort((a, b) => a - b);
    const medianPeriodMs = periodsMs[Math.floor(periodsMs.length / 2)]!;
    expect(medianPeriodMs).toBeGreaterThan(1000 / FPS - 0.5);
    expect(medianPeriodMs).toBeLessThan(1000 / FPS + 0.5);
  });

  it('followers track the leaders', () => {
    const store = EpisodeStore.open(db, { readonly: true });
    const steps = store.readSteps(1);
    store.close();

    // The follower position a few ticks after a target was sent should sit close to it, while
    // the targets themselves move a lot over the episode (the scripted operator moves the leaders).
    const lag = 5;
    let trackingError = 0;
    let count = 0;
    const minTarget = new Array<number>(14).fill(Infinity);
    const maxTarget = new Array<number>(14).fill(-Infinity);
    for (let index = FPS; index + lag < steps.length; index += 1) {
      const action = steps[index]!.action;
      const later = steps[index + lag]!.observationState;
      for (let joint = 0; joint < action.length; joint += 1) {
        trackingError += Math.abs(action[joint]! - later[joint]!);
        count += 1;
        minTarget[joint] = Math.min(minTarget[joint]!, action[joint]!);
        maxTarget[joint] = Math.max(maxTarget[joint]!, action[joint]!);
      }
    }
    const largestTravel = Math.max(...maxTarget.map((max, joint) => max - minTarget[joint]!));
    expect(trackingError / count).toBeLessThan(0.05);
    expect(largestTravel).toBeGreaterThan(0.2);
  });
});

describe('record with bad input', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rdvla-record-bad-'));

  it('names a missing serial port', async () => {
    const rig = alohaRig({ left_leader: '/dev/ttyNOPE0', left_follower: '/dev/ttyNOPE1', right_leader: '/dev/ttyNOPE2', right_follower: '/dev/ttyNOPE3' });
    const rigFile = path.join(dir, 'rig.json');
    writeFileSync(rigFile, JSON.stringify(rig));
    const result = await runCli(['record', '--rig', rigFile, '--db', path.join(dir, 'a.db'), '--task', 't', '--seconds', '1']);
    expect(result.code).toBe(1);
    expect(messageLines(result.stderr)).toEqual(['rdvla: serial port /dev/ttyNOPE0 not found: run `rdvla bus ports` to list ports']);
  });

  it('names a wrong rig field', async () => {
    const rig = JSON.parse(JSON.stringify(alohaRig({ left_leader: 'a', left_follower: 'b', right_leader: 'c', right_follower: 'd' }))) as { maxStepPerTick: { joint: unknown } };
    rig.maxStepPerTick.joint = -1;
    const rigFile = path.join(dir, 'bad-rig.json');
    writeFileSync(rigFile, JSON.stringify(rig));
    const result = await runCli(['record', '--rig', rigFile, '--db', path.join(dir, 'b.db'), '--task', 't', '--seconds', '1']);
    expect(result.code).toBe(1);
    const lines = messageLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rdvla: rig file .*bad-rig\.json is invalid: maxStepPerTick\.joint: .*>0/);
  });

  it('rejects a negative pause between episodes', async () => {
    const result = await runCli(['record', '--sim', '--db', path.join(dir, 'c.db'), '--episodes', '2', '--reset-seconds', '-1']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`option '--reset-seconds <n>' argument '-1' is invalid. expected a number of at least 0, got "-1"`);
  });

  it('rejects a database that is not SQLite', async () => {
    const db = path.join(dir, 'notes.db');
    writeFileSync(db, 'these are my notes, not a database\n'.repeat(100));
    const result = await runCli(['record', '--sim', '--db', db, '--task', 't', '--seconds', '1']);
    expect(result.code).toBe(1);
    const lines = messageLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rdvla: .*notes\.db is not an RD-VLA episode database/);
  });
});
