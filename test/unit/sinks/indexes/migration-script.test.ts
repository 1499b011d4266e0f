import { describe, expect, it } from 'vitest';
import { parseFieldPath } from '../../../../src/config/field-path.js';
import { indexesSchema } from '../../../../src/config/indexes-schema.js';
import { compileMigration, versionsToRun } from '../../../../src/sinks/indexes/migration-script.js';
import { diffMappings } from '../../../../src/sinks/indexes/mapping-diff.js';
import { inWindow, isExpired, parsePartition, partitionName, partitionStartsInRange } from '../../../../src/sinks/indexes/partitions.js';
import { formatProgress, formatStatusTable } from '../../../../src/pipeline/indexes-table.js';

describe('field paths', () => {
  it('reads dotted paths and bracket names', () => {
    expect(parseFieldPath('a')).toEqual(['a']);
    expect(parseFieldPath('meta.author.name')).toEqual(['meta', 'author', 'name']);
    expect(parseFieldPath('meta["first.name"]')).toEqual(['meta', 'first.name']);
    expect(parseFieldPath("['a b'].c['d\\'e']")).toEqual(['a b', 'c', "d'e"]);
  });

  it('refuses malformed paths with the place', () => {
    expect(() => parseFieldPath('a..b')).toThrow(/empty name at character 3/);
    expect(() => parseFieldPath('a[b]')).toThrow(/quoted name/);
    expect(() => parseFieldPath('a["b"')).toThrow(/missing \]/);
    expect(() => parseFieldPath('a.')).toThrow(/empty name/);
  });
});

describe('compileMigration', () => {
  const migrations = { 2: [{ rename: { from: 'a.b', to: 'c' } }], 3: [{ remove: 'x["y.z"]' }, { painless: 'ctx._source.n = 1;' }], 4: [{ remove: 'late' }] };

  it('combines the steps of (from, to] in order into one script, names as parameters', () => {
    expect(versionsToRun(1, 3)).toEqual([2, 3]);
    const script = compileMigration(migrations, 1, 3, 'e-v3-error', 'e-v1');
    expect(script?.params).toMatchObject({ s0from: ['a', 'b'], s0to: ['c'], s1: ['x', 'y.z'], s2label: 'v3 step 2', errorIndex: 'e-v3-error', sourceIndex: 'e-v1' });
    expect(script?.params).not.toHaveProperty('s3');
    const source = script?.source ?? '';
    expect(source.indexOf('sluiceRename(ctx._source, params.s0from')).toBeLessThan(source.indexOf('sluiceRemove(ctx._source, params.s1)'));
    expect(source).toContain('ctx._source.n = 1;');
    expect(source).toContain('ctx._index = params.errorIndex');
    expect(source).not.toContain('y.z');
  });

  it('copies without a script when no version in the range has a step', () => {
    expect(compileMigration(migrations, 4, 5, 'e', 'f')).toBeUndefined();
    // without custom Painless there is no error redirection (nothing can fail)
    expect(compileMigration(migrations, 3, 4, 'e', 'f')?.source).not.toContain('ctx._index');
  });
});

describe('diffMappings', () => {
  it('finds new fields and type changes, nested too', () => {
    const current = { properties: { a: { type: 'text' }, o: { properties: { x: { type: 'long' } } } } };
    const wanted = { properties: { a: { type: 'keyword' }, b: { type: 'long' }, o: { properties: { x: { type: 'long' }, y: { type: 'date' } } } } };
    expect(diffMappings(current, wanted)).toEqual({ added: ['b', 'o.y'], typeChanges: [{ field: 'a', from: 'text', to: 'keyword' }] });
  });
});

describe('partitions', () => {
  const at = Date.parse('2026-03-10T15:00:00Z');
  it('names, parses and ranges daily and monthly partitions', () => {
    expect(partitionName('ev', 2, 'daily', at)).toBe('ev-v2-2026.03.10');
    expect(partitionName('ev', 2, 'monthly', at)).toBe('ev-v2-2026.03');
    expect(parsePartition('ev', 'daily', 'ev-v2-2026.03.10')).toEqual({ index: 'ev-v2-2026.03.10', version: 2, start: Date.parse('2026-03-10'), end: Date.parse('2026-03-11') });
    expect(parsePartition('ev', 'monthly', 'ev-v1-2026.12')?.end).toBe(Date.parse('2027-01-01'));
    expect(parsePartition('ev', 'daily', 'ev-v2-error')).toBeUndefined();
    expect(partitionStartsInRange('monthly', Date.parse('2026-01-31'), Date.parse('2026-03-01'))).toEqual([Date.parse('2026-01-01'), Date.parse('2026-02-01'), Date.parse('2026-03-01')]);
  });

  it('expires a partition once its end is older than maxAge, and windows cover partitions overlapping them', () => {
    const day = { start: Date.parse('2026-03-01'), end: Date.parse('2026-03-02') };
    expect(isExpired(day, Date.parse('2026-03-08T23:59:59Z'), 7 * 86_400_000)).toBe(false);
    expect(isExpired(day, Date.parse('2026-03-09T00:00:00Z'), 7 * 86_400_000)).toBe(true);
    expect(inWindow(day, Date.parse('2026-03-08T12:00:00Z'), 7 * 86_400_000)).toBe(true);
    expect(inWindow(day, Date.parse('2026-03-09T12:00:00Z'), 7 * 86_400_000)).toBe(false);
  });
});

describe('the indexes section', () => {
  it('validates steps, versions and partition keys', () => {
    const parsed = indexesSchema.safeParse({
      films: { version: 2, migrations: { 3: [{ rename: { from: 'a..b', to: 'c' } }] } },
      events: { partition: 'daily', maxAge: '30days' },
      plain: { maxAge: '30d' },
    });
    expect(parsed.success).toBe(false);
    const messages = parsed.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^films\.migrations\.3\.0/),
        'films.migrations.3: migrates to version 3, outside 2..2 (the version)',
        'events.maxAge: must be a duration like 30d or 12h',
        'events.timestampField: is required for a partitioned index (it chooses the partition)',
        'plain.maxAge: applies to partitioned indexes only (set partition: daily or monthly)',
      ]),
    );
    expect(indexesSchema.parse({ films: {} })).toEqual({ films: { version: 1, keepOldIndex: true } });
  });
});

describe('the status table', () => {
  it('shows one line per index with version, counts, age and state, then what is pending', () => {
    const table = formatStatusTable([
      {
        name: 'films',
        kind: 'versioned',
        configuredVersion: 2,
        currentVersion: 1,
        indexes: [
          { index: 'films-v1', docs: 1200, ageMs: 3 * 86_400_000, aliased: true, retentionDue: false },
          { index: 'films-v1-error', docs: 3, ageMs: 7_200_000, aliased: false, retentionDue: false },
        ],
        pending: 'migrate v1 -> v2',
      },
      { name: 'events', kind: 'daily', configuredVersion: 1, currentVersion: 1, indexes: [{ index: 'events-v1-2026.01.01', docs: 5, ageMs: 40 * 86_400_000, aliased: true, retentionDue: true }], pending: 'maintain: delete 1 expired partition', windows: { 'last-7d': [] } },
    ]);
    expect(table.split('\n')).toEqual([
      'ALIAS   KIND       VERSION       INDEX                 DOCS  AGE  STATE',
      'films   versioned  v1 (want v2)  films-v1              1200  3d   aliased',
      '                                 films-v1-error           3  2h   failed documents',
      'events  daily      v1            events-v1-2026.01.01     5  40d  aliased, retention due',
      '',
      'pending: films: migrate v1 -> v2',
      'pending: events: maintain: delete 1 expired partition',
      'window: events-last-7d -> (no partition)',
      '',
    ]);
    expect(formatProgress('films', { phase: 'copy', copied: 500, total: 2000, rate: 250, etaMs: 6000 })).toBe('films: copy 500/2000 documents (25%), 250 docs/s, ETA 6s');
  });
});
