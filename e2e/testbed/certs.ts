import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ClusterCerts {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  /** Signs and verifies ServiceAccount tokens (kube-apiserver and the token controller). */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

/** Where `writeClusterCerts(dir)` puts each file (member clusters reuse the bed's PKI). */
export function clusterCertPaths(dir: string): ClusterCerts {
  const path = (name: string) => join(dir, name);
  return {
    caCert: path('ca.crt'),
    caKey: path('ca.key'),
    servingCert: path('apiserver.crt'),
    servingKey: path('apiserver.key'),
    adminCert: path('admin.crt'),
    adminKey: path('admin.key'),
    serviceAccountKey: path('sa.key'),
    serviceAccountPub: path('sa.pub'),
  };
}

/**
 * Writes a throw-away PKI for one test bed run with openssl: a CA, a serving certificate for
 * 127.0.0.1/localhost, a cluster-admin client certificate (group system:masters) and the
 * ServiceAccount signing key. EC keys keep this well under a second.
 */
export function writeClusterCerts(dir: string): ClusterCerts {
  mkdirSync(dir, { recursive: true });
  const path = (name: string) => join(dir, name);
  const certs = clusterCertPaths(dir);
  const ecKey = (file: string) =>
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);

  ecKey(certs.caKey);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    certs.caKey,
    '-subj',
    '/CN=agentplane-testbed-ca',
    '-days',
    '30',
    '-out',
    certs.caCert,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const issue = (name: string, subject: string, extensions: string) => {
    const key = path(`${name}.key`);
    const csr = path(`${name}.csr`);
    const ext = path(`${name}.ext`);
    ecKey(key);
    openssl(['req', '-new', '-key', key, '-subj', subject, '-out', csr]);
    writeFileSync(ext, extensions);
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      certs.caCert,
      '-CAkey',
      certs.caKey,
      '-CAcreateserial',
      '-days',
      '30',
      '-extfile',
      ext,
      '-out',
      path(`${name}.crt`),
    ]);
  };
  issue(
    'apiserver',
    '/CN=kube-apiserver',
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  issue(
    'admin',
    '/O=system:masters/CN=testbed-admin',
    'keyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
  );

  ecKey(certs.serviceAccountKey);
  openssl(['pkey', '-in', certs.serviceAccountKey, '-pubout', '-out', certs.serviceAccountPub]);
  return certs;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
    throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${stderr.trim()}`);
  }
}
