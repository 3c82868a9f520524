import type { Command } from 'commander';
import { registerBusCommands } from './bus.js';
import { registerEpisodesCommand } from './episodes.js';
import { registerExportCommand } from './export.js';
import { registerPolicyCommands } from './policy.js';
import { registerRecordCommand } from './record.js';
import { registerRolloutCommand } from './rollout.js';
import { registerServeCommand } from './serve.js';
import { registerSimCommand } from './sim.js';
import { registerStartCommand } from './start.js';
import { registerTrainCommand } from './train.js';

/** Adds every `rdvla` subcommand to the program. */
export function registerCommands(program: Command): void {
  registerBusCommands(program);
  registerEpisodesCommand(program);
  registerExportCommand(program);
  registerPolicyCommands(program);
  registerRecordCommand(program);
  registerRolloutCommand(program);
  registerServeCommand(program);
  registerSimCommand(program);
  registerStartCommand(program);
  registerTrainCommand(program);
}
