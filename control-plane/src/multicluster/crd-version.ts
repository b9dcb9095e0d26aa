// "CRDs installed at the expected version": a member serves the CRDs the hub was built with when
// each one is Established and serves our version with the same OpenAPI schema. The schema is
// compared by digest; the API server stores it as applied (verified against kube-apiserver 1.36).
import { createHash } from 'node:crypto';
import { type CustomResourceDefinition, customResourceDefinitions, version } from '@agentplane/crds';
import { canonicalJson } from '../modules/audit/audit.service.ts';

export interface CrdExpectation {
  name: string;
  version: string;
  /** sha256 of the canonical JSON of the version's openAPIV3Schema (first 16 hex digits). */
  schemaDigest: string;
}

/** The live CRD as far as the check reads it. */
export interface LiveCrd {
  spec?: { versions?: Array<{ name?: string; served?: boolean; schema?: { openAPIV3Schema?: unknown } }> };
  status?: { conditions?: Array<{ type?: string; status?: string }> };
}

export const schemaDigest = (schema: unknown) =>
  createHash('sha256').update(canonicalJson(schema)).digest('hex').slice(0, 16);

function expectationOf(crd: CustomResourceDefinition): CrdExpectation {
  const served = crd.spec.versions.find((v) => v.name === version);
  return {
    name: crd.metadata.name,
    version,
    schemaDigest: schemaDigest(served?.schema.openAPIV3Schema),
  };
}

/** What this hub expects of every member: the CRDs of the @agentplane/crds it was built with. */
export const expectedCrds = (): CrdExpectation[] => customResourceDefinitions().map(expectationOf);

/** Undefined when `live` matches `expected`; otherwise what is wrong, for people. Pure. */
export function crdMismatch(expected: CrdExpectation, live: LiveCrd | undefined): string | undefined {
  if (!live) return `${expected.name} is not installed`;
  const established = live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
  if (!established) return `${expected.name} is not Established`;
  const served = live.spec?.versions?.find((v) => v.name === expected.version && v.served);
  if (!served) return `${expected.name} does not serve ${expected.version}`;
  const digest = schemaDigest(served.schema?.openAPIV3Schema);
  if (digest !== expected.schemaDigest)
    return `${expected.name} ${expected.version} has schema ${digest}, the hub expects ${expected.schemaDigest}`;
  return undefined;
}
