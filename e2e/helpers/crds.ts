import { fileURLToPath } from 'node:url';
import { kubectlOk } from './kubectl.ts';

/** The generated CRD files (crds/ also holds package.json, so `kubectl apply -f crds/` cannot be used). */
export const crdFiles = ['tenants.agentplane.io.yaml', 'agentinstances.agentplane.io.yaml'].map((file) =>
  fileURLToPath(new URL(`../../crds/${file}`, import.meta.url)),
);

/**
 * Installs (or updates) agentplane's CRDs and waits until both are Established. Idempotent and safe
 * to call from concurrent suites: server-side apply under one field manager, taking over fields
 * another manager applied with older files.
 */
export async function installCrds(): Promise<void> {
  await kubectlOk([
    'apply',
    '--server-side',
    '--field-manager=agentplane-crds',
    '--force-conflicts',
    ...crdFiles.flatMap((file) => ['-f', file]),
  ]);
  await kubectlOk([
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/tenants.agentplane.io',
    'crd/agentinstances.agentplane.io',
  ]);
}
