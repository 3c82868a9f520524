import type { CameraFrame as HubFrame } from '../camera/camera-types.js';
import { monotonicNs } from '../common/clock.js';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import type { CameraFrame } from '../policy/camera-frames.js';
import type { DepthMode, InferenceRequest, InferenceResult } from '../policy/policy-types.js';
import { vectorSize } from '../rig/joint-layout.js';
import type { RigConfig } from '../rig/rig-config.js';
import type { ActionSource, TickInput } from '../teleop/control-loop.js';
import { clampAction } from '../teleop/follower-targets.js';
import { invalidChunkReason } from './chunk-check.js';
import type { AppliedChunk, ChunkPipeline } from './chunk-pipeline.js';

const log = createLogger('rollout');

/**
 * Shortest default watchdog deadline, in ms. 3x a 20 ms latency would stop a rollout on one
 * scheduling hiccup of a loaded machine, while the arm holds safely during a wait anyway.
 */
export const MIN_WATCHDOG_MS = 500;

/** Invalid chunks in a row after which the rollout stops. */
export const MAX_CONSECUTIVE_REJECTIONS = 3;

/** The part of PolicyClient the rollout uses. */
export interface ChunkPolicy {
  infer(request: InferenceRequest): Promise<InferenceResult>;
}

/** The part of CameraHub the policy reads: the newest frame of a camera. */
export interface LatestFrames {
  latest(camera: string): HubFrame | null;
}

/** An inference whose chunk took over the queue. */
export interface AppliedInference {
  result: InferenceResult;
  applied: AppliedChunk;
  /** Monotonic time of the launch tick, in ns. */
  launchNs: bigint;
}

export type DriverFault = 'watchdog' | 'policy-error';

/** Callbacks of the driver, called on the control loop's thread. */
export interface DriverHooks {
  inference(inference: AppliedInference): void;
  /** A stretch of held ticks waiting for the policy ended. */
  waitEnded(fromTick: number, ticks: number): void;
  rejected(tick: number, reason: string): void;
  /** The driver stopped sending actions; the caller must stop the loop with the arms holding. */
  fault(kind: DriverFault, message: string, tick: number): void;
}

export interface PolicyDriverOptions {
  rig: RigConfig;
  policy: ChunkPolicy;
  pipeline: ChunkPipeline;
  task: string;
  /** Cameras the model takes, in its order; each gets CameraHub's newest frame or none (mid-grey). */
  modelCameras: readonly string[];
  cameras: LatestFrames | null;
  mode?: DepthMode;
  /** Seed of the first inference's scratchpad; inference n uses seed + n. Random when absent. */
  seed?: number;
  /** Fixed watchdog deadline in ms; 3x the pipeline's latency estimate (at least MIN_WATCHDOG_MS) when absent. */
  watchdogMs?: number;
  hooks: DriverHooks;
  /** Monotonic clock in ns, replaceable in tests. */
  now?: () => bigint;
}

interface Flight {
  index: number;
  launchTick: number;
  launchNs: bigint;
  result: InferenceResult | null;
}

/**
 * The rollout's action source: on every tick it lets the chunk pipeline pick the action,
 * launches an inference with the tick's observation when the pipeline requests one, clamps each action to
 * the joint limits and the per-tick step, and checks the policy's deadline. Chunks with NaN,
 * infinite or missing values are rejected whole before they are queued. After a watchdog or
 * policy fault it holds the followers (returns null) and reports the fault once.
 */
export class PolicyDriver {
  readonly source: ActionSource = (input) => this.#tick(input);
  inferencesLaunched = 0;
  rejectedChunks = 0;
  readonly #options: PolicyDriverOptions;
  readonly #now: () => bigint;
  #flight: Flight | null = null;
  #consecutiveRejections = 0;
  #waitFromTick: number | null = null;
  #halted = false;
  #lastTick = -1;

  constructor(options: PolicyDriverOptions) {
    this.#options = options;
    this.#now = options.now ?? monotonicNs;
  }

  get halted(): boolean {
    return this.#halted;
  }

  /** Stops sending actions from the next tick on (e-stop, shutdown). */
  halt(): void {
    this.#halted = true;
  }

  /** Deadline for the inference in flight, in milliseconds. */
  get deadlineMs(): number {
    return this.#options.watchdogMs ?? Math.max(MIN_WATCHDOG_MS, 3 * this.#options.pipeline.latencyEstimateMs);
  }

  #tick(input: TickInput): Float32Array | null {
    this.#lastTick = input.index;
    if (this.#halted) return null;
    if (this.#watchdogExpired(input)) return null;

    const { pipeline, rig, hooks } = this.#options;
    const plan = pipeline.tick(input.index);
    if (plan.applied) this.#reportApplied(plan.applied);
    this.#trackWait(input.index, plan.waiting);
    if (plan.launch) this.#launch(input);

    if (plan.action === null) return null;
    const action = Float32Array.from(clampAction(rig, plan.action, input.previousAction));
    if (!action.every(Number.isFinite)) {
      // Chunks are checked when they land, so only a non-finite previous target gets here.
      hooks.rejected(input.index, `tick ${input.index}: the clamped action is not finite`);
      return null;
    }
    return action;
  }

  #watchdogExpired(input: TickInput): boolean {
    const flight = this.#flight;
    if (flight === null || flight.result !== null) return false;
    const elapsedMs = Number(input.tNs - flight.launchNs) / 1e6;
    if (elapsedMs <= this.deadlineMs) return false;

    const source = this.#options.watchdogMs === undefined ? `3x the measured latency, at least ${MIN_WATCHDOG_MS} ms` : 'the watchdog setting';
    this.#fail(
      'watchdog',
      `policy did not answer inference ${flight.index} within ${this.deadlineMs.toFixed(0)} ms (${source}; launched at step ${flight.launchTick}, ${elapsedMs.toFixed(0)} ms ago): ` +
        'followers hold their position; check the load on the policy machine, or raise --watchdog',
      input.index,
    );
    return true;
  }

  #reportApplied(applied: AppliedChunk): void {
    const flight = this.#flight;
    if (flight === null || flight.result === null) throw new Error('a chunk was applied without a finished inference');
    this.#flight = null;
    this.#options.hooks.inference({ result: flight.result, applied, launchNs: flight.launchNs });
  }

  #trackWait(tick: number, waiting: boolean): void {
    if (waiting && this.#waitFromTick === null) this.#waitFromTick = tick;
    if (!waiting && this.#waitFromTick !== null) {
      this.#options.hooks.waitEnded(this.#waitFromTick, tick - this.#waitFromTick);
      this.#waitFromTick = null;
    }
  }

  #launch(input: TickInput): void {
    const { policy, task, mode, seed } = this.#options;
    const flight: Flight = { index: this.inferencesLaunched, launchTick: input.index, launchNs: input.tNs, result: null };
    this.#flight = flight;
    this.inferencesLaunched += 1;

    const request: InferenceRequest = { frames: this.#frames(), task, state: input.state, mode, seed: seed === undefined ? undefined : (seed + flight.index) >>> 0 };
    policy.infer(request).then(
      (result) => this.#landed(flight, result),
      (error: unknown) => this.#failed(flight, error),
    );
  }

  #frames(): Record<string, CameraFrame> {
    const frames: Record<string, CameraFrame> = {};
    const cameras = this.#options.cameras;
    if (cameras === null) return frames;
    for (const camera of this.#options.modelCameras) {
      const frame = cameras.latest(camera);
      if (frame !== null) frames[camera] = { format: 'jpeg', data: frame.jpeg };
    }
    return frames;
  }

  #landed(flight: Flight, result: InferenceResult): void {
    if (this.#halted || this.#flight !== flight) return;
    const reason = invalidChunkReason(result, vectorSize(this.#options.rig));
    if (reason !== null) {
      this.#reject(flight, `inference ${flight.index}: ${reason}`);
      return;
    }

    this.#consecutiveRejections = 0;
    flight.result = result;
    const latencyMs = Number(this.#now() - flight.launchNs) / 1e6;
    this.#options.pipeline.land({ actions: result.actions, chunkSize: result.chunkSize, actionSize: result.actionSize, horizon: result.horizon }, latencyMs);
  }

  #failed(flight: Flight, error: unknown): void {
    if (this.#halted || this.#flight !== flight) return;
    // The policy raises UserError for outputs it refuses (NaN, infinite values): reject that chunk
    // and replan. Anything else, such as the worker thread exiting, ends the rollout.
    if (error instanceof UserError) {
      this.#reject(flight, `inference ${flight.index}: ${error.message}`);
      return;
    }
    this.#fail('policy-error', `policy failed on inference ${flight.index} (${errorMessage(error)}): followers hold their position; restart the rollout`, this.#lastTick);
  }

  #reject(flight: Flight, reason: string): void {
    this.#flight = null;
    this.#options.pipeline.abandon();
    this.rejectedChunks += 1;
    this.#consecutiveRejections += 1;
    log.warn(`chunk rejected, nothing of it reaches the arms: ${reason}`);
    this.#options.hooks.rejected(this.#lastTick, reason);

    if (this.#consecutiveRejections >= MAX_CONSECUTIVE_REJECTIONS) {
      this.#fail('policy-error', `${this.#consecutiveRejections} chunks in a row were invalid (last: ${reason}): followers hold their position; check the model export and the joint state`, flight.launchTick);
    }
  }

  #fail(kind: DriverFault, message: string, tick: number): void {
    if (this.#halted) return;
    this.#halted = true;
    log.error(message);
    this.#options.hooks.fault(kind, message, tick);
  }
}
