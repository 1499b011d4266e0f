import { describe, expect, it } from 'vitest';
import { flattenReferences, withJavaScriptEscapes } from '../../../src/descriptors/json-select.js';

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
