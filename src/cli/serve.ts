import type { Command } from 'commander';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the tracker')
    .action(() => {
      throw new Error('not yet');
    });
}
