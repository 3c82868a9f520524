import { Command, CommanderError } from 'commander';
import { UserError, errorMessage } from '../common/errors.js';
import { registerCommands } from './commands/index.js';

/** Runs the `rdvla` command line. Errors caused by input end as one line on stderr and exit code 1. */
export async function main(argv: string[]): Promise<void> {
  const program = new Command('rdvla')
    .description('RD-VLA Studio: bimanual teleoperation, recurrent-depth VLA rollouts and episode review')
    .exitOverride();
  registerCommands(program);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof UserError) {
      console.error(`rdvla: ${error.message}`);
      process.exitCode = 1;
      return;
    }
    console.error(`rdvla: unexpected error: ${errorMessage(error)}`);
    if (error instanceof Error && error.stack) console.error(error.stack);
    process.exitCode = 2;
  }
}
