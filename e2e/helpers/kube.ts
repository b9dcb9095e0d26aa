import { KubeConfig } from '@kubernetes/client-node';
import { testbedEnv } from './env.ts';

/** The test bed's kubeconfig (cluster-admin) loaded for @kubernetes/client-node. */
export function testbedKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(testbedEnv('KUBECONFIG'));
  return kc;
}
