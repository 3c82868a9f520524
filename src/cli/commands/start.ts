import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../common/package-root.js';
import { type ServeFlags, addServeOptions, serveBrowserMode } from './serve.js';

/** Returns the Electron binary, or why the desktop window cannot open here. */
export function findElectron(env: NodeJS.ProcessEnv = process.env): { binary: string } | { reason: string } {
  if (process.platform === 'linux' && !env.DISPLAY && !env.WAYLAND_DISPLAY) return { reason: 'no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' };

  let electronDir: string;
  try {
    electronDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { reason: 'the electron package is not installed' };
  }
  const pathFile = path.join(electronDir, 'path.txt');
  const binary = existsSync(pathFile) ? path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (!binary || !existsSync(binary)) return { reason: `the Electron binary is not installed in ${electronDir} (it is downloaded by \`npm install\` unless ELECTRON_SKIP_BINARY_DOWNLOAD is set)` };
  return { binary };
}

/** Opens the desktop app, or runs browser mode where Electron cannot start. Without --rig it uses the simulated rig. */
async function start(flags: ServeFlags): Promise<void> {
  const rigFlags = flags.rig ? { rig: flags.rig } : { sim: true };
  const electron = findElectron();
  if ('reason' in electron) {
    console.log(`cannot open the desktop window: ${electron.reason}; running in browser mode instead`);
    await serveBrowserMode({ ...flags, ...rigFlags, sim: !flags.rig });
    return;
  }

  const main = path.join(packageRoot(), 'dist', 'electron', 'main.js');
  const env: NodeJS.ProcessEnv = { ...process.env, RDVLA_DB: path.resolve(flags.db), RDVLA_RIG: flags.rig ? path.resolve(flags.rig) : 'sim' };
  if (flags.models) env.RDVLA_MODELS = path.resolve(flags.models);
  const child = spawn(electron.binary, [main], { stdio: 'inherit', env });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  process.exitCode = code ?? 1;
}

export function registerStartCommand(program: Command): void {
  addServeOptions(program.command('start').description('Open the RD-VLA Studio desktop app (the simulated rig unless --rig is given); falls back to browser mode without Electron or a display'))
    .action((flags: ServeFlags) => start(flags));
}
