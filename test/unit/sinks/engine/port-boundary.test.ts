import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../../../stack/settings.js';

const CLIENTS = /from '(@elastic\/elasticsearch|@opensearch-project\/opensearch)(\/[^']*)?'/;

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
    const adapters = ['elasticsearch-engine.ts', 'opensearch-engine.ts'].map((file) => readFileSync(join(PROJECT_ROOT, 'src', 'sinks', 'engine', file), 'utf8'));
    expect(adapters.every((text) => CLIENTS.test(text))).toBe(true);
  });
});
