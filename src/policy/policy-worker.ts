import { parentPort, type MessagePort } from 'node:worker_threads';
import { UserError, errorMessage } from '../common/errors.js';
import type { PolicyCall, PolicyReply } from './policy-protocol.js';
import type { InferenceResult } from './policy-types.js';
import { RdvlaPolicy } from './rdvla-policy.js';

/**
 * Worker thread that owns one RdvlaPolicy. onnxruntime-node's session runs block their thread,
 * so the policy lives here and the arm-driving thread stays free. Calls are handled one at a time
 * in arrival order; action chunks go back as transferred buffers.
 */
function requireParentPort(): MessagePort {
  if (parentPort === null) throw new Error('policy-worker.ts must run as a worker thread');
  return parentPort;
}

const port = requireParentPort();

let policy: RdvlaPolicy | null = null;
let queue: Promise<void> = Promise.resolve();

function loaded(): RdvlaPolicy {
  if (policy === null) throw new Error('no policy loaded: call load() first');
  return policy;
}

async function handle(call: PolicyCall): Promise<unknown> {
  switch (call.op) {
    case 'load':
      await policy?.close();
      policy = null;
      policy = await RdvlaPolicy.load(call.dir, call.options);
      return policy.info();
    case 'infer':
      return loaded().infer(call.request);
    case 'inferFromFeatures':
      return loaded().inferFromFeatures(call.features, call.state, call.options);
    case 'close':
      await policy?.close();
      policy = null;
      return null;
  }
}

function reply(call: PolicyCall, value: unknown): void {
  const message: PolicyReply = { id: call.id, ok: true, value };
  const isResult = call.op === 'infer' || call.op === 'inferFromFeatures';
  const transfer = isResult ? [(value as InferenceResult).actions.buffer as ArrayBuffer] : [];
  port.postMessage(message, transfer);
}

port.on('message', (call: PolicyCall) => {
  queue = queue.then(async () => {
    try {
      reply(call, await handle(call));
    } catch (error) {
      const message: PolicyReply = { id: call.id, ok: false, message: errorMessage(error), userError: error instanceof UserError };
      port.postMessage(message);
    }
  });
});
