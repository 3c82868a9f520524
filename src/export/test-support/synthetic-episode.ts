/**
 * Synthetic recorded episodes for export tests and benchmarks. Steps come at 50 Hz and frames at
 * each camera's rate, both with jittered times. Cameras start late and drop an occasional frame.
 * Frames are JPEGs cut from a textured scene, and rollouts get one inference per action chunk.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { alohaRig } from '../../rig/presets.js';
import { mulberry32 } from '../../sim/seeded-random.js';
import { EpisodeStore } from '../../store/episode-store.js';
import type { EpisodeKind, EpisodeOutcome, FrameRecord, InferenceRecord, StepSample } from '../../store/episode-types.js';

export interface SyntheticCamera {
  name: string;
  width: number;
  height: number;
  fps: number;
}

export interface SyntheticEpisodeOptions {
  seconds: number;
  cameras: SyntheticCamera[];
  seed: number;
  task?: string;
  kind?: EpisodeKind;
  outcome?: EpisodeOutcome;
  stepHz?: number;
  /** Leave the episode unfinished, as after a crash. */
  incomplete?: boolean;
  /** 'jumpy' moves the view far between frames so neighbouring frames differ a lot (tests); 'smooth' pans like a camera (benchmarks). */
  motion?: 'jumpy' | 'smooth';
  jpegQuality?: number;
  /** Monotonic start in nanoseconds. */
  startNs?: bigint;
}

const ROLLOUT_HORIZON = 10;
const FIRST_FRAME_DELAY_NS = 40_000_000n;
const DROPPED_FRAME_EVERY = 97;

/** Returns a function rendering frame n of a camera as JPEG: a window onto a textured scene twice the frame size. */
function frameRenderer(camera: SyntheticCamera, seed: number, motion: 'jumpy' | 'smooth', quality: number): (frame: number) => Promise<Buffer> {
  const width = camera.width * 2;
  const height = camera.height * 2;
  const block = Math.max(4, Math.round(camera.width / 8));
  const next = mulberry32(seed);
  const scene = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const noise = (next() - 0.5) * 12;
      const checker = (Math.floor(x / block) + Math.floor(y / block)) % 2;
      const i = (y * width + x) * 3;
      scene[i] = Math.max(0, Math.min(255, 70 + checker * 110 + 30 * Math.sin(x / 17) + noise));
      scene[i + 1] = Math.max(0, Math.min(255, 110 + 60 * Math.cos(y / 23) + noise));
      scene[i + 2] = Math.max(0, Math.min(255, 40 + (150 * x * y) / (width * height) + noise));
    }
  }

  return (frame) => {
    const left = motion === 'jumpy' ? (frame * 37) % camera.width : Math.round((camera.width / 2) * (1 + Math.sin(frame / 45)));
    const top = motion === 'jumpy' ? (frame * 23) % camera.height : Math.round((camera.height / 2) * (1 + Math.cos(frame / 60)));
    return sharp(scene, { raw: { width, height, channels: 3 } })
      .extract({ left, top, width: camera.width, height: camera.height })
      .jpeg({ quality })
      .toBuffer();
  };
}

function step(index: number, tNs: bigint, width: number): StepSample {
  const t = index / 50;
  const vector = (phase: number, scale: number) => Float32Array.from({ length: width }, (_, j) => scale * Math.sin(2 * Math.PI * (0.2 + j * 0.05) * t + phase + j));
  return {
    tNs,
    observationState: vector(0, 1),
    action: vector(0.3, 1.05),
    followerVelocity: vector(1.1, 0.5),
    followerCurrent: vector(2.2, 300),
    periodMs: 20,
    latenessMs: 0.1,
    busMs: 3,
  };
}

async function cameraFrames(camera: SyntheticCamera, startNs: bigint, endNs: bigint, options: SyntheticEpisodeOptions, cameraIndex: number): Promise<FrameRecord[]> {
  const next = mulberry32(options.seed * 31 + cameraIndex);
  const render = frameRenderer(camera, options.seed * 7 + cameraIndex, options.motion ?? 'jumpy', options.jpegQuality ?? 85);
  const periodNs = 1e9 / camera.fps;
  const times: bigint[] = [];
  for (let k = 0; ; k++) {
    if (k > 0 && k % DROPPED_FRAME_EVERY === 0) continue;
    const jitterNs = (next() - 0.5) * 8e6;
    const tNs = startNs + FIRST_FRAME_DELAY_NS + BigInt(cameraIndex * 7_000_000) + BigInt(Math.round(k * periodNs + jitterNs));
    if (tNs > endNs) break;
    times.push(tNs);
  }
  const jpegs = await Promise.all(times.map((_, k) => render(k)));
  return times.map((tNs, index) => ({ camera: camera.name, index, tNs, jpeg: jpegs[index]!, width: camera.width, height: camera.height }));
}

function inferences(steps: number, seed: number, startNs: bigint, stepNs: number): InferenceRecord[] {
  const next = mulberry32(seed * 13);
  const records: InferenceRecord[] = [];
  for (let stepIndex = 0; stepIndex < steps; stepIndex += ROLLOUT_HORIZON) {
    records.push({
      index: records.length,
      tNs: startNs + BigInt(Math.round(stepIndex * stepNs)) - 5_000_000n,
      stepIndex,
      kStar: 2 + Math.floor(next() * 10),
      horizon: ROLLOUT_HORIZON,
      trace: [0.5, 0.1, 0.01],
      timings: { backbone: 20 + next() * 5, core: 10 + next() * 10, total: 35 + next() * 15 },
      waitedTicks: 0,
    });
  }
  return records;
}

/** Records one synthetic episode into the store and returns its id. */
export async function recordSyntheticEpisode(store: EpisodeStore, options: SyntheticEpisodeOptions): Promise<number> {
  const stepHz = options.stepHz ?? 50;
  const startNs = options.startNs ?? 5_000_000_000_000n + BigInt(options.seed) * 1_000_000_000_000n;
  const rig = alohaRig(
    { left_leader: '/dev/ttyDXL0', left_follower: '/dev/ttyDXL1', right_leader: '/dev/ttyDXL2', right_follower: '/dev/ttyDXL3' },
    { fps: stepHz, cameras: options.cameras.map((camera) => ({ name: camera.name, device: `/dev/video-${camera.name}`, width: camera.width, height: camera.height, fps: camera.fps })) },
  );
  const width = rig.arms.left_follower.motors.length + rig.arms.right_follower.motors.length;
  const kind = options.kind ?? 'teleop';
  const id = store.createEpisode({ task: options.task ?? 'fold the towel', kind, fps: stepHz, rig, calibration: {}, startNs, startedAt: new Date('2026-03-01T10:00:00Z') });

  const next = mulberry32(options.seed);
  const stepNs = 1e9 / stepHz;
  const stepCount = Math.round(options.seconds * stepHz);
  const steps = Array.from({ length: stepCount }, (_, index) => {
    const jitterNs = index === 0 ? 0 : (next() - 0.5) * 3e6;
    return { ...step(index, startNs + BigInt(Math.round(index * stepNs + jitterNs)), width), index };
  });
  store.appendSteps(id, steps);
  const endNs = steps[steps.length - 1]!.tNs;

  for (const [index, camera] of options.cameras.entries()) {
    const frames = await cameraFrames(camera, startNs, endNs, options, index);
    store.appendFrames(id, frames);
    store.setCameraStats(id, camera.name, { fps: camera.fps, width: camera.width, height: camera.height, frames: frames.length, dropped: 0, late: 0 });
  }
  if (kind === 'rollout') store.appendInferences(id, inferences(stepCount, options.seed, startNs, stepNs));
  if (!options.incomplete) store.finishEpisode(id, { endNs: endNs + BigInt(Math.round(stepNs)), outcome: options.outcome ?? 'success' });
  return id;
}

/** Creates a temporary folder with an episode database that contains one synthetic episode per entry of `episodes`. */
export async function createSyntheticDatabase(prefix: string, episodes: SyntheticEpisodeOptions[]): Promise<{ dir: string; dbPath: string }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const dbPath = join(dir, 'episodes.db');
  const store = EpisodeStore.open(dbPath);
  try {
    for (const episode of episodes) await recordSyntheticEpisode(store, episode);
  } finally {
    store.close();
  }
  return { dir, dbPath };
}
