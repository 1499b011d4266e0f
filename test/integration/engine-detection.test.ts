import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/sinks/engine/engine-error.js';
import { detectEngine } from '../../src/sinks/engine/connect.js';
import { PROJECT_ROOT } from '../../stack/settings.js';
import { createStackContext } from '../../stack/stack.js';
import { tlsFiles } from '../../stack/tls-material.js';
import { ENGINE_NODES, testEngines } from '../helpers/engines.js';
import { Cleanup } from '../helpers/services.js';

const run = promisify(execFile);
const cleanup = new Cleanup();
afterEach(() => cleanup.run());

/** The stack's certificates (made by `npm run stack -- up`): its CA and its server certificate for 127.0.0.1. */
const tls = tlsFiles(createStackContext().stackDir);

/**
 * An HTTPS endpoint with the stack's server certificate in front of `node` (plain HTTP): every
 * request is passed on and the node's answer, headers included, comes back. The stack's engines
 * serve plain HTTP; this puts TLS between sluice and a real node.
 */
async function tlsInFrontOf(node: string): Promise<string> {
  const target = new URL(node);
  const server = createServer({ cert: readFileSync(tls.serverCert), key: readFileSync(tls.serverKey) }, (request, response) => {
    const upstream = httpRequest({ hostname: target.hostname, port: target.port, method: request.method, path: request.url, headers: { ...request.headers, host: target.host } }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.add(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The client library of each engine, as the worker reports it. */
const CLIENT = { elasticsearch: 'elasticsearchClient', opensearch: 'opensearchClient' } as const;

describe.each(testEngines())('engine: auto on the stack\'s %s', (kind) => {
  it('detects the node, and a fresh process that connects with auto loads only that engine\'s client transport, not the client\'s API', async () => {
    expect(await detectEngine({ engine: 'auto', node: ENGINE_NODES[kind] })).toBe(kind);
    const { stdout } = await run('node', ['--import', 'tsx', 'test/helpers/engine-detection-worker.ts', ENGINE_NODES[kind]], { cwd: PROJECT_ROOT, timeout: 60_000 });
    const seen = JSON.parse(stdout) as { kind: string; health: string; elasticsearchClient: boolean; opensearchClient: boolean; clientApis: boolean };
    expect(seen.kind).toBe(kind);
    expect(['green', 'yellow']).toContain(seen.health);
    const other = kind === 'elasticsearch' ? 'opensearch' : 'elasticsearch';
    expect(seen[CLIENT[kind]]).toBe(true);
    expect(seen[CLIENT[other]]).toBe(false);
    expect(seen.clientApis).toBe(false);
  }, 90_000);
});

describe.runIf(existsSync(tls.caCert))('engine: auto over TLS, with the stack\'s certificates', () => {
  it.each(testEngines())('detects %s through TLS with the CA file, refuses an unverified certificate as a retriable EngineError, and takes tlsVerify: false', async (kind) => {
    const node = await tlsInFrontOf(ENGINE_NODES[kind]);
    expect(await detectEngine({ engine: 'auto', node, caFile: tls.caCert })).toBe(kind);
    const refused = await detectEngine({ engine: 'auto', node }).catch((failure: unknown) => failure);
    expect(refused).toBeInstanceOf(EngineError);
    expect(refused).toMatchObject({ status: 0, retriable: true });
    expect((refused as EngineError).message).toMatch(/certificate/i);
    expect(await detectEngine({ engine: 'auto', node, tlsVerify: false })).toBe(kind);
  });
});
