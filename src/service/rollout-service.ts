import { monotonicNs } from '../common/clock.js';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { loadModelDir } from '../policy/model-dir.js';
import type { DepthMode } from '../policy/policy-types.js';
import type { Rollout } from '../rollout/rollout.js';
import { type RolloutEvent, RolloutTelemetry } from '../rollout/rollout-telemetry.js';
import { runRollout } from '../rollout/run-rollout.js';
import type { RolloutApi, RolloutStartParams, RolloutStatus } from './api.js';
import { JOINTS_EVENT_HZ, type LoopMonitor } from './loop-monitor.js';
import type { PoliciesService } from './policies-service.js';
import type { RecordingService } from './recording-service.js';
import type { RigSession } from './rig-session.js';
import type { ServiceEvents } from './service-events.js';
import type { TeleopService } from './teleop-service.js';

const log = createLogger('rollout-service');
const DEFAULT_SECONDS = 20;
/** How often a running rollout's status is sent to the UI between plans, so elapsed time advances. */
const STATUS_INTERVAL_MS = 500;
const IDLE: RolloutStatus = { state: 'idle', episodeId: null, task: '', policy: null, strategy: null, elapsedS: 0, inferences: 0, verdict: null, error: null, stoppedTeleop: false };

/**
 * Autonomous rollouts on the connected rig. A rollout run opens the rig's ports itself, so the
 * session hands its buses and cameras over for the run (the simulator keeps running) and opens
 * them again afterwards. Starting a rollout stops teleop when it runs without a recording.
 * Telemetry becomes the 'inference', 'joints', 'loop' and 'rollout' streams.
 */
export class RolloutService implements RolloutApi {
  readonly #session: RigSession;
  readonly #monitor: LoopMonitor;
  readonly #policies: PoliciesService;
  readonly #dbPath: string;
  readonly #events: ServiceEvents;
  readonly #teleop: TeleopService;
  readonly #recording: RecordingService;
  #status: RolloutStatus = IDLE;
  #abort: AbortController | null = null;
  #rollout: Rollout | null = null;
  #finished: Promise<void> | null = null;
  #statusTimer: NodeJS.Timeout | null = null;
  #startNs = 0n;

  constructor(session: RigSession, monitor: LoopMonitor, policies: PoliciesService, dbPath: string, events: ServiceEvents, teleop: TeleopService, recording: RecordingService) {
    this.#session = session;
    this.#monitor = monitor;
    this.#policies = policies;
    this.#dbPath = dbPath;
    this.#events = events;
    this.#teleop = teleop;
    this.#recording = recording;
  }

  /** The episode the running rollout records into, if any. */
  get activeEpisodeId(): number | null {
    return this.#status.state === 'idle' ? null : this.#status.episodeId;
  }

  async status(): Promise<RolloutStatus> {
    return this.#snapshot();
  }

  async start(params: RolloutStartParams): Promise<RolloutStatus> {
    if (this.#status.state !== 'idle') throw new UserError(`a rollout is ${this.#status.state}: stop it before starting another`);
    const modelDir = this.#policies.resolveDir(params.policyDir);
    const { manifest } = loadModelDir(modelDir);
    checkFixedRules(params, manifest.inference);
    const sim = this.#session.sim;
    const task = params.task?.trim() || undefined;
    if (!task && !sim) throw new UserError('enter the task instruction for the policy (only the simulated rig supplies its own)');

    const stoppedTeleop = await this.#stopTeleop();
    const release = this.#session.claim('rollout', () => this.#halt('signal'));
    const rig = await this.#session.suspend();
    this.#abort = new AbortController();
    this.#startNs = monotonicNs();
    this.#setStatus({ ...IDLE, state: 'starting', task: task ?? '', policy: manifest.name, strategy: params.strategy, stoppedTeleop });

    const telemetry = new RolloutTelemetry();
    telemetry.subscribe((event) => this.#onEvent(event), { tickHz: JOINTS_EVENT_HZ });
    this.#finished = runRollout({
      rig,
      modelDir,
      dbPath: this.#dbPath,
      task,
      seconds: params.maxSeconds ?? DEFAULT_SECONDS,
      mode: depthMode(params),
      seed: params.sceneSeed,
      scene: sim,
      signal: this.#abort.signal,
      telemetry,
      onStarted: (rollout) => {
        this.#rollout = rollout;
        this.#monitor.attach(rollout.loop, 'rollout', monotonicNs());
        this.#setStatus({ ...this.#status, state: 'running' });
        this.#statusTimer = setInterval(() => this.#events.emit('rollout', this.#snapshot()), STATUS_INTERVAL_MS);
        this.#statusTimer.unref();
      },
    })
      .then((summary) => {
        this.#setStatus({
          ...this.#status,
          episodeId: summary.episodeId,
          task: summary.task,
          verdict: summary.verdict === null ? null : { success: summary.outcome === 'success', detail: summary.verdict },
          error: summary.fault,
        });
        this.#events.emit('episodes.changed', { ids: [summary.episodeId] });
      })
      .catch((error: unknown) => {
        log.error(`rollout failed: ${errorMessage(error)}`);
        this.#setStatus({ ...this.#status, error: errorMessage(error) });
      })
      .finally(async () => {
        if (this.#statusTimer) clearInterval(this.#statusTimer);
        this.#statusTimer = null;
        this.#rollout = null;
        this.#abort = null;
        this.#monitor.detach();
        try {
          await this.#session.resume();
        } catch (error) {
          log.error(`reopening the rig after the rollout failed: ${errorMessage(error)}: connect it again on the Rig page`);
        }
        release();
        this.#setStatus({ ...this.#status, state: 'idle', elapsedS: this.#elapsedS() });
      });
    return this.#snapshot();
  }

  async stop(): Promise<RolloutStatus> {
    await this.#halt('signal');
    return this.#snapshot();
  }

  /** Halts at once: no action after the tick in progress, followers hold their position. */
  async estop(): Promise<RolloutStatus> {
    const rollout = this.#rollout;
    if (rollout) {
      this.#setStatus({ ...this.#status, state: 'stopping' });
      await rollout.emergencyStop('hold');
    } else {
      this.#abort?.abort();
    }
    await this.#finished;
    return this.#snapshot();
  }

  /**
   * Stops teleop so the policy can drive the followers; returns whether it was running. A
   * recording is never cut short: the user stops it on the Record page first.
   */
  async #stopTeleop(): Promise<boolean> {
    const recording = await this.#recording.status();
    if (recording.state === 'recording') {
      throw new UserError(`episode ${recording.episodeId} is being recorded: stop the recording on the Record page before starting a rollout`);
    }
    if (recording.state === 'stopping') throw new UserError('a recording is starting or stopping on the Record page: wait for it to finish, then start the rollout');
    if (!this.#teleop.running) return false;

    await this.#teleop.stop();
    log.info('teleop stopped to start the rollout');
    return true;
  }

  async #halt(reason: 'signal'): Promise<void> {
    if (this.#status.state === 'idle') return;
    this.#setStatus({ ...this.#status, state: 'stopping' });
    log.info(`stopping the rollout (${reason})`);
    this.#abort?.abort();
    await this.#finished;
  }

  #onEvent(event: RolloutEvent): void {
    if (event.type === 'inference') {
      this.#setStatus({ ...this.#status, inferences: this.#status.inferences + 1 });
      this.#events.emit('inference', { tS: this.#elapsedS(), kStar: event.kStar, horizon: event.horizon, trace: event.trace, latencyMs: event.latencyMs });
    } else if (event.type === 'started') {
      this.#setStatus({ ...this.#status, task: event.task });
    } else if (event.type === 'tick') {
      this.#status = { ...this.#status, elapsedS: this.#elapsedS() };
    }
  }

  #elapsedS(): number {
    return Number(monotonicNs() - this.#startNs) / 1e9;
  }

  #snapshot(): RolloutStatus {
    return this.#status.state === 'idle' ? this.#status : { ...this.#status, elapsedS: this.#elapsedS() };
  }

  #setStatus(status: RolloutStatus): void {
    this.#status = status;
    this.#events.emit('rollout', this.#snapshot());
  }
}

/** Depth mode of the request; undefined runs the manifest's default depth. */
function depthMode(params: RolloutStartParams): DepthMode | undefined {
  if (params.strategy === 'fixed') return params.depth === undefined ? undefined : { kind: 'fixed', depth: params.depth };
  return { kind: params.strategy, delta: params.delta };
}

/** Tau and the horizons come from the model's manifest; the runtime takes no override, so a different value is rejected. */
function checkFixedRules(params: RolloutStartParams, inference: { fixedHorizon: number; linear: { tauBase: number; hMax: number } }): void {
  if (params.tau !== undefined && params.tau !== inference.linear.tauBase) {
    throw new UserError(`tau ${params.tau} differs from the model's ${inference.linear.tauBase}: the policy runtime takes tau from manifest.json (inference.linear.tauBase), so leave it empty or edit the manifest`);
  }
  const horizon = params.strategy === 'linear' ? inference.linear.hMax : inference.fixedHorizon;
  if (params.horizon !== undefined && (params.strategy === 'binary' || params.horizon !== horizon)) {
    throw new UserError(`horizon ${params.horizon} cannot be set for the ${params.strategy} strategy: the policy runtime takes it from manifest.json, so leave it empty or edit the manifest`);
  }
}
