import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runToCompletion, type RunAs } from './processes.js';
import { giveToServiceAccount } from './service-user.js';
import { StackError } from './stack-error.js';

/** The certificate files of the stack (PEM), made by {@link ensureTlsMaterial}. */
export interface TlsFiles {
  readonly dir: string;
  /** The stack's own certificate authority: what clients trust. */
  readonly caCert: string;
  readonly caKey: string;
  /** The servers' certificate (CN localhost, SAN localhost and 127.0.0.1), signed by the CA. */
  readonly serverCert: string;
  readonly serverKey: string;
  /** The server key and certificate in one file: Kafka's PEM keystore. */
  readonly serverKeystore: string;
  /** A client certificate (CN sluice-client) for mutual TLS. */
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Where the stack keeps its certificates: `<stack dir>/tls`. */
export function tlsFiles(stackDir: string): TlsFiles {
  const dir = join(stackDir, 'tls');
  return {
    dir,
    caCert: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    serverKeystore: join(dir, 'server-keystore.pem'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}

const VALID_DAYS = '3650';

/**
 * Makes the stack's CA, server and client certificates with openssl unless they exist, and gives
 * them to the service account (MariaDB and Kafka read them). Idempotent: the same files are kept
 * across `stack up`, so clients that trust the CA keep trusting it.
 */
export async function ensureTlsMaterial(stackDir: string, runAs: RunAs | undefined): Promise<TlsFiles> {
  const files = tlsFiles(stackDir);
  if (![files.caCert, files.serverKeystore, files.clientCert, files.clientKey].every((file) => existsSync(file))) {
    mkdirSync(files.dir, { recursive: true });
    await openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', VALID_DAYS, '-keyout', files.caKey, '-out', files.caCert, '-subj', '/CN=sluice-stack CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    await signedCertificate(files, 'server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
    await signedCertificate(files, 'client', '/CN=sluice-client', 'extendedKeyUsage=clientAuth\n');
    writeFileSync(files.serverKeystore, readFileSync(files.serverKey, 'utf8') + readFileSync(files.serverCert, 'utf8'));
  }
  giveToServiceAccount(files.dir, runAs);
  return files;
}

async function signedCertificate(files: TlsFiles, name: 'server' | 'client', subject: string, extensions: string): Promise<void> {
  const key = join(files.dir, `${name}.key`);
  const request = join(files.dir, `${name}.csr`);
  const extensionFile = join(files.dir, `${name}.ext`);
  writeFileSync(extensionFile, extensions);
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', request, '-subj', subject);
  await openssl('x509', '-req', '-in', request, '-CA', files.caCert, '-CAkey', files.caKey, '-CAcreateserial', '-days', VALID_DAYS, '-extfile', extensionFile, '-out', join(files.dir, `${name}.pem`));
}

async function openssl(...args: string[]): Promise<void> {
  const result = await runToCompletion('openssl', args);
  if (result.code !== 0) {
    throw new StackError('stack', `openssl ${args[0] ?? ''} failed (exit ${result.code}) while making the stack's TLS certificates`, 'install openssl (apt-get install -y openssl), or delete the tls folder of the stack directory and retry', {
      logTail: result.output,
    });
  }
}
