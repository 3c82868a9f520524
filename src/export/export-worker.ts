/**
 * Export worker thread: runs one exportEpisodes() call with the options it starts with, posts
 * its progress, then its result or failure, and ends. Reading the database, decoding JPEG and
 * writing HDF5 or Parquet block their thread, so they run here and not on the thread that
 * drives the arms.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError, errorMessage } from '../common/errors.js';
import { exportEpisodes } from './export-episodes.js';
import type { ExportProgress } from './export-types.js';
import type { ExportWorkerInit, ExportWorkerReply, ExportWorkerRequest } from './export-worker-messages.js';

/** Progress messages are posted at most this often, except the first and last of each episode. */
const PROGRESS_INTERVAL_MS = 50;

const port = parentPort!;
const init = workerData as ExportWorkerInit;
const abort = new AbortController();

function reply(message: ExportWorkerReply): void {
  port.postMessage(message);
}

let lastPostedMs = 0;
let lastEpisode: number | null = null;

function onProgress(progress: ExportProgress): void {
  const now = Date.now();
  const episodeChanged = progress.episodeId !== lastEpisode;
  if (!episodeChanged && now - lastPostedMs < PROGRESS_INTERVAL_MS) return;
  lastPostedMs = now;
  lastEpisode = progress.episodeId;
  reply({ type: 'progress', progress });
}

port.on('message', (request: ExportWorkerRequest) => {
  if (request.type === 'abort') abort.abort();
});

try {
  const result = await exportEpisodes({ ...init, signal: abort.signal }, onProgress);
  reply({ type: 'done', result });
} catch (error) {
  reply({ type: 'failed', message: errorMessage(error), userError: error instanceof UserError });
}
port.close();
