/**
 * Episode writer thread: owns its own connection to the episode database, creates the episode,
 * then commits each batch the recorder posts in one transaction. After a failed batch it
 * drops later ones, so the committed steps stay contiguous.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { UserError, errorMessage } from '../common/errors.js';
import { EpisodeStore } from './episode-store.js';
import { unpackFrames, unpackSteps, type RecordingBatch } from './recording-batch.js';
import { writeFailureError } from './write-failure.js';
import type { WriterInit, WriterReply, WriterRequest } from './writer-messages.js';

const port = parentPort!;
const init = workerData as WriterInit;
let stepsWritten = 0;
let failed = false;

function reply(message: WriterReply): void {
  port.postMessage(message);
}

function replyFailure(error: unknown): void {
  failed = true;
  reply({ type: 'failed', message: errorMessage(error), userError: error instanceof UserError, stepsWritten });
}

function writeBatch(store: EpisodeStore, episodeId: number, batch: RecordingBatch): void {
  const steps = unpackSteps(batch);
  store.transaction(() => {
    if (steps.length > 0) store.appendSteps(episodeId, steps);
    if (batch.frameHeaders.length > 0) store.appendFrames(episodeId, unpackFrames(batch));
    if (batch.inferences.length > 0) store.appendInferences(episodeId, batch.inferences);
    for (const [camera, stats] of batch.cameraStats) store.setCameraStats(episodeId, camera, stats);
  });
  stepsWritten += steps.length;
}

function run(): void {
  let store: EpisodeStore;
  let episodeId: number;
  try {
    store = EpisodeStore.open(init.path, { maxPageCount: init.maxPageCount });
    episodeId = store.createEpisode(init.meta);
  } catch (error) {
    replyFailure(error);
    port.close();
    return;
  }
  reply({ type: 'ready', episodeId });

  port.on('message', (request: WriterRequest) => {
    if (request.type === 'batch') {
      if (failed) return;
      try {
        writeBatch(store, episodeId, request.batch);
        reply({ type: 'committed', stepsWritten });
      } catch (error) {
        replyFailure(writeFailureError(error, episodeId, stepsWritten, init.path));
      }
      return;
    }

    // A failed recording stays incomplete, because finishing it would claim a clean end.
    try {
      if (!failed) store.finishEpisode(episodeId, { endNs: request.endNs, outcome: request.outcome });
    } catch (error) {
      replyFailure(writeFailureError(error, episodeId, stepsWritten, init.path));
    }
    store.close();
    reply({ type: 'finished', stepsWritten });
    port.close();
  });
}

run();
