import { createHash } from 'node:crypto';
import { SLUICE_FIELD_MAPPING } from '../elasticsearch/document-index.js';
import type { IndexTemplate } from '../engine/search-engine.js';

/**
 * One channel of a document family: an index template (settings + mappings), a read alias
 * (`name`, what searches and the continuous sink use), a write alias (`name-write`) and
 * timestamped backing indexes (`name__<date>`) made from the template.
 */
export interface ChannelSpec {
  /** The read alias; also the prefix of the backing indexes and the template's name. */
  readonly name: string;
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  readonly mappings?: Readonly<Record<string, unknown>> | undefined;
  /** index.gc_deletes: how long deleted documents' versions are remembered. */
  readonly gcDeletes?: string;
  /** The date pattern of backing index names (tokens yyyy MM dd HH mm ss SSS); default `yyyyMMdd-HHmmssSSS`. */
  readonly datePattern?: string;
}

/** The fields a full sync keeps in every document, next to `_sluice`. */
export const BATCH_FIELD = 'batch_index_date';
export const LAST_UPDATED_FIELD = 'last_updated';

/** The mapping of the sync's bookkeeping fields. */
export const SYNC_FIELD_MAPPINGS = {
  [BATCH_FIELD]: { type: 'date', format: 'epoch_millis' },
  [LAST_UPDATED_FIELD]: { type: 'date', format: 'epoch_millis' },
  _sluice: { properties: { ...SLUICE_FIELD_MAPPING.properties, version: { type: 'long' } } },
} as const;

/** The settings and mappings a channel's indexes get (the user's plus sluice's fields). */
export function channelBody(spec: ChannelSpec): { settings: Record<string, unknown>; mappings: Record<string, unknown> } {
  const mappings = { ...(spec.mappings ?? {}) } as Record<string, unknown>;
  const properties = { ...((mappings.properties as Record<string, unknown> | undefined) ?? {}), ...SYNC_FIELD_MAPPINGS };
  return {
    settings: { ...(spec.settings ?? {}), 'index.gc_deletes': spec.gcDeletes ?? '1h' },
    mappings: { ...mappings, properties },
  };
}

/** JSON with object keys sorted (so a hash does not depend on the order keys were written in). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, v]) => `${JSON.stringify(key)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The hash of a channel's settings and mappings (SHA-256, 128 bits hex), kept in `_meta.hash`. */
export function channelHash(spec: ChannelSpec): string {
  return createHash('sha256').update(canonicalJson(channelBody(spec))).digest('hex').slice(0, 32);
}

/** Names of a channel's template, aliases and backing indexes. */
export const channelNames = {
  template: (spec: ChannelSpec): string => `sluice-${spec.name}`,
  readAlias: (spec: ChannelSpec): string => spec.name,
  writeAlias: (spec: ChannelSpec): string => `${spec.name}-write`,
  pattern: (spec: ChannelSpec): string => `${spec.name}__*`,
  backingIndex: (spec: ChannelSpec, at: Date): string => `${spec.name}__${formatDate(spec.datePattern ?? 'yyyyMMdd-HHmmssSSS', at)}`,
};

/** Formats `at` (UTC) with the tokens yyyy MM dd HH mm ss SSS. */
export function formatDate(pattern: string, at: Date): string {
  const pad = (value: number, width: number): string => String(value).padStart(width, '0');
  const tokens: Record<string, string> = {
    yyyy: pad(at.getUTCFullYear(), 4),
    MM: pad(at.getUTCMonth() + 1, 2),
    dd: pad(at.getUTCDate(), 2),
    HH: pad(at.getUTCHours(), 2),
    mm: pad(at.getUTCMinutes(), 2),
    ss: pad(at.getUTCSeconds(), 2),
    SSS: pad(at.getUTCMilliseconds(), 3),
  };
  return pattern.replace(/yyyy|SSS|MM|dd|HH|mm|ss/g, (token) => tokens[token] ?? token).toLowerCase();
}

/** The composable index template of a channel, with its hash in `_meta.hash` (index and template). */
export function channelTemplate(spec: ChannelSpec): IndexTemplate {
  const hash = channelHash(spec);
  const body = channelBody(spec);
  return {
    index_patterns: [channelNames.pattern(spec)],
    priority: 500,
    template: { settings: body.settings, mappings: { ...body.mappings, _meta: { ...((body.mappings._meta) ?? {}), sluice_hash: hash } } },
    _meta: { hash, managed_by: 'sluice' },
  };
}
