import type { Command } from 'commander';

/** Adds every `rdvla` subcommand to the program. */
export function registerCommands(program: Command): void {
  void program;
}
