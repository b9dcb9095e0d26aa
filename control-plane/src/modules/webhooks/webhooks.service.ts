// Channel webhooks: a delivery is verified against the channel's secret from Vault before anything
// else is read from it; a verified one is stored and handed to the channel's agent instance by the
// conversations service, in one transaction of the tenant. A refusal says nothing about why (no
// oracle for forgers, and an unknown channel answers the same); the reason goes to the log.
import type { EntityManager } from '@mikro-orm/postgresql';
import type { FastifyBaseLogger as Logger } from 'fastify';
import { secretsEqual } from '../../auth/api-key.ts';
import { withTenantScope } from '../../db/tenant-scope.ts';
import { DomainError } from '../../errors.ts';
import type { ChannelSecrets } from '../../vault/channel-secrets.ts';
import type { AcceptedMessage, ConversationsService } from '../conversations/conversations.service.ts';
import { parseDelivery } from './channel-messages.ts';
import { type Delivery, rejectionOf } from './signatures.ts';
import { type ChannelConfig, checkers, firstProblem, type MetaHandshakeQuery } from './webhooks.schemas.ts';

export interface WebhooksDeps {
  root: EntityManager;
  secrets: ChannelSecrets;
  conversations: ConversationsService;
  now?: () => number;
}

const unverified = () =>
  new DomainError(
    'unauthenticated',
    "the delivery's signature does not verify with the channel's secret, or its timestamp is more than 5 minutes from now",
  );

export function createWebhooksService({ root, secrets, conversations, now = Date.now }: WebhooksDeps) {
  /** The channel's configuration, or undefined (logged) when it is missing or malformed. */
  const channelOf = async (tenant: string, channel: string, log: Logger) => {
    const record = await secrets.read(tenant, channel);
    if (!record) {
      log.info({ tenant, channel }, 'webhook for a channel that is not configured');
      return undefined;
    }
    const problem = firstProblem(checkers.config, record);
    if (problem) {
      // Never log the record: it holds the secret.
      log.error(
        { tenant, channel, field: problem.path, problem: problem.message },
        'channel secret malformed',
      );
      return undefined;
    }
    return record as ChannelConfig;
  };

  return {
    /**
     * Verifies and accepts a delivery; the answer's status is what the channel expects (202 for
     * hmac, 200 for meta and slack). Throws 401 when unverified, 400 for a verified but malformed
     * body, 409/503 from the conversations service (nothing stored then: the channel redelivers).
     */
    async deliver(
      tenant: string,
      channel: string,
      delivery: Omit<Delivery, 'now'>,
      log: Logger,
    ): Promise<{ status: 200 | 202; body: { challenge: string } | { accepted: AcceptedMessage[] } }> {
      const config = await channelOf(tenant, channel, log);
      const rejection = config
        ? rejectionOf(config.kind, config.secret, { ...delivery, now: now() })
        : 'no_channel';
      if (!config || rejection) {
        log.info({ tenant, channel, rejection }, 'webhook delivery refused');
        throw unverified();
      }
      const parsed = parseDelivery(config.kind, delivery.rawBody);
      if ('challenge' in parsed) return { status: 200, body: { challenge: parsed.challenge } };
      const accepted = await withTenantScope(root, tenant, async (em) => {
        const answers: AcceptedMessage[] = [];
        for (const message of parsed.messages) {
          answers.push(
            await conversations.receive(em, tenant, {
              ...message,
              channel,
              agentInstance: config.agentInstance,
            }),
          );
        }
        return answers;
      });
      return { status: config.kind === 'hmac' ? 202 : 200, body: { accepted } };
    },

    /** Meta's subscription handshake: the challenge when the verify token matches, else 403. */
    async handshake(
      tenant: string,
      channel: string,
      query: MetaHandshakeQuery,
      log: Logger,
    ): Promise<string> {
      const config = await channelOf(tenant, channel, log);
      const token = config?.kind === 'meta' ? config.verifyToken : undefined;
      if (query['hub.mode'] !== 'subscribe' || !token || !secretsEqual(query['hub.verify_token'], token)) {
        log.info({ tenant, channel }, 'meta handshake refused');
        throw new DomainError('forbidden', "hub.verify_token does not match the channel's verify token");
      }
      return query['hub.challenge'];
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
