import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../../src/errors.js';
import { connectEngine, detectEngine } from '../../../../src/sinks/engine/connect.js';
import type { EngineConnectionSettings } from '../../../../src/sinks/engine/connection-settings.js';
import { elasticsearchWire, elasticsearchWireOptions } from '../../../../src/sinks/engine/elasticsearch-wire.js';
import { EngineAccessError, EngineError, responseError } from '../../../../src/sinks/engine/engine-error.js';
import { opensearchWire, opensearchWireOptions } from '../../../../src/sinks/engine/opensearch-wire.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A loopback HTTP server standing in for a node: `answer` decides status, headers and body. */
async function fakeNode(answer: (request: Seen) => { status: number; headers?: Record<string, string>; body: unknown }): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const entry = { method: request.method ?? '', url: request.url ?? '', headers: request.headers };
    seen.push(entry);
    request.resume();
    request.on('end', () => {
      const reply = answer(entry);
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(JSON.stringify(reply.body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const NODES = { nodes: { n1: { version: '8.19.21' } } };

describe('engine detection', () => {
  it('detects Elasticsearch by its X-elastic-product header and OpenSearch by its absence, never calling GET /', async () => {
    const elasticsearch = await fakeNode(() => ({ status: 200, headers: { 'x-elastic-product': 'Elasticsearch' }, body: NODES }));
    const opensearch = await fakeNode(() => ({ status: 200, body: { nodes: { n1: { version: '2.19.6' } } } }));
    expect(await detectEngine({ engine: 'auto', node: elasticsearch.url })).toBe('elasticsearch');
    expect(await detectEngine({ engine: 'auto', node: opensearch.url })).toBe('opensearch');
    for (const { seen } of [elasticsearch, opensearch]) {
      expect(seen.map((request) => request.url.split('?')[0])).toEqual(['/_nodes/_local']);
    }
    const engine = await connectEngine({ engine: 'auto', node: opensearch.url });
    expect(engine.kind).toBe('opensearch');
    await engine.close();
  });

  it('stops with the fix on 401 and 403, without the secret in the message', async () => {
    for (const status of [401, 403]) {
      const node = await fakeNode(() => ({
        status,
        headers: { 'x-elastic-product': 'Elasticsearch' },
        body: { error: { type: 'security_exception', reason: 'unable to authenticate user [sluice]' }, status },
      }));
      const error = await detectEngine({ engine: 'auto', node: node.url, username: 'sluice', password: 'hunter2' }).catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(EngineAccessError);
      expect(error).toBeInstanceOf(ConfigurationError);
      const { message, fix, retriable } = error as EngineAccessError;
      expect(retriable).toBe(false);
      expect(message).toContain(`${status} security_exception`);
      expect(fix).toContain(status === 401 ? 'username and password, or apiKey' : 'privileges');
      expect(`${message} ${fix}`).not.toContain('hunter2');
      // the credentials were sent as basic auth
      expect(node.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('sluice:hunter2').toString('base64')}`);
    }
  });

  it('sends an Elasticsearch API key', async () => {
    const node = await fakeNode(() => ({ status: 200, headers: { 'x-elastic-product': 'Elasticsearch' }, body: NODES }));
    await detectEngine({ engine: 'auto', node: node.url, apiKey: 'a2V5' });
    expect(node.seen[0]?.headers.authorization).toBe('ApiKey a2V5');
  });

  it('keeps the node URL\'s path prefix and takes its credentials when the settings have none', async () => {
    const node = await fakeNode(() => ({ status: 200, body: NODES }));
    const withUser = node.url.replace('http://', 'http://reader:s%40cret@');
    expect(await detectEngine({ engine: 'auto', node: `${withUser}/search/` })).toBe('opensearch');
    expect(node.seen[0]?.url).toBe('/search/_nodes/_local?filter_path=nodes.*.version');
    expect(node.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('reader:s@cret').toString('base64')}`);
  });

  it('reports an error answer with its status, retriable for 5xx, its text when it is not JSON, and no credentials', async () => {
    const node = await fakeNode(() => ({ status: 502, body: 'Bad Gateway' }));
    const error = await detectEngine({ engine: 'auto', node: node.url.replace('http://', 'http://reader:hunter2@') }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ status: 502, retriable: true });
    expect((error as EngineError).message).toContain('GET /_nodes/_local answered 502');
    expect((error as EngineError).message).toContain('Bad Gateway');
    expect((error as EngineError).message).not.toContain('hunter2');
  });

  it('gives up on a node that does not answer within requestTimeoutMs, as a retriable EngineError naming the node', async () => {
    const silent = createServer(() => undefined);
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `http://reader:hunter2@127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const error = await detectEngine({ engine: 'auto', node: url, requestTimeoutMs: 300 }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ status: 0, retriable: true });
    expect((error as EngineError).message).toMatch(/^GET \/_nodes\/_local on http:\/\/127\.0\.0\.1:\d+ failed: no answer within 300 ms$/);
    silent.closeAllConnections();
  });

  it('reports an unreachable node as a retriable EngineError', async () => {
    const error = await detectEngine({ engine: 'auto', node: 'http://127.0.0.1:9', requestTimeoutMs: 2_000 }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as EngineError).retriable).toBe(true);
  });
});

describe('engine client options', () => {
  it('verify TLS by default, and take a CA file or an Elasticsearch fingerprint', () => {
    expect(elasticsearchWireOptions({ engine: 'elasticsearch', node: 'https://es:9200' }).tls).toEqual({ rejectUnauthorized: true });
    expect(opensearchWireOptions({ engine: 'opensearch', node: 'https://os:9200' }).ssl).toEqual({ rejectUnauthorized: true });
    expect(elasticsearchWireOptions({ engine: 'elasticsearch', node: 'https://es:9200', tlsVerify: false }).tls).toEqual({ rejectUnauthorized: false });
    expect(elasticsearchWireOptions({ engine: 'elasticsearch', node: 'https://es:9200', caFingerprint: 'AA:BB' })).toMatchObject({ caFingerprint: 'AA:BB', requestTimeoutMs: 30_000 });
    expect(() => elasticsearchWireOptions({ engine: 'elasticsearch', node: 'http://es:9200', caFingerprint: 'AA:BB' })).toThrow(ConfigurationError);
    expect(() => opensearchWireOptions({ engine: 'opensearch', node: 'https://os:9200', apiKey: 'k' })).toThrow(/no API keys/);
    expect(() => opensearchWireOptions({ engine: 'opensearch', node: 'https://os:9200', caFingerprint: 'AA:BB' })).toThrow(/Elasticsearch only/);
  });

  it('take the credentials of the settings, else those of the node URL', async () => {
    const basic = (text: string): string => `Basic ${Buffer.from(text).toString('base64')}`;
    const elasticsearchAuthorization = async (settings: Omit<EngineConnectionSettings, 'engine'>): Promise<unknown> => {
      const wire = elasticsearchWire({ engine: 'elasticsearch', ...settings });
      const header = wire.connectionPool.connections[0]?.headers.authorization;
      await wire.connectionPool.empty();
      return header;
    };
    const opensearchAuthorization = (settings: Omit<EngineConnectionSettings, 'engine'>): unknown => {
      const wire = opensearchWire({ engine: 'opensearch', ...settings });
      const header: unknown = wire.connectionPool.connections[0]?.headers.authorization;
      wire.connectionPool.empty();
      return header;
    };
    expect(await elasticsearchAuthorization({ node: 'http://u%40x:p%3Aw@es:9200' })).toBe(basic('u@x:p:w'));
    expect(await elasticsearchAuthorization({ node: 'http://u:p@es:9200', username: 'other', password: 'secret' })).toBe(basic('other:secret'));
    expect(await elasticsearchAuthorization({ node: 'http://u:p@es:9200', apiKey: 'k' })).toBe('ApiKey k');
    expect(await elasticsearchAuthorization({ node: 'http://es:9200', username: 'a' })).toBe(basic('a:'));
    expect(await elasticsearchAuthorization({ node: 'http://es:9200' })).toBeUndefined();
    expect(opensearchAuthorization({ node: 'http://u%40x:p%3Aw@os:9200' })).toBe(basic('u@x:p:w'));
    expect(opensearchAuthorization({ node: 'http://u:p@os:9200', username: 'other', password: 'secret' })).toBe(basic('other:secret'));
    expect(opensearchAuthorization({ node: 'http://os:9200' })).toBeUndefined();
    expect(opensearchWireOptions({ engine: 'opensearch', node: 'http://os:9200', username: 'a' }).auth).toEqual({ username: 'a', password: '' });
  });

  it('classify answers: 5xx, 429 and 408 retriable, other 4xx not, 401/403 configuration errors', () => {
    expect(responseError('opensearch', 'POST /_bulk', 503, { error: { type: 'unavailable', reason: 'x' } }).retriable).toBe(true);
    expect(responseError('opensearch', 'POST /_bulk', 429, {}).retriable).toBe(true);
    expect(responseError('opensearch', 'POST /_bulk', 408, {}).retriable).toBe(true);
    const refused = responseError('opensearch', 'PUT /x', 400, { error: { type: 'resource_already_exists_exception', reason: 'index [x] already exists' } });
    expect(refused).toMatchObject({ retriable: false, status: 400, type: 'resource_already_exists_exception' });
    expect(responseError('elasticsearch', 'GET /', 401, {})).toBeInstanceOf(EngineAccessError);
  });
});
