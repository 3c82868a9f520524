import type { InferenceResult } from '../policy/policy-types.js';

/**
 * Checks a predicted chunk before any of it may reach the arms: its shape against the rig's
 * action size, a horizon inside the chunk, and finite values only. Returns why it is invalid,
 * or null when it may be queued.
 */
export function invalidChunkReason(result: InferenceResult, actionSize: number): string | null {
  if (result.actionSize !== actionSize) return `the policy returned ${result.actionSize} values per action, the rig takes ${actionSize}`;
  if (!(result.chunkSize >= 1) || result.actions.length !== result.chunkSize * result.actionSize) {
    return `the chunk holds ${result.actions.length} values, expected ${result.chunkSize} x ${result.actionSize}`;
  }
  if (!Number.isInteger(result.horizon) || result.horizon < 1 || result.horizon > result.chunkSize) {
    return `execution horizon ${result.horizon} is outside 1..${result.chunkSize}`;
  }
  for (let i = 0; i < result.actions.length; i++) {
    const value = result.actions[i]!;
    if (!Number.isFinite(value)) {
      const row = Math.floor(i / actionSize);
      return `action ${row} joint ${i - row * actionSize} is ${value}`;
    }
  }
  return null;
}
