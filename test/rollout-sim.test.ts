import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vectorNames } from '../src/rig/joint-layout.js';
import { rigConfigSchema } from '../src/rig/rig-config.js';
import { type SimRig, startSimRig } from '../src/sim/sim-rig.js';
import { EpisodeStore } from '../src/store/episode-store.js';
import { REPO_ROOT, messageLines, runCli } from './cli-run.js';

const MODEL = path.join(REPO_ROOT, 'native-models', 'rdvla-tiny-sim');
const SECONDS = 4;
const CLI = fileURLToPath(new URL('../bin/rdvla.js', import.meta.url));

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('rollout on the simulated rig', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rdvla-rollout-'));
  const db = path.join(dir, 'episodes.db');
  let lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const args = ['rollout', '--sim', '--model', MODEL, '--seconds', String(SECONDS), '--db', db, '--adaptive', 'binary', '--seed', '3', '--json'];
    const result = await runCli(args, { timeoutMs: 120_000 });
    expect(messageLines(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    lines = jsonLines(result.stdout);
  }, 150_000);

  it('prints inferences then a summary', () => {
    const inferences = lines.slice(0, -1);
    expect(inferences.length).toBeGreaterThan(0);
    for (const line of inferences) {
      expect(line.kStar).toEqual(expect.any(Number));
      expect(line.horizon).toEqual(expect.any(Number));
      expect(line.latencyMs).toEqual(expect.any(Number));
    }

    const summary = lines.at(-1)!.summary as Record<string, unknown>;
    expect(summary.inferences).toBe(inferences.length);
    expect(summary.stopReason).toBe('time');
    expect(['success', 'failure']).toContain(summary.outcome);
  });

  it('stores a rollout episode with inferences', () => {
    const store = EpisodeStore.open(db, { readonly: true });
    const episode = store.getEpisode(1)!;
    const inferences = store.readInferences(1);
    const steps = store.readSteps(1);
    const cameras = store.readCameraStats(1);
    store.close();

    expect(episode.kind).toBe('rollout');
    expect(episode.incomplete).toBe(false);
    expect(episode.outcome).not.toBe('unlabelled');
    expect(episode.task).toMatch(/gripper/);
    expect(episode.policy).toMatchObject({ model: 'rdvla-tiny-sim', mode: { kind: 'binary', delta: 5e-4 }, seed: 3, controlHz: 50 });
    expect(Object.keys(cameras).sort()).toEqual(['cam_high', 'cam_left_wrist', 'cam_right_wrist']);

    expect(inferences.length).toBeGreaterThan(0);
    for (const inference of inferences) {
      expect(inference.kStar).toBeGreaterThanOrEqual(2);
      expect(inference.kStar).toBeLessThanOrEqual(32);
      expect([4, 8]).toContain(inference.horizon);
      expect(inference.trace.length).toBeGreaterThan(0);
      expect(inference.trace.length).toBeLessThanOrEqual(inference.kStar);
      expect(inference.timings.latency).toBeGreaterThan(0);
      expect(inference.stepIndex).toBeLessThan(steps.length);
    }
  });

  it('keeps every stored action inside the limits', () => {
    const store = EpisodeStore.open(db, { readonly: true });
    const rig = rigConfigSchema.parse(store.getEpisode(1)!.rig);
    const steps = store.readSteps(1);
    store.close();

    const joints = vectorNames(rig).map((name) => name.replace(/^(left|right)_/, ''));
    expect(steps.length).toBeGreaterThan(50);
    let outside = 0;
    for (const step of steps) {
      step.action.forEach((value, slot) => {
        const limit = rig.jointLimits[joints[slot]!]!;
        // Actions are stored as float32, so a target clamped to a limit may round past it by one ulp.
        if (!(value >= Math.fround(limit.min) && value <= Math.fround(limit.max))) outside += 1;
      });
    }
    expect(outside).toBe(0);
  });
});

describe('rollout with a missing model folder', () => {
  it('fails before the simulator starts', async () => {
    const missing = path.join(tmpdir(), 'rdvla-no-such-model');
    const result = await runCli(['rollout', '--sim', '--model', missing, '--seconds', '1', '--json'], { timeoutMs: 60_000 });
    expect(result.code).toBe(1);
    expect(messageLines(result.stderr)).toEqual([`rdvla: model directory ${missing} not found: pass the folder that holds manifest.json`]);
    expect(result.stderr).not.toContain('simulated rig');
  }, 90_000);
});

// The rig runs in this test process, so SIGINT reaches only the CLI and not the simulator's ports.
describe('rollout interrupted by SIGINT', () => {
  let sim: SimRig;

  beforeAll(async () => {
    sim = await startSimRig({});
  }, 60_000);

  afterAll(async () => {
    await sim?.stop();
  });

  it('holds the arms and saves the episode', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'rdvla-rollout-int-'));
    const db = path.join(dir, 'episodes.db');
    const args = ['rollout', '--rig', sim.rigFile, '--task', 'move the grippers', '--model', MODEL, '--seconds', '60', '--db', db, '--json'];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, RDVLA_LOG_LEVEL: 'info' } });
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"kStar"') && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', resolve);
    });
    clearTimeout(killTimer);

    expect(code).toBe(0);
    const summary = jsonLines(stdout).at(-1)!.summary as Record<string, unknown>;
    expect(summary.stopReason).toBe('signal');
    expect(summary.fault).toBeNull();
    expect(stderr).toContain('followers holding position');

    const store = EpisodeStore.open(db, { readonly: true });
    const episode = store.getEpisode(1)!;
    store.close();
    expect(episode.incomplete).toBe(false);
    expect(episode.outcome).toBe('unlabelled');
    expect(episode.stepCount).toBe(summary.steps);
  }, 150_000);
});
