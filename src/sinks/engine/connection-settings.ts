import { readFileSync } from 'node:fs';
import type { EngineKind } from './search-engine.js';

/**
 * How to reach the search engine: which engine (`auto` detects it), the node URL, credentials
 * and TLS. Secrets (password, apiKey) are never logged nor printed.
 */
export interface EngineConnectionSettings {
  readonly engine: 'auto' | EngineKind;
  readonly node: string;
  readonly username?: string;
  readonly password?: string;
  /** An Elasticsearch API key (the encoded id:key); OpenSearch has none. */
  readonly apiKey?: string;
  /** A PEM file of the certificate authority that signed the node's certificate. */
  readonly caFile?: string;
  /** The SHA-256 fingerprint of the node's CA certificate (Elasticsearch only). */
  readonly caFingerprint?: string;
  /** Verify the node's TLS certificate (default true; turn off only for a throwaway test node). */
  readonly tlsVerify?: boolean;
  /** Per-request timeout (default 30 s). */
  readonly requestTimeoutMs?: number;
}

/**
 * The TLS options of a connection to the node, as node:tls takes them (and both clients pass them
 * on): the certificate verified unless `tlsVerify` is false, against `caFile` when given (read
 * here, each call).
 */
export function nodeTlsOptions(settings: EngineConnectionSettings): { readonly rejectUnauthorized: boolean; readonly ca?: Buffer } {
  return { rejectUnauthorized: settings.tlsVerify ?? true, ...(settings.caFile === undefined ? {} : { ca: readFileSync(settings.caFile) }) };
}

/**
 * The basic credentials of the settings (the password empty when only a username is given), or
 * none. Credentials written in the node URL are not read here: both client libraries' connection
 * pools take them from the URL when no credentials are given.
 */
export function basicCredentials(settings: EngineConnectionSettings): { readonly username: string; readonly password: string } | undefined {
  return settings.username === undefined ? undefined : { username: settings.username, password: settings.password ?? '' };
}
