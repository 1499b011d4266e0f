import type { ManagedIndexStatus } from '../sinks/indexes/index-status.js';
import type { MigrationProgress } from '../sinks/indexes/migrate-index.js';

/** A duration for people: 45s, 12m, 5h, 3d. */
export function formatAge(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)}h`;
  return `${Math.round(ms / 86_400_000)}d`;
}

/**
 * The status of managed indexes as a table a person reads at a glance: one line per backing
 * index or partition (alias, kind, version, index, documents, age, state), then what is pending.
 */
export function formatStatusTable(statuses: readonly ManagedIndexStatus[]): string {
  const header = ['ALIAS', 'KIND', 'VERSION', 'INDEX', 'DOCS', 'AGE', 'STATE'];
  const rows: string[][] = [];
  for (const status of statuses) {
    const version =
      status.currentVersion === null ? `- (want ${status.configuredVersion})` : status.currentVersion === status.configuredVersion ? `v${status.currentVersion}` : `v${status.currentVersion} (want v${status.configuredVersion})`;
    if (status.indexes.length === 0) rows.push([status.name, status.kind, version, '(none)', '', '', '']);
    status.indexes.forEach((entry, position) => {
      const state = [entry.aliased ? 'aliased' : '', entry.index.endsWith('-error') ? 'failed documents' : '', entry.retentionDue ? 'retention due' : ''].filter((part) => part !== '').join(', ');
      rows.push([position === 0 ? status.name : '', position === 0 ? status.kind : '', position === 0 ? version : '', entry.index, String(entry.docs), formatAge(entry.ageMs), state]);
    });
  }
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === 4 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const notes: string[] = [];
  for (const status of statuses) {
    if (status.pending !== null) notes.push(`pending: ${status.name}: ${status.pending}`);
    if (status.migration !== undefined) {
      const { from, to, phase, running, owner } = status.migration;
      notes.push(`migration: ${status.name} v${from} -> v${to} at phase ${phase}, ${running ? `running (${owner ?? '?'})` : 'interrupted: the next sluice indexes migrate resumes it'}`);
    }
    for (const [window, indexes] of Object.entries(status.windows ?? {})) notes.push(`window: ${status.name}-${window} -> ${indexes.length === 0 ? '(no partition)' : indexes.join(', ')}`);
  }
  return [line(header), ...rows.map(line), ...(notes.length === 0 ? [] : ['', ...notes])].join('\n') + '\n';
}

/** One progress line of a migration: phase, copied of total, rate and ETA. */
export function formatProgress(name: string, progress: MigrationProgress): string {
  const percent = progress.total === 0 ? 100 : Math.min(100, Math.floor((progress.copied / progress.total) * 100));
  const eta = progress.etaMs === undefined ? '?' : formatAge(progress.etaMs);
  return `${name}: ${progress.phase} ${progress.copied}/${progress.total} documents (${percent}%), ${Math.round(progress.rate)} docs/s, ETA ${eta}`;
}
