import path from 'node:path';
import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { exportEpisodes } from '../export/export-episodes.js';
import { EXPORT_FORMATS } from '../export/export-types.js';
import type { ExportApi, ExportAvailability, ExportResult, ExportStartParams } from './api.js';
import type { RigSession } from './rig-session.js';
import type { ServiceEvents } from './service-events.js';

const log = createLogger('export-service');
/** Progress events per second sent to the UI, at most. */
const PROGRESS_EVENT_HZ = 10;

/** Dataset export (LeRobot v3, ALOHA HDF5) of selected episodes, with progress events. */
export class ExportService implements ExportApi {
  readonly #dbPath: string;
  readonly #exportDir: string;
  readonly #session: RigSession;
  readonly #events: ServiceEvents;
  #running = false;

  constructor(dbPath: string, exportDir: string, session: RigSession, events: ServiceEvents) {
    this.#dbPath = dbPath;
    this.#exportDir = exportDir;
    this.#session = session;
    this.#events = events;
  }

  async availability(): Promise<ExportAvailability> {
    return { available: true, formats: [...EXPORT_FORMATS], reason: null };
  }

  async start(params: ExportStartParams): Promise<ExportResult> {
    if (this.#running) throw new UserError('an export is running: wait for it to finish');
    // Export encodes and writes on the service's thread, which would delay the control loop's ticks.
    if (this.#session.activity === 'teleop' || this.#session.activity === 'rollout') {
      throw new UserError(`the rig is busy with ${this.#session.activity}: stop it before exporting`);
    }
    const outDir = params.outDir ?? path.join(this.#exportDir, `${params.format}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    this.#running = true;
    let lastSentMs = 0;
    try {
      const result = await exportEpisodes(
        { dbPath: this.#dbPath, format: params.format, outDir, ids: params.episodeIds, repoId: params.name, withTelemetry: true },
        (progress) => {
          const now = Date.now();
          if (now - lastSentMs < 1000 / PROGRESS_EVENT_HZ) return;
          lastSentMs = now;
          const stage = progress.episodeId === null ? 'preparing' : `episode ${progress.episodeId} (${progress.episodesDone + 1} of ${progress.episodesTotal})`;
          this.#events.emit('export.progress', { done: progress.framesDone, total: progress.framesTotal, stage, finished: false });
        },
      );
      const skipped = result.skipped.map((entry) => `episode ${entry.id}: ${entry.reason}`);
      log.info(`exported ${result.episodes.length} episodes (${result.totalFrames} frames) to ${result.outDir}${skipped.length ? `, skipped ${skipped.join('; ')}` : ''}`);
      this.#events.emit('export.progress', { done: result.totalFrames, total: result.totalFrames, stage: 'done', outDir: result.outDir, finished: true });
      return { outDir: result.outDir, episodes: result.episodes.length, format: params.format, skipped };
    } catch (error) {
      this.#events.emit('export.progress', { done: 0, total: 0, stage: 'failed', error: error instanceof Error ? error.message : String(error), finished: true });
      throw error;
    } finally {
      this.#running = false;
    }
  }
}
