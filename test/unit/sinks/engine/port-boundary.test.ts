import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../../stack/settings.js';

/** An import or require of either engine's client library (or of the transport it is built on). */
const CLIENTS = /(from |require\w*\()'(@elastic\/elasticsearch|@elastic\/transport|@opensearch-project\/opensearch)(\/[^']*)?'/;

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the engine port boundary', () => {
  it('keeps both search engine clients inside src/sinks/engine', () => {
    const offenders = sourceFiles(join(PROJECT_ROOT, 'src'))
      .map((file) => relative(PROJECT_ROOT, file))
      .filter((file) => !file.startsWith(join('src', 'sinks', 'engine')))
      .filter((file) => CLIENTS.test(readFileSync(join(PROJECT_ROOT, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('finds the clients where the adapters are (the check above can fail)', () => {
    const adapters = ['elasticsearch-wire.ts', 'opensearch-wire.ts'].map((file) => readFileSync(join(PROJECT_ROOT, 'src', 'sinks', 'engine', file), 'utf8'));
    expect(adapters.every((text) => CLIENTS.test(text))).toBe(true);
  });
});
