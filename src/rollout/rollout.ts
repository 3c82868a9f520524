import type { CameraHub } from '../camera/camera-hub.js';
import { type EpisodeFrames, recordEpisodeFrames } from '../camera/episode-frames.js';
import { monotonicNs } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import type { DepthMode, PolicyInfo } from '../policy/policy-types.js';
import type { RigConnection } from '../rig/rig-connection.js';
import type { EpisodeRecorder } from '../store/episode-recorder.js';
import type { StepSample } from '../store/episode-types.js';
import { ControlLoop } from '../teleop/control-loop.js';
import { ChunkPipeline } from './chunk-pipeline.js';
import { type AppliedInference, type ChunkPolicy, type DriverFault, PolicyDriver } from './policy-driver.js';
import { type EmergencyStopBehaviour, type RolloutStopReason, RolloutTelemetry } from './rollout-telemetry.js';
import { RolloutTotals } from './rollout-totals.js';

const log = createLogger('rollout');

/** Default time added to the latency estimate before an inference launches: half a control period, in ms. */
export function defaultMarginMs(hz: number): number {
  return 500 / hz;
}

/** How long a stop waits for the tick in progress and the stop behaviour before giving up, in ms. */
const LOOP_STOP_TIMEOUT_MS = 3000;

/** Ticks the tick-to-step map keeps: 82 s at 50 Hz, longer than any inference between launch and landing short of a very large --watchdog. */
const STEP_MAP_TICKS = 4096;

/** How often the 'cameras' telemetry event is sent, in milliseconds. */
const CAMERA_STATS_INTERVAL_MS = 1000;

/** The recorder calls a rollout makes; EpisodeRecorder provides them. */
export type RolloutRecorder = Pick<EpisodeRecorder, 'addStep' | 'addFrame' | 'addInference' | 'setCameraStats'>;

export interface RolloutOptions {
  connection: RigConnection;
  policy: ChunkPolicy;
  /** The loaded policy's summary: its cameras, chunk size and horizon rules. */
  policyInfo: Pick<PolicyInfo, 'cameras' | 'sizes' | 'inference'>;
  task: string;
  mode?: DepthMode;
  seed?: number;
  /** Running camera hub; without one every camera gets the mid-grey image. */
  cameras?: CameraHub | null;
  recorder?: RolloutRecorder | null;
  telemetry?: RolloutTelemetry;
  /** Control rate in Hz; the rig file's fps by default. */
  hz?: number;
  /** Time added to the latency estimate before an inference launches, in ms (default half a period). */
  marginMs?: number;
  /** Fixed watchdog deadline in ms; 3x the measured latency (at least 500 ms) when absent. */
  watchdogMs?: number;
  /** Round trip of a warm-up inference, the first latency estimate, in ms. */
  warmupLatencyMs: number;
}

/** End of a rollout: its stop reason and the fault message, if a fault stopped it. */
export interface RolloutEnd {
  reason: RolloutStopReason;
  fault: string | null;
}

/**
 * A policy driving the followers: a control loop without leaders whose actions come from a
 * PolicyDriver, with every tick, camera frame and inference sent to the recorder (when given)
 * and to the telemetry. `ended` resolves once the loop has stopped and the followers hold (or
 * are released by an e-stop), whatever stopped it.
 */
export class Rollout {
  readonly telemetry: RolloutTelemetry;
  readonly pipeline: ChunkPipeline;
  readonly driver: PolicyDriver;
  readonly loop: ControlLoop;
  readonly totals = new RolloutTotals();
  readonly ended: Promise<RolloutEnd>;
  readonly #options: RolloutOptions;
  readonly #periodMs: number;
  #resolveEnded: (end: RolloutEnd) => void = () => undefined;
  #end: RolloutEnd | null = null;
  #startNs: bigint | null = null;
  #lastTick = -1;
  /** Step index each recent tick's step gets; ticks and steps differ once the loop skips a tick. */
  readonly #stepOfTick = new Map<number, number>();
  #held = false;
  #frames: EpisodeFrames | null = null;
  #cameraTimer: NodeJS.Timeout | null = null;
  #stopping: Promise<void> | null = null;
  #finished = false;

  constructor(options: RolloutOptions) {
    this.#options = options;
    this.telemetry = options.telemetry ?? new RolloutTelemetry();
    const hz = options.hz ?? options.connection.rig.fps;
    this.#periodMs = 1000 / hz;
    this.ended = new Promise((resolve) => (this.#resolveEnded = resolve));

    const { sizes, inference } = options.policyInfo;
    this.pipeline = new ChunkPipeline({
      periodMs: this.#periodMs,
      marginMs: options.marginMs ?? defaultMarginMs(hz),
      maxLeadTicks: Math.max(0, sizes.chunkSize - shortestHorizon(options.mode, inference, sizes.chunkSize)),
      initialLatencyMs: options.warmupLatencyMs,
    });
    this.driver = new PolicyDriver({
      rig: options.connection.rig,
      policy: options.policy,
      pipeline: this.pipeline,
      task: options.task,
      modelCameras: options.policyInfo.cameras,
      cameras: options.cameras ?? null,
      mode: options.mode,
      seed: options.seed,
      watchdogMs: options.watchdogMs,
      hooks: {
        inference: (applied) => this.#onInference(applied),
        waitEnded: (fromTick, ticks) => this.telemetry.emit({ type: 'wait', fromTick, ticks }),
        rejected: (tick, reason) => this.telemetry.emit({ type: 'rejected', tick, reason }),
        fault: (kind, message, tick) => this.#onFault(kind, message, tick),
      },
    });
    this.loop = new ControlLoop(options.connection, {
      readLeaders: false,
      hz,
      source: (input) => {
        this.#lastTick = input.index;
        this.#rememberStep(input.index);
        this.#startNs ??= input.tNs;
        const action = this.driver.source(input);
        this.#held = action === null;
        return action;
      },
    });
    this.loop.on('step', (step: StepSample) => this.#onStep(step));
    this.loop.once('error', (error: Error) => {
      this.#finish('loop-error', `control loop failed: ${error.message}`);
    });
  }

  /** Enables follower torque and starts the loop; the first inference launches on the first tick. */
  async start(): Promise<void> {
    const { cameras, recorder } = this.#options;
    if (cameras && recorder) this.#frames = recordEpisodeFrames(cameras, recorder);
    if (cameras) {
      this.#cameraTimer = setInterval(() => this.telemetry.emit({ type: 'cameras', timeS: this.#timeS(), cameras: cameras.stats() }), CAMERA_STATS_INTERVAL_MS);
      this.#cameraTimer.unref();
    }
    await this.loop.start();
    log.info(`rollout of "${this.#options.task}" at ${(1000 / this.#periodMs).toFixed(0)} Hz, latency estimate ${this.pipeline.latencyEstimateMs.toFixed(1)} ms`);
  }

  /** Ends the rollout with the followers holding their position; `fault` describes what went wrong, if anything. */
  stop(reason: RolloutStopReason = 'time', fault: string | null = null): Promise<void> {
    return this.#stop(reason, fault, 'hold');
  }

  /**
   * E-stop: no action is sent after the tick in progress, then the followers hold (torque on at
   * their present position) or are released (torque off) at the next tick boundary.
   */
  async emergencyStop(behaviour: EmergencyStopBehaviour): Promise<void> {
    this.driver.halt();
    this.telemetry.emit({ type: 'estop', tick: this.#lastTick, behaviour });
    log.warn(`e-stop at tick ${this.#lastTick}: followers ${behaviour === 'hold' ? 'hold their position' : 'released (torque off)'}`);
    await this.#stop('estop', null, behaviour === 'hold' ? 'hold' : 'limp');

    // A stop already under way may have applied hold first; torque off is safe to repeat.
    if (behaviour === 'release') {
      const { connection } = this.#options;
      await Promise.all([connection.setTorque('left_follower', false), connection.setTorque('right_follower', false)]);
    }
  }

  async #stop(reason: RolloutStopReason, fault: string | null, behaviour: 'hold' | 'limp'): Promise<void> {
    this.driver.halt();
    this.#recordEnd(reason, fault);
    const stopping = withTimeout(this.loop.stop(behaviour), LOOP_STOP_TIMEOUT_MS);
    this.#stopping ??= stopping.then((stopped) => {
      if (!stopped) {
        log.error(`control loop did not stop within ${LOOP_STOP_TIMEOUT_MS} ms: a bus call is stuck, so the followers keep their last target; check the servo buses`);
      }
      this.#finish(reason, fault);
    });
    await stopping;
    await this.#stopping;
  }

  #recordEnd(reason: RolloutStopReason, fault: string | null): void {
    this.#end ??= { reason, fault };
  }

  #finish(reason: RolloutStopReason, fault: string | null): void {
    this.#recordEnd(reason, fault);
    this.#finished = true;
    if (this.#cameraTimer) clearInterval(this.#cameraTimer);
    this.#cameraTimer = null;
    this.#frames?.stop();
    this.#frames = null;
    this.#resolveEnded(this.#end!);
  }

  #onFault(kind: DriverFault, message: string, tick: number): void {
    if (kind === 'watchdog') this.telemetry.emit({ type: 'watchdog', tick, message });
    void this.#stop(kind, message, 'hold');
  }

  #onStep(step: StepSample): void {
    // A tick that was stuck on the bus past the stop timeout may still finish; the episode is closed by then.
    if (this.#finished) return;
    this.#options.recorder?.addStep(step);
    this.totals.addStep(step.latenessMs, this.#held);
    this.telemetry.emit({
      type: 'tick',
      tick: this.totals.steps - 1,
      timeS: this.#timeS(step.tNs),
      state: Array.from(step.observationState),
      action: Array.from(step.action),
      holding: this.#held,
      latenessMs: step.latenessMs,
      periodMs: step.periodMs,
      waitTicks: this.pipeline.waitTicks,
    });
  }

  #onInference({ result, applied, launchNs }: AppliedInference): void {
    const index = this.totals.inferences;
    this.totals.addInference(result.kStar, result.horizon, applied.latencyMs);
    this.#options.recorder?.addInference({
      tNs: launchNs,
      stepIndex: this.#stepIndex(applied.appliedTick),
      kStar: result.kStar,
      horizon: result.horizon,
      trace: result.trace,
      timings: { ...result.timingsMs, latency: applied.latencyMs },
      waitedTicks: applied.waitedTicks,
    });
    this.telemetry.emit({
      type: 'inference',
      index,
      kStar: result.kStar,
      horizon: result.horizon,
      trace: result.trace,
      timingsMs: result.timingsMs,
      latencyMs: applied.latencyMs,
      launchedAtStep: this.#stepIndex(applied.launchTick),
      appliedAtStep: this.#stepIndex(applied.appliedTick),
      skipped: applied.skipped,
      waitedTicks: applied.waitedTicks,
    });
  }

  /** Notes that this tick's step, if the loop records one, gets the next step index. */
  #rememberStep(tick: number): void {
    this.#stepOfTick.set(tick, this.totals.steps);
    this.#stepOfTick.delete(tick - STEP_MAP_TICKS);
  }

  /** Step index of a tick; a tick older than the map counts back from the newest one. */
  #stepIndex(tick: number): number {
    const known = this.#stepOfTick.get(tick);
    if (known !== undefined) return known;
    return Math.max(0, tick - (this.#lastTick - (this.#stepOfTick.get(this.#lastTick) ?? this.#lastTick)));
  }

  #timeS(tNs?: bigint): number {
    if (this.#startNs === null) return 0;
    return Number((tNs ?? monotonicNs()) - this.#startNs) / 1e9;
  }
}

/** Resolves true when `promise` settles within `ms`, false when the time runs out first. */
function withTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([promise.then(() => true), expired]).finally(() => clearTimeout(timer));
}

/** Shortest execution horizon the mode can return, so an early launch never cuts a horizon short. */
function shortestHorizon(mode: DepthMode | undefined, inference: PolicyInfo['inference'], chunkSize: number): number {
  if (mode?.kind === 'binary') return Math.min(inference.binary.short, inference.binary.long);
  if (mode?.kind === 'linear') return Math.min(inference.linear.hMin, chunkSize);
  return inference.fixedHorizon;
}
