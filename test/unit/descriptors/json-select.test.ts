import { describe, expect, it } from 'vitest';
import type { DocumentDefinition } from '../../../src/config/document-definition.js';
import { checkDocumentQueries } from '../../../src/descriptors/check-queries.js';
import { compileDocument, type CompileContext } from '../../../src/descriptors/compile-document.js';
import { flattenReferences, withJavaScriptEscapes } from '../../../src/descriptors/json-select.js';
import type { Queryable } from '../../../src/descriptors/sql.js';
import { ConfigurationError } from '../../../src/errors.js';
import { configurationError } from '../../helpers/errors.js';
import { catalogOf, SAKILA_TABLES } from '../../helpers/sakila-catalog.js';

describe('withJavaScriptEscapes', () => {
  it("writes MariaDB's upper-case \\u00XX escapes as JSON.stringify does", () => {
    const text = 'a\u000bb\u001fc\u007f';
    const mariadb = JSON.stringify({ text }).replace(/\\u00([0-9a-f]{2})/g, (_, hex: string) => `\\u00${hex.toUpperCase()}`);
    expect(mariadb).not.toBe(JSON.stringify({ text }));
    expect(withJavaScriptEscapes(mariadb)).toBe(JSON.stringify({ text }));
  });

  it('leaves a backslash that is text, followed by u00, as it is', () => {
    const json = JSON.stringify({ text: '\\u000B and \\\u000b' });
    expect(json).toBe('{"text":"\\\\u000B and \\\\\\u000b"}');
    expect(withJavaScriptEscapes(json.replace('\\u000b', '\\u000B'))).toBe(json);
  });

  it('returns text without escapes unchanged', () => {
    const json = '{"a":"plain"}';
    expect(withJavaScriptEscapes(json)).toBe(json);
  });
});

describe('flattenReferences', () => {
  it('lists nested references depth first, in order', () => {
    expect(flattenReferences([['db.a:1', ['db.b:2', []], 'db.a:3'], [], [['db.c:4']]])).toEqual(['db.a:1', 'db.b:2', 'db.a:3', 'db.c:4']);
  });
});

describe('buildIn: database at start', () => {
  const film: DocumentDefinition = { table: 'film', fields: ['film_id', 'title'], buildIn: 'database' };
  const context: CompileContext = { file: 'films.yml', pipeline: 'sakila', defaultDatabase: 'sakila', catalog: catalogOf(SAKILA_TABLES), isCaptured: () => true };

  it('is refused, naming buildIn and the server it needs, by a server that refuses the query', async () => {
    const descriptor = compileDocument('films', film, context);
    // what MySQL 8 answers: its JSON_ARRAYAGG takes no ORDER BY
    const mysql: Queryable = { query: () => Promise.reject(new Error("You have an error in your SQL syntax; check the manual near 'ORDER BY'")) };
    const checked = checkDocumentQueries(mysql, [descriptor], 'films.yml');
    await expect(checked).rejects.toBeInstanceOf(ConfigurationError);
    await expect(checked).rejects.toMatchObject({
      message: expect.stringContaining('films.yml: documents.films.buildIn: the database refuses the query that makes these documents') as unknown,
      fix: expect.stringContaining('MariaDB 10.5 or later') as unknown,
    });
  });

  it('is refused at compile time, with the reason, for what the database would write otherwise', () => {
    const error = configurationError(() => compileDocument('films', { ...film, computed: { label: "CONCAT(title, '!')" } }, context));
    expect(error.message).toContain('documents.films.buildIn: the database cannot make these documents: documents.films.computed');
  });
});
