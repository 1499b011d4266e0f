import type { Command } from 'commander';
import type { IndexesCommandOptions } from '../../pipeline/run-indexes.js';

/** Adds `sluice indexes status|migrate|maintain -c <file>`. */
export function registerIndexesCommand(program: Command): Command {
  const indexes = program.command('indexes').description('managed indexes: versioned indexes with migrations, partitioned indexes with retention (see README, "Index management")');
  indexes
    .command('status')
    .description('what exists: aliases, backing indexes, versions, document counts, pending migrations, partitions and their ages, retention due')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .option('--index <name>', 'only this managed index')
    .option('--json', 'print JSON instead of a table')
    .exitOverride()
    .action(async (options: IndexesCommandOptions) => {
      const { indexesStatus } = await import('../../pipeline/run-indexes.js');
      const { formatStatusTable } = await import('../../pipeline/indexes-table.js');
      const statuses = await indexesStatus(options);
      process.stdout.write(options.json === true ? `${JSON.stringify(statuses, null, 2)}\n` : formatStatusTable(statuses));
    });
  indexes
    .command('migrate')
    .description('migrate every versioned index whose configured version is above its current one (needs Painless and _reindex); resumes an interrupted migration')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .option('--index <name>', 'only this managed index')
    .option('--wait <seconds>', 'wait for another process migrating the same alias instead of refusing')
    .exitOverride()
    .action(async (options: IndexesCommandOptions) => {
      const { indexesMigrate } = await import('../../pipeline/run-indexes.js');
      const { formatProgress } = await import('../../pipeline/indexes-table.js');
      // no signal handler: Ctrl-C stops the process, and the next migrate resumes from the saved phase
      {
        let last = 0;
        const reports = await indexesMigrate(options, (name, progress) => {
          if (Date.now() - last < 1000 && progress.copied < progress.total) return;
          last = Date.now();
          process.stderr.write(`${formatProgress(name, progress)}\n`);
        });
        for (const report of reports) {
          const what =
            report.outcome === 'migrated'
              ? `migrated v${report.from ?? '?'} -> v${report.to} into ${report.index}: copied ${report.copied}, caught up ${report.caughtUp}${report.failed > 0 ? `, ${report.failed} failed (in ${report.errorIndex ?? ''})` : ''}${report.resumed ? ', resumed' : ''}${report.oldIndexDeleted ? ', old index deleted' : ''}`
              : report.outcome === 'created'
                ? `created ${report.index}`
                : `up to date (${report.index})`;
          process.stdout.write(`${report.alias}: ${what}\n`);
        }
      }
    });
  indexes
    .command('maintain')
    .description('create missing indexes, add new fields, delete expired partitions, move the window aliases')
    .requiredOption('-c, --config <file>', 'the pipeline file (YAML)')
    .option('--index <name>', 'only this managed index')
    .exitOverride()
    .action(async (options: IndexesCommandOptions) => {
      const { indexesMaintain } = await import('../../pipeline/run-indexes.js');
      for (const outcome of await indexesMaintain(options)) {
        if ('versioned' in outcome) {
          const result = outcome.versioned;
          const text =
            result.action === 'fields-added'
              ? `added ${result.fields.join(', ') || 'mapping changes'} to ${result.index}`
              : result.action === 'migration-pending'
                ? `at v${result.from}, configured v${result.to}: run sluice indexes migrate`
                : `${result.action} ${result.index}`;
          process.stdout.write(`${outcome.name}: ${text}\n`);
        } else {
          const { deleted, windows } = outcome.partitioned;
          const windowText = Object.entries(windows).map(([window, indexes]) => `${window}: ${indexes.length}`).join(', ');
          process.stdout.write(`${outcome.name}: deleted ${deleted.length} expired partition(s)${deleted.length > 0 ? ` (${deleted.join(', ')})` : ''}${windowText === '' ? '' : `; windows ${windowText}`}\n`);
        }
      }
    });
  return indexes;
}
