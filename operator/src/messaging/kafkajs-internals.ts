// The one place that reaches into kafkajs's private API. kafkajs 2.2 keeps its cluster factory
// behind a Symbol on the Kafka client; its Cluster can send any request to any broker, which the
// public admin client cannot (ListOffsets for many topics at once, SCRAM credentials, quotas). A
// kafkajs upgrade that drops it is caught here, and by the integration tests of offsets.ts and
// kafka-security.ts, which use it.

/** kafkajs's private cluster factory of `kafka`, or undefined when this kafkajs version has none. */
export function kafkajsClusterFactory(kafka: object): ((options: object) => unknown) | undefined {
  const key = Object.getOwnPropertySymbols(kafka).find(
    (s) => s.description === 'private:Kafka:createCluster',
  );
  const factory = key ? (kafka as Record<symbol, unknown>)[key] : undefined;
  return typeof factory === 'function' ? (factory as (options: object) => unknown) : undefined;
}
