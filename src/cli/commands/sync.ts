import type { Command } from 'commander';
import { runUntilSignal } from '../run-until-signal.js';
import { httpPortOption } from '../http-port-option.js';
import type { SyncCommandOptions } from '../../pipeline/run-sync.js';

/** Adds `sluice sync -c <file> [--documents NAME]`. */
export function registerSyncCommand(program: Command): Command {
  return program
    .command('sync')
    .description('full sync: rebuild every document from the database into new or existing indexes, sweep documents whose rows are gone, swap the aliases (needs Painless and _reindex)')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .option('--documents <name>', 'sync only this document family')
    .addOption(httpPortOption())
    .exitOverride()
    .action(async (options: SyncCommandOptions) => {
      // loaded on use: the other commands do not pay for the orchestrator and the progress bar
      const { runSync } = await import('../../pipeline/run-sync.js');
      await runUntilSignal(async (signal) => {
        await runSync(options, signal);
      });
    });
}
