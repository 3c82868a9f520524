import { CameraHub } from '../camera/camera-hub.js';
import type { CameraStatsSnapshot } from '../camera/camera-types.js';
import { type FrameSink, recordEpisodeFrames } from '../camera/episode-frames.js';
import { monotonicNs, sleep } from '../common/clock.js';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { RigConnection } from '../rig/rig-connection.js';
import type { RigConfig } from '../rig/rig-config.js';
import { EpisodeRecorder } from '../store/episode-recorder.js';
import { EpisodeStore } from '../store/episode-store.js';
import type { EpisodeOutcome, StepSample } from '../store/episode-types.js';
import { ControlLoop } from './control-loop.js';
import { teleopSource } from './teleop-source.js';

const log = createLogger('record');

/** A scene that sets itself up for each episode and judges it, such as the simulated rig's table task. */
export interface EpisodeScene {
  /** Sets up the scene for the next episode and returns its task text. */
  reset(): Promise<{ task: string }>;
  /** Checks whether the task was done, once the episode's last step is recorded. */
  verdict(): Promise<{ success: boolean; detail: string }>;
}

export interface RecordOptions {
  rig: RigConfig;
  dbPath: string;
  /** Task text stored with each episode; the scene's task text when not given. */
  task?: string;
  /** Scene reset at the start of each episode and judged at its end; its verdict is the episode's outcome. */
  scene?: EpisodeScene;
  /** Record the rig file's cameras; true by default. */
  cameras?: boolean;
  seconds: number;
  episodes: number;
  /** Pause between episodes while teleop keeps running, so the operator can reset the scene. */
  resetSeconds: number;
  /** Stops early when aborted; the episode in progress keeps what was recorded. */
  signal?: AbortSignal;
  onEpisodeDone?: (summary: RecordedEpisode) => void;
  /** Caps the database at this many pages while recording (a disk quota; tests use it to fill the "disk"). */
  maxPageCount?: number;
}

export interface RecordedEpisode {
  id: number;
  steps: number;
  durationS: number;
  meanPeriodMs: number | null;
  p99LatenessMs: number | null;
  /** True when the recording was stopped before its planned length. */
  cutShort: boolean;
  task: string;
  /** The scene's verdict as success or failure; unlabelled without a scene. */
  outcome: EpisodeOutcome;
  /** The scene's explanation of its verdict, null without a scene. */
  verdictDetail: string | null;
  /** Frame counts of each camera over the episode. */
  cameras: Record<string, CameraStatsSnapshot>;
}

/**
 * Records teleop episodes: the followers track the leaders at the rig's rate, and each tick and
 * camera frame is queued to a recorder whose writer thread commits it to the episode database.
 */
export async function recordEpisodes(options: RecordOptions): Promise<RecordedEpisode[]> {
  const { rig } = options;
  if (options.task === undefined && !options.scene) throw new UserError('no task text given: pass the task the operator demonstrates (--task TEXT)');
  EpisodeStore.open(options.dbPath).close();

  const connection = await RigConnection.open(rig);
  const loop = new ControlLoop(connection, { readLeaders: true, source: teleopSource(rig) });
  const hub = options.cameras !== false && rig.cameras.length > 0 ? new CameraHub(rig.cameras) : null;
  const results: RecordedEpisode[] = [];
  let loopError: Error | null = null;
  const onError = (error: Error): void => {
    loopError ??= error;
  };
  loop.once('error', onError);
  hub?.on('error', onError);

  try {
    await connection.prepare();
    await hub?.start();
    await loop.start();

    for (let episode = 0; episode < options.episodes && !options.signal?.aborted && !loopError; episode += 1) {
      if (episode > 0 && options.resetSeconds > 0) {
        const reset = options.scene ? 'then the scene reset moves the arms home' : 'to reset the scene by hand';
        log.info(`pause of ${options.resetSeconds} s ${reset}; the next episode starts after it`);
        await sleep(options.resetSeconds * 1000);
      }
      const recorded = await recordOne(options, loop, hub);
      results.push(recorded);
      options.onEpisodeDone?.(recorded);
    }
  } finally {
    await loop.stop();
    await hub?.stop();
    await connection.close();
  }
  if (loopError) throw loopError;
  return results;
}

async function recordOne(options: RecordOptions, loop: ControlLoop, hub: CameraHub | null): Promise<RecordedEpisode> {
  const { rig } = options;
  const plannedSteps = Math.round(options.seconds * rig.fps);
  const sceneTask = options.scene ? (await options.scene.reset()).task : undefined;
  const task = options.task ?? sceneTask!;
  // A write failure (a full disk) ends the episode: the recorder reports it once, later adds
  // would throw on the loop's thread, and stop() below rejects with the same error.
  let writeError: Error | null = null;
  let endEpisode: (() => void) | null = null;
  const recorder = await EpisodeRecorder.start(
    options.dbPath,
    { task, kind: 'teleop', fps: rig.fps, rig, calibration: calibrationOf(rig) },
    {
      maxPageCount: options.maxPageCount,
      onError: (error) => {
        writeError ??= error;
        endEpisode?.();
      },
    },
  );
  log.info(`episode ${recorder.episodeId}: recording ${plannedSteps} steps at ${rig.fps} Hz, ${hub?.cameras.length ?? 0} cameras: ${task}`);
  const frameSink: FrameSink = {
    addFrame: (frame) => (writeError ? -1 : recorder.addFrame(frame)),
    setCameraStats: (camera, stats) => {
      if (!writeError) recorder.setCameraStats(camera, stats);
    },
  };
  const frames = hub ? recordEpisodeFrames(hub, frameSink) : null;

  let steps = 0;
  let lastStepNs = monotonicNs();
  await new Promise<void>((resolve) => {
    const finish = (): void => {
      endEpisode = null;
      loop.off('step', onStep);
      loop.off('error', finish);
      hub?.off('error', finish);
      options.signal?.removeEventListener('abort', finish);
      resolve();
    };
    endEpisode = finish;
    const onStep = (step: StepSample): void => {
      if (writeError) return finish();
      recorder.addStep(step);
      lastStepNs = step.tNs;
      steps += 1;
      if (steps >= plannedSteps) finish();
    };
    loop.on('step', onStep);
    loop.once('error', finish);
    hub?.once('error', finish);
    options.signal?.addEventListener('abort', finish, { once: true });
    // The loop may have failed or been aborted while the recorder was starting.
    if (!loop.running || options.signal?.aborted || writeError) finish();
  });

  const cameras = frames?.stop() ?? {};
  const scene = options.scene;
  const verdict = scene ? await verdictOrNull(() => scene.verdict()) : null;
  let outcome: EpisodeOutcome = 'unlabelled';
  if (verdict) outcome = verdict.success ? 'success' : 'failure';
  if (verdict) log.info(`episode ${recorder.episodeId}: ${outcome}: ${verdict.detail}`);
  const written = await recorder.stop({ endNs: lastStepNs + BigInt(Math.round(1e9 / rig.fps)), outcome: verdict ? outcome : undefined });
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
      task,
      outcome,
      verdictDetail: verdict?.detail ?? null,
      cameras,
    };
  } finally {
    store.close();
  }
}

/** Returns the simulated scene's verdict, or null when it cannot give one (its process was stopped), so the episode stays unlabelled. */
export async function verdictOrNull(ask: () => Promise<{ success: boolean; detail: string }>): Promise<{ success: boolean; detail: string } | null> {
  try {
    return await ask();
  } catch (error) {
    log.warn(`the simulated scene gave no verdict (${errorMessage(error)}), so the episode is stored unlabelled`);
    return null;
  }
}

/** Returns the calibration part of the rig file, stored with each episode so raw values can be re-derived. */
export function calibrationOf(rig: RigConfig): Record<string, { id: number; joint: string; calibration: unknown }[]> {
  return Object.fromEntries(
    Object.entries(rig.arms).map(([arm, config]) => [arm, config.motors.map((motor) => ({ id: motor.id, joint: motor.joint, calibration: motor.calibration }))]),
  );
}
