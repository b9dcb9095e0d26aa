// The hub's settings from the control plane's configuration (config.ts reads the environment).
import type { ControlPlaneConfig } from '../config.ts';
import type { HubSettings } from './hub.ts';
import type { PlacementRules } from './placement.ts';

/** `key=value`, or `none` for no rule (config.ts has checked the shape). */
export function enterpriseRule(label: string): PlacementRules {
  if (label === 'none') return {};
  const [key = '', value = ''] = label.split('=');
  return { enterpriseLabel: { key, value } };
}

export function hubSettingsOf(config: ControlPlaneConfig): HubSettings {
  return {
    probeIntervalMs: config.clusterProbeIntervalMs,
    probeTimeoutMs: config.clusterProbeTimeoutMs,
    unreachableAfter: config.clusterUnreachableAfter,
    leaseBoundMs: config.operatorLeaseBoundMs,
    resyncMs: config.clusterResyncMs,
    requestTimeoutMs: Math.max(config.clusterProbeTimeoutMs * 2, 10_000),
    relistMaxMs: Math.max(config.clusterProbeIntervalMs, 5_000),
    concurrency: 8,
    identity: config.hubIdentity,
    rules: enterpriseRule(config.enterpriseClusterLabel),
  };
}
