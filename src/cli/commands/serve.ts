import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { UserError } from '../../common/errors.js';
import { startBrowserMode } from '../../service/studio-runtime.js';

export interface ServeFlags {
  sim?: boolean;
  rig?: string;
  port: number;
  host: string;
  db: string;
  models?: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`expected a port from 0 to 65535, got "${value}"`);
  return port;
}

/** Runs the service in browser mode until SIGINT or SIGTERM. */
export async function serveBrowserMode(flags: ServeFlags): Promise<void> {
  if (flags.sim && flags.rig) throw new UserError('--sim and --rig exclude each other: pass one of them');
  if (flags.models !== undefined && !(existsSync(flags.models) && statSync(flags.models).isDirectory())) {
    throw new UserError(`--models ${flags.models} is not a folder: pass the folder that contains the exported model directories`);
  }
  const rig = flags.sim ? ({ sim: true } as const) : flags.rig ? { rigFile: flags.rig } : null;
  const studio = await startBrowserMode({ dbPath: flags.db, rig, host: flags.host, port: flags.port, modelsDir: flags.models });

  console.log(`RD-VLA Studio at ${studio.server.url}`);
  if (!['127.0.0.1', 'localhost', '::1'].includes(flags.host)) {
    console.warn(`warning: listening on ${flags.host}, so anyone on that network who learns the address with its token can drive the arms`);
  }

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  console.error('stopping: disconnecting the rig and closing the episode database');
  await studio.close();
}

export function addServeOptions(command: Command): Command {
  return command
    .option('--sim', 'start the built-in simulated rig and connect to it')
    .option('--rig <file>', 'rig file of the real arms to connect at start')
    .option('--port <n>', 'port of the UI and API (0 picks a free one)', parsePort, 8770)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--db <file>', 'episode database (SQLite)', 'episodes.db')
    .option('--models <dir>', 'folder of exported model directories (default: native-models/ of the package)');
}

export function registerServeCommand(program: Command): void {
  addServeOptions(program.command('serve').description('Serve RD-VLA Studio to a browser: the UI and the service API on one local port'))
    .action((flags: ServeFlags) => serveBrowserMode(flags));
}
