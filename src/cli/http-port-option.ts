import { InvalidArgumentError, Option } from 'commander';

/**
 * `--http-port <port>` of the long-running commands: turns the HTTP endpoint on (status page,
 * /metrics, /health/live, /health/ready) on that port, overriding the file's `http.port`.
 */
export function httpPortOption(): Option {
  return new Option('--http-port <port>', 'serve the status page, /metrics and /health/* on this port (loopback unless http.host says otherwise)').argParser(parseHttpPort);
}

/** A TCP port from 0 to 65535 (0: any free port); anything else is a usage error (exit code 2). */
export function parseHttpPort(value: string): number {
  const port = /^\d{1,5}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (!Number.isInteger(port) || port > 65_535) throw new InvalidArgumentError('must be a TCP port from 0 to 65535, e.g. 9464');
  return port;
}
