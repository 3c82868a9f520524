import Database from 'better-sqlite3';
import { UserError } from '../common/errors.js';

/**
 * Turns an error from writing a batch into the message the recorder reports. Storage errors
 * (disk full, I/O error, a lock held too long) become a UserError that states how many steps are
 * saved ("steps up to 480" means the 480 committed steps, indices 0-479). Any other error is a
 * defect and keeps its own message.
 */
export function writeFailureError(error: unknown, episodeId: number, stepsWritten: number, path: string): Error {
  if (!(error instanceof Database.SqliteError)) return error instanceof Error ? error : new Error(String(error));

  const advice = storageAdvice(error.code, path);
  if (!advice) return error;

  const saved = stepsWritten === 0 ? 'no steps are saved' : `steps up to ${stepsWritten} are saved`;
  return new UserError(`episode ${episodeId}: writing steps failed: ${error.message}; ${saved}, ${advice}`);
}

function storageAdvice(code: string, path: string): string | undefined {
  if (code === 'SQLITE_FULL') return 'free disk space and record again';
  if (code.startsWith('SQLITE_IOERR')) return `check the disk holding ${path} and record again`;
  if (code.startsWith('SQLITE_BUSY')) return `close other programs writing to ${path} and record again`;
  if (code.startsWith('SQLITE_READONLY')) return `make ${path} writable and record again`;
  return undefined;
}
