import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../common/clock.js';

/** Two linked pseudo-terminals made by socat: bytes written to one arrive at the other. */
export interface VirtualPortPair {
  a: string;
  b: string;
  close(): Promise<void>;
}

/** Starts `socat` with two raw PTYs linked at `<tmp>/A` and `<tmp>/B`; test fixture, needs socat installed. */
export async function openVirtualPortPair(): Promise<VirtualPortPair> {
  const dir = mkdtempSync(join(tmpdir(), 'rdvla-pty-'));
  const a = join(dir, 'A');
  const b = join(dir, 'B');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));

  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (socat.exitCode !== null || Date.now() > deadline) {
      stop(socat);
      throw new Error(`socat did not create ${a} and ${b} within 5 s`);
    }
    await sleep(20);
  }

  return {
    a,
    b,
    async close() {
      stop(socat);
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
}
