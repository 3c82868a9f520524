import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { lstat } from 'node:fs/promises';
import { sleep } from '../common/clock.js';
import { UserError } from '../common/errors.js';
import { createLogger } from '../common/log.js';

const log = createLogger('virtual-ports');

/** Two linked pseudo-terminals made by socat: bytes written to one come out of the other. */
export interface VirtualPortPair {
  /** Path the app opens as its serial port. */
  readonly appPath: string;
  /** Path the simulator opens. */
  readonly simPath: string;
  readonly pid: number;
  /** Resolves when socat has exited, for whatever reason. */
  readonly exited: Promise<void>;
  /** Stops socat and removes both links. */
  close(): Promise<void>;
}

const LINK_POLL_MS = 10;

const running = new Map<ChildProcess, readonly string[]>();

function commandExists(name: string): boolean {
  return (process.env.PATH ?? '').split(':').some((folder) => folder !== '' && existsSync(join(folder, name)));
}

const SETPRIV = commandExists('setpriv');
let exitHandlersInstalled = false;

/**
 * Starts `socat` with a raw pty pair linked at `appPath` and `simPath` and waits until both
 * links exist. socat is stopped when `close()` is called, when this process exits, and on
 * SIGINT or SIGTERM unless the app has its own handler for the signal.
 */
export async function createVirtualPortPair(appPath: string, simPath: string, options: { timeoutMs?: number } = {}): Promise<VirtualPortPair> {
  installExitHandlers();
  removeLinks([appPath, simPath]);

  // socat runs in its own process group, so a Ctrl-C in the terminal reaches only the app,
  // which then stops the rig in order instead of losing the ports under a running control loop.
  // Where util-linux's setpriv exists, socat also gets SIGKILL when the app dies, even by
  // SIGKILL; without it, an app killed that way leaves socat running.
  const socatArgs = ['-d', '-d', `pty,raw,echo=0,link=${appPath}`, `pty,raw,echo=0,link=${simPath}`];
  const [command, args] = SETPRIV ? ['setpriv', ['--pdeathsig', 'KILL', 'socat', ...socatArgs]] : ['socat', socatArgs];
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  running.set(child, [appPath, simPath]);

  let exitCode: number | null | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      spawnError = error;
      running.delete(child);
      resolve();
    });
    child.once('exit', (code, signal) => {
      exitCode = code;
      running.delete(child);
      log.debug(`socat for ${appPath} exited (code ${code ?? 'none'}, signal ${signal ?? 'none'})`);
      resolve();
    });
  });

  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  while (!((await isLink(appPath)) && (await isLink(simPath)))) {
    // setpriv exits with 127 when it cannot find socat.
    if (spawnError?.code === 'ENOENT' || exitCode === 127) throw new UserError('socat not found: install it with `apt-get install socat`');
    if (spawnError) throw new UserError(`cannot start socat for ${appPath}: ${spawnError.message}`);
    if (exitCode !== undefined) throw new UserError(`socat exited (code ${exitCode}) before creating ${appPath}: ${lastLine(stderr)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new UserError(`socat did not create ${appPath} and ${simPath} within ${options.timeoutMs ?? 5000} ms: check that the folder is writable`);
    }
    await sleep(LINK_POLL_MS);
  }

  return {
    appPath,
    simPath,
    pid: child.pid ?? -1,
    exited,
    async close() {
      if (running.has(child)) {
        child.kill('SIGKILL');
        await exited;
      }
      removeLinks([appPath, simPath]);
    },
  };
}

async function isLink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Removes the links (never their pty targets); a link whose pty is gone is removed too. */
function removeLinks(paths: readonly string[]): void {
  for (const path of paths) rmSync(path, { force: true });
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? 'no output';
}

/** Stops every socat this process started; safe to call from an 'exit' handler (synchronous). */
export function stopAllVirtualPorts(): void {
  for (const [child, links] of running) {
    child.kill('SIGKILL');
    removeLinks(links);
  }
  running.clear();
}

function installExitHandlers(): void {
  if (exitHandlersInstalled) return;
  exitHandlersInstalled = true;
  process.on('exit', stopAllVirtualPorts);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = (): void => {
      // When the app handles the signal itself (to stop a recording cleanly), it stops the rig,
      // and socat with it, once the arms are safe. Otherwise Node's default action (exit) must
      // still happen, after socat is stopped.
      if (process.listenerCount(signal) > 1) return;
      stopAllVirtualPorts();
      process.off(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
