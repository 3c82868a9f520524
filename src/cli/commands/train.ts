import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { monotonicMs } from '../../common/clock.js';
import { UserError } from '../../common/errors.js';
import { nonNegativeNumber, positiveInteger, positiveNumber, seedNumber } from './record.js';
import { packageRoot } from '../../common/package-root.js';

interface TrainFlags {
  db: string;
  out: string;
  task?: string;
  outcome: string;
  kind: string;
  steps: number;
  batchSize: number;
  depthMean: number;
  lr?: number;
  stateNoise?: number;
  goalWeight?: number;
  seed?: number;
  device: string;
  resume?: boolean;
  name?: string;
  python: string;
  json?: boolean;
}

/** One progress record of `python3 -m rdvla.train --progress json`. */
export interface TrainProgress {
  event: 'progress';
  step: number;
  steps: number;
  loss: number;
  lr: number;
  depth: number;
  itPerS: number;
  leftS: number | null;
}

interface TrainExported {
  event: 'exported';
  out: string;
  finalLoss: number;
}

const BAR_WIDTH = 24;
const REQUIRED_MODULES = ['torch', 'numpy', 'onnx', 'PIL'];

export const TRAINING_DIR = path.join(packageRoot(), 'training');

/** The Python the trainer runs on: RDVLA_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH. */
export function defaultPython(): string {
  return process.env.RDVLA_PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** Throws a UserError naming the Python modules the trainer needs that `python` cannot import. */
export function checkPythonModules(python: string): void {
  const probe = `import importlib.util as u; print(",".join(m for m in ${JSON.stringify(REQUIRED_MODULES)} if u.find_spec(m) is None))`;
  const result = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) {
    throw new UserError(`cannot run ${python} (${result.error?.message ?? result.stderr.trim()}): install Python 3 or pass --python PATH`);
  }
  const missing = result.stdout.trim();
  if (missing !== '') {
    throw new UserError(
      `${python} cannot import ${missing.split(',').join(', ')}, which training needs: on Debian run ` +
        '`apt-get install python3-torch python3-numpy python3-onnx python3-pil`, or pass --python with a Python that has them',
    );
  }
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

/** Renders one progress line: bar, step, mean loss since the previous line, iterations per second and time left. */
export function formatProgress(progress: TrainProgress): string {
  const filled = Math.round((BAR_WIDTH * progress.step) / progress.steps);
  const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
  return (
    `[${bar}] ${progress.step}/${progress.steps} mean loss ${progress.loss.toFixed(4)} ` +
    `${progress.itPerS.toFixed(2)} it/s, ${formatDuration(progress.leftS)} left`
  );
}

/** Parses one JSON line of the trainer's stdout; undefined for any other output. */
function parseRecord(line: string): TrainProgress | TrainExported | undefined {
  try {
    const record = JSON.parse(line) as { event?: unknown };
    return record.event === 'progress' || record.event === 'exported' ? (record as TrainProgress | TrainExported) : undefined;
  } catch {
    return undefined;
  }
}

function trainerArguments(flags: TrainFlags): string[] {
  const args = ['-m', 'rdvla.train', '--db', flags.db, '--out', flags.out, '--progress', 'json'];
  args.push('--steps', String(flags.steps), '--batch-size', String(flags.batchSize), '--depth-mean', String(flags.depthMean));
  args.push('--outcome', flags.outcome, '--kind', flags.kind, '--device', flags.device);
  if (flags.task !== undefined) args.push('--task', flags.task);
  if (flags.lr !== undefined) args.push('--lr', String(flags.lr));
  if (flags.stateNoise !== undefined) args.push('--state-noise', String(flags.stateNoise));
  if (flags.goalWeight !== undefined) args.push('--goal-weight', String(flags.goalWeight));
  if (flags.seed !== undefined) args.push('--seed', String(flags.seed));
  if (flags.resume) args.push('--resume');
  if (flags.name !== undefined) args.push('--name', flags.name);
  return args;
}

/** Runs the Python trainer, drawing its progress on stderr; resolves with the exported model's record. */
async function runTrainer(flags: TrainFlags): Promise<TrainExported> {
  const pythonPath = [TRAINING_DIR, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
  // The trainer runs in its own process group, so a terminal's Ctrl-C reaches it only once,
  // through the handler below, and a signal to this process alone stops it too.
  const child = spawn(flags.python, trainerArguments(flags), {
    env: { ...process.env, PYTHONPATH: pythonPath },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const tty = process.stderr.isTTY === true;
  let barShown = false;
  let exported: TrainExported | undefined;

  const clearBar = (): void => {
    if (barShown) process.stderr.write('\r\x1b[2K');
    barShown = false;
  };
  createInterface({ input: child.stderr }).on('line', (line) => {
    clearBar();
    process.stderr.write(`${line}\n`);
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    const record = parseRecord(line);
    if (record === undefined) {
      clearBar();
      process.stderr.write(`${line}\n`);
    } else if (record.event === 'exported') {
      exported = record;
    } else if (flags.json) {
      console.log(line);
    } else if (tty) {
      process.stderr.write(`\r\x1b[2K${formatProgress(record)}`);
      barShown = true;
    } else {
      process.stderr.write(`${formatProgress(record)}\n`);
    }
  });

  // SIGINT, SIGTERM and SIGHUP are passed on as SIGINT: the trainer saves its state and exits,
  // and this process waits for that.
  const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  let interrupted = false;
  const forwardStop = (): void => {
    interrupted = true;
    child.kill('SIGINT');
  };
  for (const signal of STOP_SIGNALS) process.on(signal, forwardStop);
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    clearBar();
    if (interrupted && code !== 0) {
      const state = path.join(flags.out, 'training', 'state.pt');
      throw new UserError(
        existsSync(state)
          ? `training interrupted: its state is in ${state}, so run the same command with --resume to continue`
          : 'training interrupted before its first saved state: run the command again to start over',
      );
    }
    if (code !== 0 || exported === undefined) {
      throw new UserError(`training stopped with exit code ${code}: see the trainer's messages above`);
    }
    return exported;
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, forwardStop);
  }
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('Train an RD-VLA policy on recorded episodes and write a model directory the app loads')
    .requiredOption('--db <file>', 'episode database (SQLite) to train on')
    .requiredOption('--out <dir>', 'model directory to write; the training state goes to DIR/training/')
    .option('--task <text>', 'train only on episodes with exactly this task text (default: every task)')
    .option('--outcome <list>', "comma-separated outcomes to train on, or 'any'", 'success,unlabelled')
    .option('--kind <list>', "comma-separated episode kinds (teleop, rollout), or 'any'", 'teleop')
    .option('--steps <n>', 'optimiser steps in total, counting resumed ones', positiveInteger, 2000)
    .option('--batch-size <n>', 'samples per step (per process under torchrun)', positiveInteger, 32)
    .option('--depth-mean <n>', 'mean recurrence depth of training (32 as published; 8 trains the tiny model faster on a CPU)', positiveInteger, 32)
    .option('--lr <rate>', 'peak learning rate (default 1e-3)', positiveNumber)
    .option('--state-noise <rad>', 'Gaussian noise added to the joint state in training, in radians (default 0)', nonNegativeNumber)
    .option('--goal-weight <w>', "weight of an auxiliary loss predicting each episode's last joint state from the cameras and task (default 0)", nonNegativeNumber)
    .option('--seed <n>', 'seed of weights, batches, depths and scratchpads', seedNumber)
    .option('--device <name>', 'auto, cpu or cuda', 'auto')
    .option('--resume', 'continue the run saved in DIR/training/state.pt')
    .option('--name <name>', "model name in the manifest (default: the output folder's name)")
    .option('--python <path>', 'Python with torch, numpy, onnx and PIL ($RDVLA_PYTHON if set)', defaultPython())
    .option('--json', 'print progress records and the result as JSON lines on stdout')
    .action(async (flags: TrainFlags) => {
      checkPythonModules(flags.python);
      const started = monotonicMs();
      const result = await runTrainer(flags);
      const seconds = (monotonicMs() - started) / 1000;
      if (flags.json) {
        console.log(JSON.stringify({ event: 'done', out: result.out, steps: flags.steps, finalLoss: result.finalLoss, seconds }));
      } else {
        console.log(`trained ${result.out}: ${flags.steps} steps in ${formatDuration(seconds)}, final loss ${result.finalLoss.toFixed(4)} (last batch)`);
      }
    });
}
