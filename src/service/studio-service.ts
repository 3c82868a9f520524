import { addLogSink } from '../common/log.js';
import { createLogger } from '../common/log.js';
import type { SimRigOptions } from '../sim/sim-rig.js';
import { EpisodeStore } from '../store/episode-store.js';
import type { StudioApi } from './api.js';
import { CalibrationService } from './calibration-service.js';
import { EpisodesService } from './episodes-service.js';
import { ExportService } from './export-service.js';
import { LoopMonitor } from './loop-monitor.js';
import { PoliciesService } from './policies-service.js';
import { RecordingService } from './recording-service.js';
import { RigService } from './rig-service.js';
import { RigSession } from './rig-session.js';
import { RolloutService } from './rollout-service.js';
import { ServiceEvents } from './service-events.js';
import { TeleopService } from './teleop-service.js';

const log = createLogger('studio');

export interface StudioServiceOptions {
  /** Episode database (SQLite), created when missing. */
  dbPath: string;
  /** Folder of model directories listed on the Autonomous page. */
  modelsDir: string;
  /** Folder that exports go to when the UI names none. */
  exportDir: string;
  /** Options of the simulated rig when it is connected. */
  simOptions?: SimRigOptions;
}

/**
 * The application service behind both the Electron window and the browser: one object per API
 * area plus the event streams. It runs on a Node thread (the Electron main process or `rdvla
 * serve`); the control loop runs here and inference in a worker thread, never in a window.
 */
export class StudioService implements StudioApi {
  readonly events = new ServiceEvents();
  readonly session: RigSession;
  readonly store: EpisodeStore;
  readonly rig: RigService;
  readonly calibration: CalibrationService;
  readonly teleop: TeleopService;
  readonly recording: RecordingService;
  readonly rollout: RolloutService;
  readonly episodes: EpisodesService;
  readonly policies: PoliciesService;
  readonly export: ExportService;
  readonly #removeLogSink: () => void;

  constructor(options: StudioServiceOptions) {
    this.store = EpisodeStore.open(options.dbPath);
    this.session = new RigSession(this.events, options.simOptions);
    const monitor = new LoopMonitor(this.events, this.session);

    this.rig = new RigService(this.session);
    this.calibration = new CalibrationService(this.session, this.events);
    this.teleop = new TeleopService(this.session, monitor);
    this.recording = new RecordingService(this.session, this.teleop, this.store, this.events);
    this.policies = new PoliciesService(options.modelsDir);
    this.rollout = new RolloutService(this.session, monitor, this.policies, options.dbPath, this.events, this.teleop, this.recording);
    this.episodes = new EpisodesService(this.store, this.events, () => this.#activeEpisodes());
    this.export = new ExportService(options.dbPath, options.exportDir, this.events);

    let forwarding = false;
    this.#removeLogSink = addLogSink((record) => {
      if (forwarding || (record.level !== 'warn' && record.level !== 'error')) return;
      forwarding = true;
      try {
        this.events.emit('log', { time: record.time.toISOString(), level: record.level, channel: record.channel, message: record.message });
      } finally {
        forwarding = false;
      }
    });
    log.info(`episodes in ${options.dbPath}, models in ${this.policies.modelsDir}`);
  }

  /** Stops every activity and a running export, disconnects the rig and closes the database. */
  async close(): Promise<void> {
    await this.recording.stop().catch(() => undefined);
    await this.rollout.stop();
    await this.export.close();
    await this.session.disconnect();
    await this.policies.close();
    this.episodes.close();
    this.store.close();
    this.#removeLogSink();
  }

  #activeEpisodes(): number[] {
    return [this.recording.activeEpisodeId, this.rollout.activeEpisodeId].filter((id): id is number => id !== null);
  }
}
