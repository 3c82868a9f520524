import { monotonicNs } from '../common/clock.js';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { EpisodeRecorder } from '../store/episode-recorder.js';
import type { EpisodeStore } from '../store/episode-store.js';
import type { StepSample } from '../store/episode-types.js';
import { calibrationOf } from '../teleop/record-episodes.js';
import type { RecordingApi, RecordingStartParams, RecordingStatus } from './api.js';
import { type EpisodeFrames, recordEpisodeFrames } from '../camera/episode-frames.js';
import type { RigSession } from './rig-session.js';
import type { ServiceEvents } from './service-events.js';
import type { TeleopService } from './teleop-service.js';

const log = createLogger('recording');
const STATUS_INTERVAL_MS = 500;

/**
 * Records teleop episodes from the running control loop: each tick and camera frame goes to an
 * EpisodeRecorder, whose writer thread commits them. Starting a recording starts teleop when it
 * is not running. Discard and re-record delete the episode being recorded, or the last one kept
 * in this session.
 */
export class RecordingService implements RecordingApi {
  readonly #session: RigSession;
  readonly #teleop: TeleopService;
  readonly #store: EpisodeStore;
  readonly #events: ServiceEvents;
  #recorder: EpisodeRecorder | null = null;
  #state: RecordingStatus['state'] = 'idle';
  #task = '';
  #startNs = 0n;
  #lastStepNs = 0n;
  #kept: number[] = [];
  #timer: NodeJS.Timeout | null = null;
  #frames: EpisodeFrames | null = null;

  constructor(session: RigSession, teleop: TeleopService, store: EpisodeStore, events: ServiceEvents) {
    this.#session = session;
    this.#teleop = teleop;
    this.#store = store;
    this.#events = events;
    teleop.on('stopped', (error: Error | null) => {
      if (this.#recorder) void this.#finish(error ? `teleop stopped: ${error.message}` : 'teleop stopped');
    });
  }

  /** The episode being recorded now, if any. */
  get activeEpisodeId(): number | null {
    return this.#recorder?.episodeId ?? null;
  }

  async status(): Promise<RecordingStatus> {
    return this.#status();
  }

  async start(params: RecordingStartParams): Promise<RecordingStatus> {
    if (this.#state !== 'idle') throw new UserError(`a recording is ${this.#state}: stop it before starting another`);
    this.#state = 'stopping';
    try {
      if (!this.#teleop.running) await this.#teleop.start();
      const rig = this.#session.requireConnection().rig;
      this.#recorder = await EpisodeRecorder.start(this.#store.path, {
        task: params.task,
        kind: 'teleop',
        fps: rig.fps,
        rig,
        calibration: calibrationOf(rig),
      }, { onError: (error) => void this.#finish(`writing the episode failed: ${error.message}`) });
    } catch (error) {
      this.#state = 'idle';
      throw error;
    }

    this.#state = 'recording';
    this.#task = params.task;
    this.#startNs = monotonicNs();
    this.#lastStepNs = this.#startNs;
    this.#teleop.on('step', this.#onStep);
    const cameras = this.#session.cameras;
    this.#frames = cameras ? recordEpisodeFrames(cameras, this.#recorder) : null;
    this.#timer = setInterval(() => this.#publish(), STATUS_INTERVAL_MS);
    this.#timer.unref();
    this.#events.emit('episodes.changed', { ids: [this.#recorder.episodeId] });
    return this.#publish();
  }

  async stop(): Promise<RecordingStatus> {
    if (!this.#recorder) throw new UserError('no recording is running: press Record first');
    await this.#finish(null);
    return this.#status();
  }

  async discard(): Promise<RecordingStatus> {
    const id = this.#recorder ? await this.#finish(null) : this.#kept.at(-1);
    if (id === undefined || id === null) throw new UserError('nothing to discard: no episode was recorded in this session');
    this.#kept = this.#kept.filter((kept) => kept !== id);
    this.#store.deleteEpisode(id);
    log.info(`episode ${id}: discarded`);
    this.#events.emit('episodes.changed', { ids: [id] });
    return this.#publish();
  }

  async rerecord(params: Partial<RecordingStartParams>): Promise<RecordingStatus> {
    const task = params.task ?? this.#task;
    if (!task) throw new UserError('no task to record again: enter a task and press Record');
    if (this.#recorder || this.#kept.length > 0) await this.discard();
    return this.start({ task });
  }

  /** Stops the recorder and keeps the episode; returns its id, or null when nothing was recording. */
  async #finish(reason: string | null): Promise<number | null> {
    const recorder = this.#recorder;
    if (!recorder || this.#state !== 'recording') return null;
    this.#state = 'stopping';
    this.#teleop.off('step', this.#onStep);
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#publish();

    try {
      this.#frames?.stop();
      this.#frames = null;
      const fps = this.#session.connection?.rig.fps ?? 50;
      const steps = await recorder.stop({ endNs: this.#lastStepNs + BigInt(Math.round(1e9 / fps)) });
      this.#kept.push(recorder.episodeId);
      log.info(`episode ${recorder.episodeId}: ${steps} steps kept${reason ? ` (${reason})` : ''}`);
    } catch (error) {
      log.error(`episode ${recorder.episodeId}: stopping the recording failed: ${errorMessage(error)}`);
    } finally {
      this.#recorder = null;
      this.#state = 'idle';
    }
    this.#events.emit('episodes.changed', { ids: [recorder.episodeId] });
    this.#publish();
    return recorder.episodeId;
  }

  readonly #onStep = (step: StepSample): void => {
    if (this.#state !== 'recording') return;
    this.#recorder?.addStep(step);
    this.#lastStepNs = step.tNs;
  };

  #status(): RecordingStatus {
    const recording = this.#recorder !== null && this.#state === 'recording';
    return {
      state: this.#state,
      task: this.#task,
      episodeId: this.#recorder?.episodeId ?? null,
      steps: this.#recorder?.stepsQueued ?? 0,
      elapsedS: recording ? Number(monotonicNs() - this.#startNs) / 1e9 : 0,
      sessionCount: this.#kept.length,
      lastEpisodeId: this.#kept.at(-1) ?? null,
    };
  }

  #publish(): RecordingStatus {
    const status = this.#status();
    this.#events.emit('recording', status);
    return status;
  }
}
