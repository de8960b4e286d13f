/**
 * A certificate authority of the test's own, made with the `openssl` command
 * in a temporary directory (node:crypto cannot issue certificates): a server
 * certificate for 127.0.0.1, and client certificates as WeChat Pay issues
 * its merchants' API certificates (subject CN = the merchant id; PKCS#12
 * whose passphrase is the merchant id, and PEM).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** PKCS#12 of both, base64, with `passphrase`. */
  readonly p12Base64: string;
  readonly passphrase: string;
}

export interface TestCa {
  readonly dir: string;
  readonly caPem: string;
  readonly caFile: string;
  /** The server certificate (SAN IP 127.0.0.1, localhost). */
  readonly server: IssuedCertificate;
  /** A client certificate for merchant `cn`; `selfSigned` makes one no CA vouches for. */
  client(cn: string, options?: { passphrase?: string; selfSigned?: boolean }): IssuedCertificate;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'cancan-test-ca-'));
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/O=CanCan Test CA/CN=CanCan Test Root',
  ]);
  let serial = 0;

  function issue(name: string, subject: string, options: { passphrase: string; selfSigned?: boolean; extension?: string }): IssuedCertificate {
    serial += 1;
    const key = `${name}.key`;
    const cert = `${name}.pem`;
    if (options.selfSigned) {
      openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', subject]);
    } else {
      openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', `${name}.csr`, '-subj', subject]);
      const signArgs = ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial), '-out', cert, '-days', '2'];
      if (options.extension !== undefined) {
        writeFileSync(join(dir, `${name}.ext`), options.extension);
        signArgs.push('-extfile', `${name}.ext`);
      }
      openssl(dir, signArgs);
    }
    openssl(dir, ['pkcs12', '-export', '-in', cert, '-inkey', key, '-out', `${name}.p12`, '-passout', `pass:${options.passphrase}`]);
    return {
      certPem: readFileSync(join(dir, cert), 'utf8'),
      keyPem: readFileSync(join(dir, key), 'utf8'),
      p12Base64: readFileSync(join(dir, `${name}.p12`)).toString('base64'),
      passphrase: options.passphrase,
    };
  }

  const server = issue('server', '/CN=127.0.0.1', { passphrase: 'server', extension: 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' });
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    caFile: join(dir, 'ca.pem'),
    server,
    client(cn, options = {}) {
      // As WeChat's API certificates: issued by the CA to the merchant id.
      return issue(`client-${serial + 1}`, `/C=CN/O=Tenpay.com/OU=CanCan Test/CN=${cn}`, {
        passphrase: options.passphrase ?? cn,
        selfSigned: options.selfSigned ?? false,
      });
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
