import type { Worker } from 'node:worker_threads';
import { UserError } from '../common/errors.js';
import { siblingModuleUrl, startWorker } from '../common/worker.js';
import type { PolicyCall, PolicyReply } from './policy-protocol.js';
import type { HeadFeatures, InferenceOptions, InferenceRequest, InferenceResult, PolicyInfo } from './policy-types.js';
import type { PolicyLoadOptions } from './rdvla-policy.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type CallBody = PolicyCall extends infer C ? (C extends PolicyCall ? Omit<C, 'id'> : never) : never;

/**
 * Main-thread handle on a policy running in a worker thread. Calls queue in the worker and
 * resolve in order; a UserError raised in the worker is raised here as a UserError with the
 * same message.
 */
export class PolicyClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #exited = false;

  constructor() {
    this.#worker = startWorker(siblingModuleUrl(import.meta.url, 'policy-worker'), null);
    this.#worker.on('message', (reply: PolicyReply) => this.#settle(reply));
    this.#worker.on('error', (error) => this.#failAll(error));
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      this.#failAll(new Error(`policy worker exited with code ${code}`));
    });
  }

  /** Loads a model directory in the worker; returns its summary. */
  load(dir: string, options: PolicyLoadOptions = {}): Promise<PolicyInfo> {
    return this.#call({ op: 'load', dir, options }) as Promise<PolicyInfo>;
  }

  infer(request: InferenceRequest): Promise<InferenceResult> {
    return this.#call({ op: 'infer', request: { ...request, state: Array.from(request.state) } }) as Promise<InferenceResult>;
  }

  /** Runs the head alone on backbone features; the feature arrays are copied to the worker. */
  inferFromFeatures(features: HeadFeatures, state: ArrayLike<number>, options: InferenceOptions = {}): Promise<InferenceResult> {
    return this.#call({ op: 'inferFromFeatures', features, state: Array.from(state), options }) as Promise<InferenceResult>;
  }

  /** Releases the sessions and ends the worker thread. */
  async close(): Promise<void> {
    if (this.#exited) return;
    await this.#call({ op: 'close' });
    await this.#worker.terminate();
  }

  #call(body: CallBody): Promise<unknown> {
    if (this.#exited) return Promise.reject(new Error('policy worker has exited: create a new PolicyClient'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...body, id } as PolicyCall);
    });
  }

  #settle(reply: PolicyReply): void {
    const pending = this.#pending.get(reply.id);
    if (pending === undefined) return;
    this.#pending.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(reply.userError ? new UserError(reply.message) : new Error(reply.message));
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
