/**
 * `fjord user add|list|remove|passwd`: options and help. The work is in ../user.ts, loaded when a
 * command runs.
 */
import type { Command } from 'commander';
import { ROLES } from '../../auth/roles.js';
import type { UserFlags } from '../user.js';

const common = (c: Command): Command =>
  c
    .option('--data <dir>', 'data directory (default ./data)')
    .option('--config <file>', 'settings file (as for serve)')
    .option('--catalog <url>', 'postgres://... catalog (default: SQLite in the data directory)');

export function registerUser(program: Command): void {
  const run = () => import('../user.js');
  const user = program
    .command('user')
    .description('dashboard accounts (admin, editor, moderator, rights-holder)');

  common(user.command('add <name>'))
    .description('create an account and print its one-time password')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--party <name>', 'for --role rights-holder: the party (fjord party list) it may see')
    .action(async (name: string, o: UserFlags & { role: string; party?: string }) =>
      (await run()).addUser(name, o),
    );

  common(user.command('list'))
    .description('list accounts')
    .action(async (o: UserFlags) => (await run()).listUsers(o));

  common(user.command('remove <name>'))
    .description('delete an account and end its sessions')
    .action(async (name: string, o: UserFlags) => (await run()).removeUser(name, o));

  common(user.command('passwd <name>'))
    .description("set a new one-time password (printed), end the user's sessions, lift a lockout")
    .action(async (name: string, o: UserFlags) => (await run()).resetPassword(name, o));
}
