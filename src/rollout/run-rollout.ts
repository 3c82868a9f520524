import os from 'node:os';
import { CameraHub } from '../camera/camera-hub.js';
import { monotonicNs } from '../common/clock.js';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { ExecutionProvider } from '../policy/execution-provider.js';
import { PolicyClient } from '../policy/policy-client.js';
import type { DepthMode, InferenceRequest, PolicyInfo } from '../policy/policy-types.js';
import { rawToVector, vectorSize } from '../rig/joint-layout.js';
import { RigConnection } from '../rig/rig-connection.js';
import type { RigConfig } from '../rig/rig-config.js';
import { EpisodeRecorder } from '../store/episode-recorder.js';
import { EpisodeStore } from '../store/episode-store.js';
import { calibrationOf, verdictOrNull } from '../teleop/record-episodes.js';
import { describePolicy } from './policy-description.js';
import { Rollout, type RolloutEnd, defaultMarginMs } from './rollout.js';
import { type RolloutSummary, RolloutTelemetry } from './rollout-telemetry.js';

const log = createLogger('rollout');

/** Warm-up inferences before the loop starts; the last one's round trip seeds the latency estimate. */
const WARMUP_INFERENCES = 2;

/** The simulated rig's scene: a reset with new target placement and task text, and the success check. */
export interface SimScene {
  resetScene(seed?: number): Promise<{ task: string; seed: number }>;
  taskVerdict(): Promise<{ success: boolean; detail: string }>;
}

export interface RunRolloutOptions {
  rig: RigConfig;
  modelDir: string;
  provider?: ExecutionProvider;
  dbPath: string;
  /** Task instruction; with a scene and no task, the scene's task text. */
  task?: string;
  seconds: number;
  mode?: DepthMode;
  /** Seeds the scene reset and the scratchpad of the first inference. */
  seed?: number;
  /** Present for the simulated rig: reset before the rollout, its verdict sets the outcome. */
  scene?: SimScene | null;
  /** Ends the rollout early with the followers holding; the episode keeps what was recorded. */
  signal?: AbortSignal;
  telemetry?: RolloutTelemetry;
  hz?: number;
  marginMs?: number;
  watchdogMs?: number;
  /** Intra-op threads of the policy; all cores but one by default, so the control loop keeps a core. */
  intraOpThreads?: number;
  /** Called once the loop runs, e.g. to wire an e-stop button to rollout.emergencyStop. */
  onStarted?: (rollout: Rollout) => void;
}

/**
 * Runs one rollout episode end to end. It loads the policy in its worker thread, resets the
 * simulated scene (when there is one), opens the rig and the cameras, and warms the policy up.
 * Then it records a 'rollout' episode for `seconds` (or until aborted, e-stopped or faulted),
 * stores the scene's verdict as the outcome, and closes everything again. Resolves with the
 * summary, also when a fault stopped the rollout early (its `fault` gives the reason).
 */
export async function runRollout(options: RunRolloutOptions): Promise<RolloutSummary> {
  const { rig } = options;
  const hz = options.hz ?? rig.fps;
  const marginMs = options.marginMs ?? defaultMarginMs(hz);
  EpisodeStore.open(options.dbPath).close();

  const policy = new PolicyClient();
  let connection: RigConnection | null = null;
  let cameras: CameraHub | null = null;
  try {
    const intraOpThreads = options.intraOpThreads ?? Math.max(1, os.availableParallelism() - 1);
    const info = await policy.load(options.modelDir, { provider: options.provider, intraOpThreads });
    checkPolicyFitsRig(info, rig);

    const task = await resolveTask(options);
    connection = await RigConnection.open(rig);
    await connection.prepare();
    if (rig.cameras.length > 0) {
      cameras = new CameraHub(rig.cameras);
      await cameras.start();
    }

    const warmupLatencyMs = await warmUp(policy, connection, cameras, info, { task, mode: options.mode, seed: options.seed });
    if (options.signal?.aborted) throw new UserError('rollout stopped before its first step: no episode was recorded');
    return await recordRollout(options, { connection, policy, info, cameras, task, hz, marginMs, warmupLatencyMs });
  } finally {
    await cameras?.stop();
    await policy.close().catch((error: unknown) => log.warn(`closing the policy worker failed: ${errorMessage(error)}`));
    await connection?.close();
  }
}

interface OpenedRig {
  connection: RigConnection;
  policy: PolicyClient;
  info: PolicyInfo;
  cameras: CameraHub | null;
  task: string;
  hz: number;
  marginMs: number;
  warmupLatencyMs: number;
}

/** Records the rollout episode on an opened rig; the episode is closed also when the run fails. */
async function recordRollout(options: RunRolloutOptions, opened: OpenedRig): Promise<RolloutSummary> {
  const { connection, policy, info, cameras, task, hz, marginMs, warmupLatencyMs } = opened;
  const description = describePolicy(info, { mode: options.mode, seed: options.seed, controlHz: hz, marginMs, watchdogMs: options.watchdogMs });
  let rollout: Rollout | null = null;
  const recorder = await EpisodeRecorder.start(
    options.dbPath,
    { task, kind: 'rollout', fps: hz, rig: connection.rig, calibration: calibrationOf(connection.rig), policy: description },
    { onError: (error) => void rollout?.stop('recording-error', `recording failed: ${error.message}`) },
  );

  const telemetry = options.telemetry ?? new RolloutTelemetry();
  rollout = new Rollout({
    connection,
    policy,
    policyInfo: info,
    task,
    mode: options.mode,
    seed: options.seed,
    cameras,
    recorder,
    telemetry,
    hz,
    marginMs,
    watchdogMs: options.watchdogMs,
    warmupLatencyMs,
  });
  telemetry.emit({ type: 'started', task, controlHz: hz, policy: description });

  let end: RolloutEnd;
  try {
    await rollout.start();
    options.onStarted?.(rollout);
    const stopReason = await waitForEnd(rollout, options.seconds, options.signal);
    if (stopReason !== 'ended') await rollout.stop(stopReason);
    end = await rollout.ended;
  } catch (error) {
    await rollout.stop('loop-error', errorMessage(error));
    await recorder.stop().catch((stopError: unknown) => log.error(`episode ${recorder.episodeId}: closing it failed: ${errorMessage(stopError)}`));
    throw error;
  }

  const scene = options.scene;
  const verdict = scene ? await verdictOrNull(() => scene.taskVerdict()) : null;
  let outcome: RolloutSummary['outcome'] = 'unlabelled';
  if (verdict !== null) outcome = verdict.success ? 'success' : 'failure';
  await recorder.stop({ outcome });

  const { totals, pipeline, driver } = rollout;
  const summary: RolloutSummary = {
    episodeId: recorder.episodeId,
    task,
    steps: totals.steps,
    inferences: totals.inferences,
    meanKStar: totals.meanKStar,
    meanHorizon: totals.meanHorizon,
    waitTicks: pipeline.waitTicks,
    startupTicks: pipeline.startupTicks,
    rejectedChunks: driver.rejectedChunks,
    meanLatencyMs: totals.meanLatencyMs,
    p99LatenessMs: totals.latenessPercentileMs(99),
    outcome,
    verdict: verdict?.detail ?? null,
    stopReason: end.reason,
    fault: end.fault,
  };
  telemetry.emit({ type: 'stopped', summary });
  log.info(`episode ${summary.episodeId}: ${summary.steps} steps, ${summary.inferences} inferences, ${summary.waitTicks} ticks waiting, outcome ${outcome}`);
  return summary;
}

function checkPolicyFitsRig(info: PolicyInfo, rig: RigConfig): void {
  const size = vectorSize(rig);
  if (info.sizes.actionSize !== size || info.sizes.proprioSize !== size) {
    throw new UserError(
      `model ${info.name} takes ${info.sizes.proprioSize} state values and predicts ${info.sizes.actionSize} per action, rig ${rig.name} has ${size} follower joints: use a model trained for this rig`,
    );
  }
  if (info.headOnly) throw new UserError(`model ${info.name} is a head-only export: a rollout needs the backbone too (export the full model)`);

  const rigCameras = new Set(rig.cameras.map((camera) => camera.name));
  const missing = info.cameras.filter((camera) => !rigCameras.has(camera));
  if (missing.length > 0) log.warn(`model ${info.name} takes cameras the rig file does not list (${missing.join(', ')}): they get a mid-grey image`);
}

async function resolveTask(options: RunRolloutOptions): Promise<string> {
  if (options.scene) {
    const scene = await options.scene.resetScene(options.seed);
    log.info(`scene reset with seed ${scene.seed}: "${scene.task}"`);
    return options.task ?? scene.task;
  }
  if (options.task === undefined || options.task.trim() === '') throw new UserError('no task given: pass --task with the instruction for the policy');
  return options.task;
}

/** Runs the policy a few times on the present observation and returns the last round trip in ms. */
async function warmUp(policy: PolicyClient, connection: RigConnection, cameras: CameraHub | null, info: PolicyInfo, request: Pick<InferenceRequest, 'task' | 'mode' | 'seed'>): Promise<number> {
  const rig = connection.rig;
  const [left, right] = await Promise.all([connection.readPositions('left_follower'), connection.readPositions('right_follower')]);
  const state = [...rawToVector(rig.arms.left_follower, left), ...rawToVector(rig.arms.right_follower, right)];
  const frames: NonNullable<InferenceRequest['frames']> = {};
  for (const camera of info.cameras) {
    const frame = cameras?.latest(camera);
    if (frame) frames[camera] = { format: 'jpeg', data: frame.jpeg };
  }

  let latencyMs = 0;
  for (let i = 0; i < WARMUP_INFERENCES; i++) {
    const startNs = monotonicNs();
    await policy.infer({ ...request, frames, state });
    latencyMs = Number(monotonicNs() - startNs) / 1e6;
  }
  log.info(`policy warmed up: ${latencyMs.toFixed(1)} ms per inference`);
  return latencyMs;
}

/** Resolves with why the rollout should stop: its time is up, the signal fired, or it ended by itself. */
async function waitForEnd(rollout: Rollout, seconds: number, signal: AbortSignal | undefined): Promise<'time' | 'signal' | 'ended'> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race<'time' | 'signal' | 'ended'>([
      new Promise((resolve) => (timer = setTimeout(() => resolve('time'), seconds * 1000))),
      new Promise((resolve) => {
        onAbort = () => resolve('signal');
        if (signal?.aborted) resolve('signal');
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
      rollout.ended.then(() => 'ended' as const),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
