/**
 * A certificate authority of the test's own, made with the `openssl`
 * command-line tool in a temp dir: a root, a middle (intermediate) CA under
 * it, and signing certificates issued by the middle for keys the test holds,
 * shaped like UnionPay's (CN `041@Z12@<identity>@00000001`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNIONPAY_CN_NAME } from '../../src/providers/unionpay/certs.js';

export interface IssueOptions {
  /** The key the certificate certifies (PEM private key; the CSR is signed with it). */
  readonly privateKeyPem: string;
  /** The CN's third `@` part (default UnionPay's). */
  readonly identity?: string;
  readonly serial?: bigint;
  readonly days?: number;
}

export interface TestCa {
  readonly rootCertPem: string;
  readonly middleCertPem: string;
  /** A leaf certificate issued by the middle CA. */
  issue(options: IssueOptions): string;
  /** Removes the temp dir. */
  dispose(): void;
}

function openssl(cwd: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0] ?? ''} failed: ${result.stderr}`);
}

const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n';
const LEAF_EXTENSIONS = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\n';

/** A root and a middle CA named `name`. */
export function createTestCa(name: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'cancan-unionpay-ca-'));
  writeFileSync(join(dir, 'ca.ext'), CA_EXTENSIONS);
  writeFileSync(join(dir, 'leaf.ext'), LEAF_EXTENSIONS);
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'root.key',
    '-out',
    'root.pem',
    '-days',
    '3650',
    '-subj',
    `/C=CN/O=${name}/CN=${name} Root`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl(dir, ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'middle.key', '-out', 'middle.csr', '-subj', `/C=CN/O=${name}/CN=${name} Middle`]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'middle.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root.key',
    '-set_serial',
    '2',
    '-days',
    '3650',
    '-extfile',
    'ca.ext',
    '-out',
    'middle.pem',
  ]);
  let issued = 0;
  return {
    rootCertPem: readFileSync(join(dir, 'root.pem'), 'utf8'),
    middleCertPem: readFileSync(join(dir, 'middle.pem'), 'utf8'),
    issue({ privateKeyPem, identity = UNIONPAY_CN_NAME, serial = 69026863442n, days = 365 }) {
      issued += 1;
      const key = `leaf${issued}.key`;
      writeFileSync(join(dir, key), privateKeyPem, { mode: 0o600 });
      openssl(dir, [
        'req',
        '-new',
        '-utf8',
        '-key',
        key,
        '-out',
        `leaf${issued}.csr`,
        '-subj',
        `/C=CN/O=China UnionPay/OU=CUP/CN=041@Z12@${identity}@00000001`,
      ]);
      openssl(dir, [
        'x509',
        '-req',
        '-in',
        `leaf${issued}.csr`,
        '-CA',
        'middle.pem',
        '-CAkey',
        'middle.key',
        '-set_serial',
        serial.toString(),
        '-days',
        String(days),
        '-extfile',
        'leaf.ext',
        '-out',
        `leaf${issued}.pem`,
      ]);
      return readFileSync(join(dir, `leaf${issued}.pem`), 'utf8');
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
