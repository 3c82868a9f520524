import { monotonicNs, sleep } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import { RigConnection } from '../rig/rig-connection.js';
import type { RigConfig } from '../rig/rig-config.js';
import { EpisodeRecorder } from '../store/episode-recorder.js';
import { EpisodeStore } from '../store/episode-store.js';
import type { StepSample } from '../store/episode-types.js';
import { ControlLoop } from './control-loop.js';
import { teleopSource } from './teleop-source.js';

const log = createLogger('record');

export interface RecordOptions {
  rig: RigConfig;
  dbPath: string;
  task: string;
  seconds: number;
  episodes: number;
  /** Pause between episodes while teleop keeps running, so the operator can reset the scene. */
  resetSeconds: number;
  /** Stops early when aborted; the episode in progress keeps what was recorded. */
  signal?: AbortSignal;
  onEpisodeDone?: (summary: RecordedEpisode) => void;
}

export interface RecordedEpisode {
  id: number;
  steps: number;
  durationS: number;
  meanPeriodMs: number | null;
  p99LatenessMs: number | null;
  /** True when the recording was stopped before its planned length. */
  cutShort: boolean;
}

/**
 * Records teleop episodes: the followers track the leaders at the rig's rate, and each tick is
 * queued to a recorder whose writer thread commits it to the episode database.
 */
export async function recordEpisodes(options: RecordOptions): Promise<RecordedEpisode[]> {
  const { rig } = options;
  EpisodeStore.open(options.dbPath).close();

  const connection = await RigConnection.open(rig);
  const loop = new ControlLoop(connection, { readLeaders: true, source: teleopSource(rig) });
  const results: RecordedEpisode[] = [];
  let loopError: Error | null = null;
  loop.once('error', (error: Error) => {
    loopError = error;
  });

  try {
    await connection.prepare();
    await loop.start();

    for (let episode = 0; episode < options.episodes && !options.signal?.aborted && !loopError; episode += 1) {
      if (episode > 0 && options.resetSeconds > 0) {
        log.info(`reset the scene: next episode starts in ${options.resetSeconds} s`);
        await sleep(options.resetSeconds * 1000);
      }
      const recorded = await recordOne(options, loop);
      results.push(recorded);
      options.onEpisodeDone?.(recorded);
    }
  } finally {
    await loop.stop();
    await connection.close();
  }
  if (loopError) throw loopError;
  return results;
}

async function recordOne(options: RecordOptions, loop: ControlLoop): Promise<RecordedEpisode> {
  const { rig } = options;
  const plannedSteps = Math.round(options.seconds * rig.fps);
  const recorder = await EpisodeRecorder.start(options.dbPath, {
    task: options.task,
    kind: 'teleop',
    fps: rig.fps,
    rig,
    calibration: calibrationOf(rig),
  });
  log.info(`episode ${recorder.episodeId}: recording ${plannedSteps} steps at ${rig.fps} Hz`);

  let steps = 0;
  let lastStepNs = monotonicNs();
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      loop.off('step', onStep);
      loop.off('error', finish);
      options.signal?.removeEventListener('abort', finish);
      resolve();
    };
    const onStep = (step: StepSample): void => {
      recorder.addStep(step);
      lastStepNs = step.tNs;
      steps += 1;
      if (steps >= plannedSteps) finish();
    };
    loop.on('step', onStep);
    loop.once('error', finish);
    options.signal?.addEventListener('abort', finish, { once: true });
    // The loop may have failed or been aborted while the recorder was starting.
    if (!loop.running || options.signal?.aborted) finish();
  });

  const written = await recorder.stop({ endNs: lastStepNs + BigInt(Math.round(1e9 / rig.fps)) });
  const store = EpisodeStore.open(options.dbPath, { readonly: true });
  try {
    const stats = store.episodeStats(recorder.episodeId);
    return {
      id: recorder.episodeId,
      steps: written,
      durationS: stats.durationS,
      meanPeriodMs: stats.meanPeriodMs,
      p99LatenessMs: stats.p99LatenessMs,
      cutShort: written < plannedSteps,
    };
  } finally {
    store.close();
  }
}

/** Returns the calibration part of the rig file, stored with each episode so raw values can be re-derived. */
export function calibrationOf(rig: RigConfig): Record<string, { id: number; joint: string; calibration: unknown }[]> {
  return Object.fromEntries(
    Object.entries(rig.arms).map(([arm, config]) => [arm, config.motors.map((motor) => ({ id: motor.id, joint: motor.joint, calibration: motor.calibration }))]),
  );
}
