import type { EngineScript } from '../engine/search-engine.js';
import { parseFieldPath } from '../../config/field-path.js';

/**
 * One step of a version's migration: rename a field (moving it, dotted paths and bracket names
 * allowed), remove a field, or run custom Painless on `ctx._source`. A custom step that throws
 * sends the document to the `-error` index with the failure instead of the new index.
 */
export type MigrationStep =
  | { readonly rename: { readonly from: string; readonly to: string } }
  | { readonly remove: string }
  | { readonly painless: string };

/** The migration of each version: the steps that turn a document of version N-1 into version N. */
export type Migrations = Readonly<Record<number, readonly MigrationStep[]>>;

/** Fields of a document sent to the error index. */
export const ERROR_DOCUMENT_FIELDS = ['error', 'step', 'version', 'source_index', 'document', 'failed_at'] as const;

const HELPERS = `
Map sluiceParent(Map root, List path, boolean create) {
  Map m = root;
  for (int i = 0; i < path.size() - 1; ++i) {
    def next = m.get(path.get(i));
    if (next instanceof Map) { m = (Map) next; }
    else if (create && next == null) { Map made = new HashMap(); m.put(path.get(i), made); m = made; }
    else { return null; }
  }
  return m;
}
void sluiceRename(Map root, List from, List to) {
  Map source = sluiceParent(root, from, false);
  def key = from.get(from.size() - 1);
  if (source == null || !source.containsKey(key)) { return; }
  def value = source.remove(key);
  Map target = sluiceParent(root, to, true);
  if (target != null) { target.put(to.get(to.size() - 1), value); }
}
void sluiceRemove(Map root, List path) {
  Map parent = sluiceParent(root, path, false);
  if (parent != null) { parent.remove(path.get(path.size() - 1)); }
}
def sluiceCopy(def value) {
  if (value instanceof Map) { Map copy = new HashMap(); for (def entry : value.entrySet()) { copy.put(entry.getKey(), sluiceCopy(entry.getValue())); } return copy; }
  if (value instanceof List) { List copy = new ArrayList(); for (def item : value) { copy.add(sluiceCopy(item)); } return copy; }
  return value;
}
`;

/** The versions whose migrations run going from `from` to `to`: (from, to], ascending. */
export function versionsToRun(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, offset) => from + offset + 1);
}

/**
 * Combines the migrations of every version in (from, to] into one Painless script for _reindex
 * (one request however many versions are crossed). Field names travel as parameters; custom
 * Painless runs in a try block, and a document whose custom step throws is redirected to
 * `errorIndex` with the error, the step, and its source as it was before the migration.
 * Undefined when no version has a step (a plain copy).
 */
export function compileMigration(migrations: Migrations, from: number, to: number, errorIndex: string, sourceIndex: string): EngineScript | undefined {
  const lines: string[] = [];
  const params: Record<string, unknown> = { errorIndex, sourceIndex };
  let custom = false;
  let counter = 0;
  for (const version of versionsToRun(from, to)) {
    (migrations[version] ?? []).forEach((step, index) => {
      const id = `s${counter++}`;
      const label = `v${version} step ${index + 1}`;
      if ('rename' in step) {
        params[`${id}from`] = parseFieldPath(step.rename.from);
        params[`${id}to`] = parseFieldPath(step.rename.to);
        lines.push(`if (!sluiceFailed) { sluiceRename(ctx._source, params.${id}from, params.${id}to); }`);
      } else if ('remove' in step) {
        params[id] = parseFieldPath(step.remove);
        lines.push(`if (!sluiceFailed) { sluiceRemove(ctx._source, params.${id}); }`);
      } else {
        custom = true;
        params[`${id}label`] = label;
        params[`${id}version`] = version;
        lines.push(
          `if (!sluiceFailed) { try {\n${step.painless}\n} catch (Exception e) { sluiceFailed = true; sluiceError = e.toString(); sluiceStep = params.${id}label; sluiceVersion = params.${id}version; } }`,
        );
      }
    });
  }
  if (lines.length === 0) return undefined;
  const prologue = ['boolean sluiceFailed = false;', 'String sluiceError = null;', 'String sluiceStep = null;', 'def sluiceVersion = null;', `def sluiceOriginal = ${custom ? 'sluiceCopy(ctx._source)' : 'null'};`];
  const epilogue = custom
    ? [
        'if (sluiceFailed) {',
        "  ctx._index = params.errorIndex;",
        "  ctx._source = ['error': sluiceError, 'step': sluiceStep, 'version': sluiceVersion, 'source_index': params.sourceIndex, 'document': sluiceOriginal, 'failed_at': System.currentTimeMillis()];",
        '}',
      ]
    : [];
  return { lang: 'painless', source: [HELPERS, ...prologue, ...lines, ...epilogue].join('\n'), params };
}
