import type { ExportOptions, ExportProgress, ExportResult } from './export-types.js';

/** Options the export worker starts with: everything but the abort signal, which cannot cross threads. */
export type ExportWorkerInit = Omit<ExportOptions, 'signal'>;

/** Sent to the worker to stop the export; it then removes what it wrote and replies 'failed'. */
export type ExportWorkerRequest = { type: 'abort' };

export type ExportWorkerReply =
  | { type: 'progress'; progress: ExportProgress }
  | { type: 'done'; result: ExportResult }
  | { type: 'failed'; message: string; userError: boolean };
