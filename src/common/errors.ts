/**
 * An error caused by the user's input or environment (a missing port, a bad rig file, a
 * wrong model). Its message says what happened and what to do; the CLI prints it as one
 * line without a stack trace.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
