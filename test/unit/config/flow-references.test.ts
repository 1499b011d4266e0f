import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePipelineConfig } from '../../../src/config/load-pipeline-config.js';
import { hasFlowReference, quoteFlowReferences } from '../../../src/config/flow-references.js';
import { configurationError } from '../../helpers/errors.js';

const FILE = 'pipelines/flow.yml';

/** A pipeline file whose source section is written by hand. */
function pipeline(sourceLines: string): string {
  return `pipeline: lib\nsource:\n  mysql:\n${sourceLines}\nkafka:\n  brokers: [127.0.0.1:19092]\n`;
}

describe('${...} references inside YAML flow collections', () => {
  it('quotes whole flow items that hold a reference, and nothing else', () => {
    expect(quoteFlowReferences('databases: [${DB:-lib}]')).toBe("databases: ['${DB:-lib}']");
    expect(quoteFlowReferences('databases: [a, lib_${X}, ${Y:-it\'s}]')).toBe("databases: [a, 'lib_${X}', '${Y:-it''s}']");
    expect(quoteFlowReferences('m: { url: ${U}, other: 1 }')).toBe("m: { url: '${U}', other: 1 }");
    expect(quoteFlowReferences('url: ${U}\nlist: ["${A}"]')).toBeUndefined();
  });

  it('reads `databases: [${DB:-lib}]` as the list of the interpolated value', () => {
    const text = pipeline('    url: mysql://u:p@127.0.0.1:13306\n    databases: [${DB:-lib}, ${OTHER:-archive}]');
    expect(parsePipelineConfig(text, FILE, {}).source.mysql.databases).toEqual(['lib', 'archive']);
    expect(parsePipelineConfig(text, FILE, { DB: 'shop' }).source.mysql.databases).toEqual(['shop', 'archive']);
    // the quoted form the README shows reads the same
    const quoted = pipeline('    url: mysql://u:p@127.0.0.1:13306\n    databases: ["${DB:-lib}"]');
    expect(parsePipelineConfig(quoted, FILE, {}).source.mysql.databases).toEqual(['lib']);
    expect(parsePipelineConfig(stringify(parsePipelineConfig(text, FILE, {})), FILE, {}).source.mysql.databases).toEqual(['lib', 'archive']);
  });

  it('says to quote the reference when the file is still not YAML', () => {
    const text = pipeline('    url: mysql://u:p@127.0.0.1:13306\n    databases: [${DB:-lib} extra}]');
    const error = configurationError(() => parsePipelineConfig(text, FILE, {}));
    expect(error.message).toMatch(/^pipelines\/flow\.yml:5:\d+: YAML syntax error: /);
    expect(error.fix).toContain('a ${...} reference inside [ ] or { } must be quoted: databases: ["${DB:-lib}"]');
    expect(hasFlowReference('url: ${A}${B}')).toBe(false);
    expect(hasFlowReference('databases: [${A}]')).toBe(true);
  });
});
