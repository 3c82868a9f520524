import path from 'node:path';
import { UserError, errorMessage } from '../common/errors.js';
import { createLogger } from '../common/log.js';
import { exportEpisodesInWorker } from '../export/export-in-worker.js';
import { EXPORT_FORMATS } from '../export/export-types.js';
import type { ExportApi, ExportAvailability, ExportResult, ExportStartParams } from './api.js';
import type { ServiceEvents } from './service-events.js';

const log = createLogger('export-service');
/** Progress events per second sent to the UI, at most. */
const PROGRESS_EVENT_HZ = 10;

/**
 * Dataset export (LeRobot v3, ALOHA HDF5) of selected episodes, with progress events. The export
 * runs in a worker thread, so it may run while teleop or a rollout drives the arms; one export
 * runs at a time.
 */
export class ExportService implements ExportApi {
  readonly #dbPath: string;
  readonly #exportDir: string;
  readonly #events: ServiceEvents;
  #running: { abort: AbortController; finished: Promise<unknown> } | null = null;

  constructor(dbPath: string, exportDir: string, events: ServiceEvents) {
    this.#dbPath = dbPath;
    this.#exportDir = exportDir;
    this.#events = events;
  }

  async availability(): Promise<ExportAvailability> {
    return { available: true, formats: [...EXPORT_FORMATS], reason: null };
  }

  start(params: ExportStartParams): Promise<ExportResult> {
    if (this.#running) return Promise.reject(new UserError('an export is running: wait for it to finish'));
    const abort = new AbortController();
    const finished = this.#export(params, abort.signal).finally(() => {
      this.#running = null;
    });
    this.#running = { abort, finished };
    return finished;
  }

  /** Stops a running export (it removes what it wrote) and waits for its worker to end. */
  async close(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    running.abort.abort();
    await running.finished.catch(() => undefined);
  }

  async #export(params: ExportStartParams, signal: AbortSignal): Promise<ExportResult> {
    const outDir = params.outDir ?? path.join(this.#exportDir, `${params.format}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    let lastSentMs = 0;
    try {
      const result = await exportEpisodesInWorker(
        { dbPath: this.#dbPath, format: params.format, outDir, ids: params.episodeIds, repoId: params.name, withTelemetry: true, signal },
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
      this.#events.emit('export.progress', { done: 0, total: 0, stage: 'failed', error: errorMessage(error), finished: true });
      throw error;
    }
  }
}
