import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.js';

const MODEL_DIR = path.resolve(import.meta.dirname, '../../../native-models/rdvla-tiny-sim');
const ZERO_STATE = new Array(14).fill(0).join(',');

interface CliOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

async function rdvla(...args: string[]): Promise<CliOutput> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...parts: unknown[]) => void stdout.push(parts.join(' ')));
  const error = vi.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => void stderr.push(parts.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
  try {
    process.exitCode = 0;
    await main(['node', 'rdvla', ...args]);
    return { stdout: stdout.join('\n'), stderr: stderr.join('\n'), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
    process.exitCode = 0;
  }
}

interface RunJson {
  kStar: number;
  horizon: number;
  actions: number[][];
  trace: number[];
  timingsMs: Record<string, number>;
  greyCameras: string[];
}

async function runJson(...args: string[]): Promise<RunJson> {
  const output = await rdvla('policy', 'run', '--model', MODEL_DIR, '--provider', 'cpu', '--task', 'pick up the red cube', '--state', ZERO_STATE, '--seed', '1', '--json', ...args);
  expect(output.stderr).not.toContain('rdvla:');
  expect(output.exitCode).toBe(0);
  return JSON.parse(output.stdout) as RunJson;
}

describe('rdvla policy', () => {
  let dir: string;
  let jpeg: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'rdvla-policy-cli-'));
    jpeg = path.join(dir, 'frame.jpg');
    const pixels = Buffer.alloc(100 * 80 * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7) % 256;
    await sharp(pixels, { raw: { width: 100, height: 80, channels: 3 } }).jpeg().toFile(jpeg);
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('run prints a K x A chunk with k* and horizon', async () => {
    const result = await runJson('--depth', '3');
    expect(result.kStar).toBe(3);
    expect(result.horizon).toBe(25);
    expect(result.actions.length).toBe(25);
    for (const row of result.actions) expect(row.length).toBe(14);
    expect(result.trace).toEqual([]);
    expect(Object.keys(result.timingsMs).sort()).toEqual(['backbone', 'coda', 'core', 'prelude', 'preprocess', 'total']);
  });

  it('run changes k* and horizon with the mode', async () => {
    const converged = await runJson('--adaptive', 'converge', '--delta', '1');
    expect(converged.kStar).toBe(2);
    expect(converged.horizon).toBe(25);
    expect(converged.trace.length).toBe(1);

    const binaryEasy = await runJson('--adaptive', 'binary', '--delta', '1');
    expect(binaryEasy.kStar).toBe(2);
    expect(binaryEasy.horizon).toBe(8);

    const binaryHard = await runJson('--adaptive', 'binary', '--delta', '1e-12');
    expect(binaryHard.kStar).toBe(6);
    expect(binaryHard.horizon).toBe(4);
    expect(binaryHard.trace.length).toBe(5);

    const linearFullChunk = await runJson('--adaptive', 'linear', '--delta', '1e-12', '--max-iterations', '10');
    // The trained core reaches its fixed point after 6 iterations on this input: at the
    // full-chunk limit of 6, so the linear rule runs the whole chunk.
    expect(linearFullChunk.kStar).toBe(6);
    expect(linearFullChunk.horizon).toBe(25);
  });

  it('run warns about cameras without an image', async () => {
    const output = await rdvla('policy', 'run', '--model', MODEL_DIR, '--provider', 'cpu', '--image', `cam_high=${jpeg}`, '--task', 'push the block', '--state', ZERO_STATE, '--json');
    expect(output.exitCode).toBe(0);
    expect(output.stderr).toContain('camera cam_left_wrist has no frame: using a mid-grey image');
    expect(output.stderr).toContain('camera cam_right_wrist has no frame: using a mid-grey image');
    expect(output.stderr).not.toContain('camera cam_high has no frame');
    expect((JSON.parse(output.stdout) as RunJson).greyCameras).toEqual(['cam_left_wrist', 'cam_right_wrist']);
  });

  it('run prints a readable summary without --json', async () => {
    const output = await rdvla('policy', 'run', '--model', MODEL_DIR, '--provider', 'cpu', '--depth', '2', '--task', 'push the block', '--state', ZERO_STATE, '--seed', '9');
    expect(output.exitCode).toBe(0);
    expect(output.stdout).toContain('k* 2, horizon 25 of 25 actions (fixed, seed 9)');
    expect(output.stdout).toMatch(/^action 24: /m);
  });

  const failures: [string, string[], string][] = [
    ['wrong state length', ['--state', '0,0,0'], 'rdvla: joint state has 3 values, model rdvla-tiny-sim takes 14 (left_waist,'],
    ['non-numeric state', ['--state', '0,x'], 'rdvla: --state value 1 ("x") is not a number: pass comma-separated joint positions'],
    ['unknown camera', ['--image', 'cam_top=IMAGE'], 'rdvla: unknown camera cam_top: model rdvla-tiny-sim takes cam_high, cam_left_wrist, cam_right_wrist'],
    ['missing image file', ['--image', 'cam_high=/nonexistent/frame.jpg'], 'rdvla: cannot read image /nonexistent/frame.jpg for camera cam_high: ENOENT'],
    ['undecodable image', ['--image', 'cam_high=MANIFEST'], 'rdvla: camera cam_high: cannot decode the image'],
    ['depth with adaptive', ['--depth', '3', '--adaptive', 'binary'], 'rdvla: --depth and --adaptive exclude each other'],
    ['zero depth', ['--depth', '0'], 'rdvla: --depth 0 is invalid: use a whole number >= 1'],
    ['missing model', ['--model', '/nonexistent/model'], 'rdvla: model directory /nonexistent/model not found'],
  ];
  for (const [name, overrides, message] of failures) {
    it(`run rejects ${name} in one line`, async () => {
      const args = overrides.map((arg) => arg.replace('IMAGE', jpeg).replace('MANIFEST', path.join(MODEL_DIR, 'manifest.json')));
      const base = ['policy', 'run', '--model', MODEL_DIR, '--provider', 'cpu', '--task', 'push the block', '--state', ZERO_STATE];
      const output = await rdvla(...base, ...args);
      expect(output.exitCode).toBe(1);
      const errorLines = output.stderr.split('\n').filter((line) => line.startsWith('rdvla:'));
      expect(errorLines.length).toBe(1);
      expect(errorLines[0]).toContain(message);
    });
  }

  it('info lists graphs, sizes and provider', async () => {
    const output = await rdvla('policy', 'info', '--model', MODEL_DIR, '--provider', 'cpu', '--json');
    expect(output.exitCode).toBe(0);
    const info = JSON.parse(output.stdout) as { provider: string; sizes: { hiddenSize: number }; graphs: Record<string, { inputs: string[] }> };
    expect(info.provider).toBe('cpu');
    expect(info.sizes.hiddenSize).toBe(64);
    expect(Object.keys(info.graphs)).toEqual(['backbone', 'prelude', 'core', 'coda']);
    expect(info.graphs.core?.inputs).toEqual([
      's_prev float32 [1,25,64]',
      's_pre float32 [1,25,64]',
      'core_kv_latent float32 [2,2,4,9,16]',
      'core_kv_context float32 [2,2,4,72,16]',
    ]);
  });

  it('info prints the horizon rules', async () => {
    const output = await rdvla('policy', 'info', '--model', MODEL_DIR, '--provider', 'cpu');
    expect(output.exitCode).toBe(0);
    expect(output.stdout).toContain('binary hard-replans-sooner (4 actions at k* > 4, else 8)');
    expect(output.stdout).toContain('linear (whole chunk at k* <= 6, else max(2, 7 - max(0, k* - 8)))');
  });
});
