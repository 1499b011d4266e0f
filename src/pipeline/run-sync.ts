import { loadPipelineConfig } from '../config/load-pipeline-config.js';
import { pipelineTableFilter } from './capture-settings.js';
import { engineConnection } from './engine-connection.js';
import { readTableCatalog } from '../sources/mysql/table-catalog.js';
import { loadDescriptors, openReadPool } from '../descriptors/read-pool.js';
import { VersionClock } from '../descriptors/version-clock.js';
import { ConfigurationError } from '../errors.js';
import { createLogger } from '../logging.js';
import { mysqlConnectionOptions } from '../sources/mysql/connection-options.js';
import { connectEngine } from '../sinks/engine/connect.js';
import { ElasticsearchVersionEpochStore } from '../sinks/elasticsearch/version-epoch-store.js';
import { runFullSync } from '../sinks/orchestrator/full-sync.js';
import { requireSyncModules, type SyncReport } from '../sinks/orchestrator/orchestrator.js';
import { progressReporter } from './sync-progress.js';
import { Observability, type HttpOptions } from './observability.js';
import type { PipelineConfig } from '../config/pipeline-config.js';
import type { Logger } from '../logging.js';

/** Options of `sluice sync`. */
export interface SyncCommandOptions extends HttpOptions {
  readonly config: string;
  readonly documents?: string;
}

/** One summary line of a family's sync. */
export function formatSummary(document: string, report: SyncReport): string {
  const deleted = report.deleted + report.deletedSecondary;
  return `${document}: written ${report.written}, unchanged ${report.unchanged}, superseded ${report.superseded}, deleted ${deleted}, strategy ${report.strategy}, duration ${(report.durationMs / 1000).toFixed(1)} s (index ${report.indexes.primary})\n`;
}

/**
 * `sluice sync -c <file> [--documents NAME]`: a full sync of every document family (or one).
 * Refuses (exit code 2, nothing changed) a cluster without lang-painless or reindex.
 */
export async function runSync(options: SyncCommandOptions, signal: AbortSignal): Promise<SyncReport[]> {
  const config = loadPipelineConfig(options.config);
  const logger = createLogger('sluice.sync', undefined, { pipeline: config.pipeline });
  const names = Object.keys(config.documents);
  if (names.length === 0) throw new ConfigurationError(`${options.config}: documents: defines no document`, 'define at least one document under documents');
  if (options.documents !== undefined && !names.includes(options.documents)) {
    throw new ConfigurationError(`${options.config}: documents.${options.documents} does not exist`, `use one of: ${names.join(', ')}`);
  }
  const observability = await Observability.start(config, 'sync', options, logger);
  try {
    return await syncDocuments(config, options, signal, logger, observability);
  } finally {
    await observability?.close();
  }
}

async function syncDocuments(config: PipelineConfig, options: SyncCommandOptions, signal: AbortSignal, logger: Logger, observability: Observability | undefined): Promise<SyncReport[]> {
  const opened = await connectEngine(engineConnection(config));
  const engine = observability?.instrumentEngine(opened) ?? opened;
  const pool = openReadPool(mysqlConnectionOptions(config.source.mysql.url), 4);
  try {
    await requireSyncModules(engine);
    const wanted = options.documents === undefined ? config.documents : { [options.documents]: config.documents[options.documents] ?? {} };
    const descriptors = await loadDescriptors((databases) => readTableCatalog(pool, databases, () => true), wanted, {
      file: options.config,
      pipeline: config.pipeline,
      defaultDatabase: config.source.mysql.databases.length === 1 ? config.source.mysql.databases[0] : undefined,
      isCaptured: pipelineTableFilter(config),
      databases: config.source.mysql.databases,
      queries: pool,
    });
    const versioning = new VersionClock(new ElasticsearchVersionEpochStore(engine, config.pipeline), { logger });
    const reports: SyncReport[] = [];
    for (const descriptor of descriptors) {
      const progress = progressReporter(process.stderr, logger);
      try {
        const report = await runFullSync(engine, pool, {
          descriptor,
          gcDeletes: config.sink.gcDeletes,
          pageSize: Math.min(config.sink.buildBatchSize, 1000),
          versioning,
          logger,
          signal,
          onProgress: (update) => {
            observability?.observer.syncProgress(update);
            progress.update(update);
          },
        });
        reports.push(report);
        progress.stop();
        process.stdout.write(formatSummary(descriptor.name, report));
      } finally {
        progress.stop();
      }
    }
    return reports;
  } finally {
    await pool.end();
    await opened.close();
  }
}
