import type { Command } from 'commander';
import { UserError } from '../../common/errors.js';
import { ARM_NAMES, DYNAMIXEL_BAUD_RATES } from '../../rig/rig-config.js';
import { startSimRig } from '../../sim/sim-rig.js';

interface SimOptions {
  dir?: string;
  baud: number;
  seed: number;
}

function parseBaud(value: string): number {
  const baud = Number(value);
  if (!(DYNAMIXEL_BAUD_RATES as readonly number[]).includes(baud)) {
    throw new UserError(`--baud ${value} is invalid: use an X-series rate (${DYNAMIXEL_BAUD_RATES.join(', ')})`);
  }
  return baud;
}

function parseSeed(value: string): number {
  const seed = Number(value);
  if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed ${value} is invalid: use a whole number >= 0`);
  return seed;
}

/** Starts the simulated rig, prints its ports and rig file, and keeps it running until SIGINT or SIGTERM. */
async function runSim(options: SimOptions): Promise<void> {
  const rig = await startSimRig({ dir: options.dir, baudRate: options.baud, seed: options.seed });

  const width = Math.max(...ARM_NAMES.map((arm) => arm.length)) + 2;
  for (const arm of ARM_NAMES) console.log(`${arm.padEnd(width)}${rig.ports[arm]}`);
  console.log(`${'rig file'.padEnd(width)}${rig.rigFile}`);
  console.log('simulated rig running: press Ctrl-C to stop');

  const stopSignal = await new Promise<string>((resolve) => {
    const onSignal = (signal: string): void => resolve(signal);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    void rig.exited.then(() => resolve('simulator exit'));
  });
  await rig.stop();
  if (stopSignal === 'simulator exit') throw new UserError('the simulator process exited unexpectedly: see the log above and start `rdvla sim` again');
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description('Run the simulated bimanual rig: four Dynamixel X-series buses on virtual serial ports (needs socat)')
    .option('--dir <dir>', 'folder for the port links and rig.json (default: a new folder under the temp dir)')
    .option('--baud <bps>', 'bus bit rate of every arm', parseBaud, 1_000_000)
    .option('--seed <n>', 'seed of the scripted operator that moves the leader arms', parseSeed, 1)
    .action((options: SimOptions) => runSim(options));
}
