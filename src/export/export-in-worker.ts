import { UserError } from '../common/errors.js';
import { siblingModuleUrl, startWorker } from '../common/worker.js';
import type { ExportOptions, ExportResult, ProgressListener } from './export-types.js';
import type { ExportWorkerInit, ExportWorkerReply, ExportWorkerRequest } from './export-worker-messages.js';

/**
 * Runs exportEpisodes() in a worker thread, so a long export leaves the calling thread free for
 * a control loop. Progress arrives at most every 50 ms plus at each episode's start and end.
 * Aborting `options.signal` sends the worker an abort request. The export then removes what it
 * wrote, and the promise rejects with the same UserError that exportEpisodes() raises.
 */
export async function exportEpisodesInWorker(options: ExportOptions, onProgress?: ProgressListener): Promise<ExportResult> {
  options.signal?.throwIfAborted();
  // sharp is loaded on this thread too, because a worker that loaded it alone unloads libvips
  // when it ends, and with glibc a later load can crash (https://github.com/lovell/sharp/issues/2263).
  await import('sharp');

  const { signal, ...rest } = options;
  const init: ExportWorkerInit = rest;
  const worker = startWorker(siblingModuleUrl(import.meta.url, 'export-worker'), init);
  const requestAbort = (): void => {
    const request: ExportWorkerRequest = { type: 'abort' };
    worker.postMessage(request);
  };
  // The signal may have fired while sharp loaded; the worker then stops at its first step.
  if (signal?.aborted) requestAbort();
  else signal?.addEventListener('abort', requestAbort, { once: true });

  try {
    return await new Promise<ExportResult>((resolve, reject) => {
      worker.on('message', (reply: ExportWorkerReply) => {
        if (reply.type === 'progress') onProgress?.(reply.progress);
        else if (reply.type === 'done') resolve(reply.result);
        else reject(reply.userError ? new UserError(reply.message) : new Error(reply.message));
      });
      worker.on('error', reject);
      worker.on('exit', (code) => reject(new Error(`export to ${options.outDir}: worker thread exited with code ${code} before it finished: see the service log, then run the export again`)));
    });
  } finally {
    signal?.removeEventListener('abort', requestAbort);
  }
}
