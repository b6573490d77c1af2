/**
 * `fjord party add|list`, `fjord contract add|show|end|status|why|calendar` and `fjord cues
 * import|show`: options and help. The work is in ../rights.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import type { CommonFlags } from '../publish.js';
import type { ContractAddFlags, ContractShowFlags, PartyAddFlags, ReportFlags } from '../rights.js';
import { stdio, type Io } from '../io.js';
import { catalogOptions, collect } from './options.js';

export function registerRights(program: Command, io: Io = stdio): void {
  const run = () => import('../rights.js');

  const party = program.command('party').description('rights holders: add, list');
  catalogOptions(party.command('add'))
    .description('add a rights holder (a party that can sign contracts)')
    .argument('<name>', "the party's name, unique whatever its case")
    .requiredOption(
      '--kind <kind>',
      'music (label or publisher), performers, production-company, format-owner, archive or broadcaster',
    )
    .option('--contact <text>', 'who to talk to (name, e-mail, phone)')
    .option('--reporting-address <address>', 'where monthly statements go')
    .showHelpAfterError(false)
    .action(async (name: string, o: PartyAddFlags) => (await run()).partyAdd(name, o, io));
  catalogOptions(party.command('list'))
    .description('every party with its number of contracts')
    .action(async (o: CommonFlags) => (await run()).partyList(o, io));

  const contract = program
    .command('contract')
    .description("parties' contracts (clearances): add, show, end, status, why, calendar");
  catalogOptions(contract.command('add'))
    .description('record a contract: what it covers, its window [from, until), status and terms')
    .requiredOption('--party <name>', 'the party (fjord party list)')
    .requiredOption(
      '--covers <what>',
      'SERIES, SERIES/s01, SERIES/s01e02 or SERIES/s01e02/cue3; repeatable',
      collect,
    )
    .option('--status <status>', 'negotiating, signed, refused or expired', 'negotiating')
    .requiredOption('--from <time>', 'start of its window (ISO 8601 with a zone, or a date)')
    .option('--until <time>', 'end of its window, exclusive (default: no end)')
    .option('--no-download', 'it does not allow online download')
    .option('--no-p2p', 'it does not allow peer-to-peer distribution')
    .option('--no-worldwide', 'it is limited to some territories (a swarm cannot be)')
    .option('--compensation <terms>', 'none, flat-fee, per-download or per-play', 'none')
    .option('--amount <amount>', 'the fee, or the amount per completed download or browser play (0.05)')
    .option('--currency <code>', 'ISO 4217 currency of --amount (default: the currency setting)')
    .option('--reference <text>', 'where the paper contract is (number, archive shelf)')
    .showHelpAfterError(false)
    .action(async (o: ContractAddFlags) => (await run()).contractAdd(o, io));
  catalogOptions(contract.command('show'))
    .description('one contract with the episodes it speaks for, or every contract')
    .argument('[id]', 'the contract number')
    .option('--party <name>', "only this party's contracts")
    .action(async (id: string | undefined, o: ContractShowFlags) => (await run()).contractShow(id, o, io));
  catalogOptions(contract.command('end'))
    .description('end a contract: what it allowed stops at that instant')
    .argument('<id>', 'the contract number')
    .option('--at <time>', 'when it ends (default: now)')
    .showHelpAfterError(false)
    .action(async (id: string, o: CommonFlags & { at?: string }) => (await run()).contractEnd(id, o, io));
  catalogOptions(contract.command('status'))
    .description('move a contract to another status (a negotiation signed, a contract refused)')
    .argument('<id>', 'the contract number')
    .argument('<status>', 'negotiating, signed, refused or expired')
    .action(async (id: string, status: string, o: CommonFlags) =>
      (await run()).contractStatus(id, status, o, io),
    );
  catalogOptions(contract.command('why'))
    .description('every episode with what blocks it, or when and why its distribution ends')
    .option('--series <name>', 'only this series (title or slug)')
    .action(async (o: CommonFlags & { series?: string }) => (await run()).rightsStatus(o, io));
  catalogOptions(contract.command('calendar'))
    .description('upcoming contract starts and ends, and which episodes each switches on or off')
    .option('--days <n>', 'how far ahead', '60')
    .action(async (o: CommonFlags & { days: string }) => (await run()).contractCalendar(o, io));

  const cues = program.command('cues').description("episodes' music cue sheets: import, show");
  catalogOptions(cues.command('import'))
    .description("replace an episode's cue sheet from a CSV file (docs/rights.md); all rows or none")
    .argument('<episode>', 'SERIES/s01e02')
    .argument('<file>', 'the cue sheet, CSV in UTF-8')
    .action(async (episode: string, file: string, o: CommonFlags) =>
      (await run()).cuesImport(episode, file, o, io),
    );
  catalogOptions(cues.command('show'))
    .description("an episode's cue sheet and what covers each cue")
    .argument('<episode>', 'SERIES/s01e02')
    .action(async (episode: string, o: CommonFlags) => (await run()).cuesShow(episode, o, io));

  catalogOptions(program.command('report'))
    .description("a rights holder's monthly report: per work downloads, bytes delivered, amount owed")
    .requiredOption('--party <name>', 'the rights holder (fjord party list)')
    .requiredOption('--month <YYYY-MM>', 'the month, its days in the timeZone setting')
    .option('--format <format>', 'text, csv, html (a printable statement) or json', 'text')
    .option('--issue', 'issue it as a statement: kept exactly as issued')
    .option('--corrects <id>', 'with --issue: the statement this one corrects')
    .option('--statement <id>', 'print an issued statement as it was issued')
    .showHelpAfterError(false)
    .action(async (o: ReportFlags) => (await run()).report(o, io));
}
