import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { testbedEnv } from './env.ts';
import { kubectl, kubectlOk } from './kubectl.ts';

/** The generated CRD files (crds/ also holds package.json, so `kubectl apply -f crds/` cannot be used). */
export const crdFiles = ['tenants.agentplane.io.yaml', 'agentinstances.agentplane.io.yaml'].map((file) =>
  fileURLToPath(new URL(`../../crds/${file}`, import.meta.url)),
);

/**
 * Installs (or updates) agentplane's CRDs and waits until both are Established. Idempotent and safe
 * to call from concurrent suites: server-side apply under one field manager, taking over fields
 * another manager applied with older files.
 */
export function installCrds(): Promise<void> {
  return installCrdsOn(testbedEnv('KUBECONFIG'));
}

/** `installCrds` on the cluster `kubeconfig` reaches as cluster-admin (e.g. a member cluster). */
export async function installCrdsOn(kubeconfig: string): Promise<void> {
  const options = { kubeconfig };
  await kubectlOk(
    [
      'apply',
      '--server-side',
      '--field-manager=agentplane-crds',
      '--force-conflicts',
      ...crdFiles.flatMap((file) => ['-f', file]),
    ],
    options,
  );
  await kubectlOk(
    [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/tenants.agentplane.io',
      'crd/agentinstances.agentplane.io',
    ],
    options,
  );
  // Established comes before the API server serves the new kinds: a list right after it can still
  // answer "404 page not found" (seen in CI). Ready means both kinds can be listed.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const listed = await kubectl(['get', 'tenants,agentinstances', '-A', '-o', 'name'], options);
    if (listed.code === 0) return;
    if (Date.now() > deadline) throw new Error(`the CRDs are Established but not served: ${listed.stderr}`);
    await sleep(250);
  }
}
