/**
 * An export is written into `<out>.partial-<pid>` beside the target folder and renamed into place
 * only when complete, so a killed export never leaves a dataset that looks finished. Later runs
 * remove partial folders whose process is gone.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';

const log = createLogger('export');

export interface StagingDir {
  /** Folder the export writes into. */
  path: string;
  /** Moves the finished export to the target folder (replacing it when overwriting). */
  commit(): void;
  /** Removes what the export wrote. */
  discard(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes `<out>.partial-<pid>` folders of exports that died. A `<out>.replaced-<pid>` folder is the
 * previous dataset of an overwriting export that died between its two renames: it goes back into
 * place when the target folder is missing, and is removed otherwise.
 */
function removeStaleFolders(outDir: string): void {
  const parent = dirname(outDir);
  const pattern = new RegExp(`^${basename(outDir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(partial|replaced)-(\\d+)$`);
  for (const entry of existsSync(parent) ? readdirSync(parent) : []) {
    const match = pattern.exec(entry);
    if (!match) continue;
    const pid = Number(match[2]);
    const path = join(parent, entry);
    if (pid !== process.pid && processAlive(pid)) {
      throw new UserError(`another export (process ${pid}) is writing ${outDir}: wait for it to finish, or stop it and run again (remove ${path} if no export is running)`);
    }
    if (match[1] === 'replaced' && !existsSync(outDir)) {
      renameSync(path, outDir);
      log.warn(`restored ${outDir} from ${path}, left by an export that stopped while replacing it`);
    } else {
      // An ffmpeg orphaned by the killed export may still be closing its file in there.
      rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      log.info(`removed ${path}, left by an export that did not finish`);
    }
  }
}

function checkTarget(outDir: string, overwrite: boolean): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new UserError(`${outDir} exists and is not a folder: choose another --out`);
  if (readdirSync(outDir).length > 0 && !overwrite) {
    throw new UserError(`${outDir} exists and is not empty: pass --overwrite to replace it, or choose another --out`);
  }
}

/** Checks the target folder, clears stale partial folders and creates this export's partial folder. */
export function prepareStagingDir(target: string, options: { overwrite: boolean }): StagingDir {
  const outDir = resolve(target);
  removeStaleFolders(outDir);
  checkTarget(outDir, options.overwrite);

  const path = `${outDir}.partial-${process.pid}`;
  mkdirSync(path, { recursive: true });
  return {
    path,
    commit(): void {
      if (!existsSync(outDir)) {
        renameSync(path, outDir);
        return;
      }
      const replaced = `${outDir}.replaced-${process.pid}`;
      renameSync(outDir, replaced);
      renameSync(path, outDir);
      rmSync(replaced, { recursive: true, force: true });
    },
    discard(): void {
      rmSync(path, { recursive: true, force: true });
    },
  };
}
