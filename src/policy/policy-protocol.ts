import type { PolicyLoadOptions } from './rdvla-policy.js';
import type { HeadFeatures, InferenceOptions, InferenceRequest } from './policy-types.js';

/** Messages between PolicyClient (main thread) and the policy worker. */
export type PolicyCall =
  | { id: number; op: 'load'; dir: string; options: PolicyLoadOptions }
  | { id: number; op: 'infer'; request: InferenceRequest }
  | { id: number; op: 'inferFromFeatures'; features: HeadFeatures; state: number[]; options: InferenceOptions }
  | { id: number; op: 'close' };

export type PolicyReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string; userError: boolean };
