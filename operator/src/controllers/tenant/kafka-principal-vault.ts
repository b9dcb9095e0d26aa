// The tenants' Kafka logins in Vault's KV v2 mount, for the KafkaPrincipalReady step: the operator
// is the only writer; the tenant's runtime may read them too (its policy covers its whole path).
import vault from 'node-vault';
import type { KafkaCredentialStore } from './kafka-principal.ts';

export function createKafkaCredentialStore(options: {
  addr: string;
  token: string;
  kvMount: string;
}): KafkaCredentialStore {
  const client = vault({ endpoint: options.addr, token: options.token, requestOptions: { timeout: 5_000 } });
  const statusOf = (error: unknown) => (error as { response?: { statusCode?: number } }).response?.statusCode;
  return {
    async read(path) {
      try {
        const answer = (await client.read(`${options.kvMount}/data/${path}`)) as {
          data?: { data?: Record<string, unknown> | null; metadata?: { version?: number } };
        };
        const data = answer.data?.data;
        if (!data) return undefined;
        const strings = Object.entries(data).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : []));
        return { data: Object.fromEntries(strings), version: answer.data?.metadata?.version ?? 0 };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    },
    async write(path, data) {
      const answer = (await client.write(`${options.kvMount}/data/${path}`, { data })) as {
        data?: { version?: number };
      };
      return answer.data?.version ?? 0;
    },
    async destroy(path) {
      await client.delete(`${options.kvMount}/metadata/${path}`).catch((error: unknown) => {
        if (statusOf(error) !== 404) throw error;
      });
    },
  };
}
