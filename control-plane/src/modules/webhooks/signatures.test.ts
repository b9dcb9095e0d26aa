import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { derivedId } from '../../db/derived-id.ts';
import { parseDelivery } from './channel-messages.ts';
import { type Delivery, rejectionOf } from './signatures.ts';

const secret = 'a-channel-secret-of-some-length';
const now = Date.parse('2026-11-24T10:00:00Z');
const seconds = (ms: number) => String(Math.floor(ms / 1000));
const hex = (key: string, text: string) => createHmac('sha256', key).update(text).digest('hex');
const body = '{"id":"m-1","conversation":"c-1","body":"héllo"}';

function delivery(headers: Record<string, string>, raw = body): Delivery {
  return { headers, rawBody: Buffer.from(raw), now };
}

describe('hmac channel signatures', () => {
  const signed = (ts: string, key = secret, raw = body) =>
    delivery(
      { 'x-agentplane-timestamp': ts, 'x-agentplane-signature': `sha256=${hex(key, `${ts}.${raw}`)}` },
      raw,
    );

  it('accepts the HMAC of timestamp.body within five minutes either way', () => {
    assert.equal(rejectionOf('hmac', secret, signed(seconds(now))), undefined);
    assert.equal(rejectionOf('hmac', secret, signed(seconds(now - 299_000))), undefined);
    assert.equal(rejectionOf('hmac', secret, signed(seconds(now + 299_000))), undefined);
  });

  it('refuses another secret, another body, or a signature without its prefix', () => {
    assert.equal(
      rejectionOf('hmac', secret, signed(seconds(now), 'another-secret-entirely')),
      'bad_signature',
    );
    const tampered = signed(seconds(now));
    tampered.rawBody = Buffer.from(body.replace('héllo', 'hello'));
    assert.equal(rejectionOf('hmac', secret, tampered), 'bad_signature');
    const ts = seconds(now);
    const bare = delivery({
      'x-agentplane-timestamp': ts,
      'x-agentplane-signature': hex(secret, `${ts}.${body}`),
    });
    assert.equal(rejectionOf('hmac', secret, bare), 'bad_signature');
  });

  it('refuses a stale or future timestamp, and a missing header', () => {
    assert.equal(rejectionOf('hmac', secret, signed(seconds(now - 301_000))), 'stale_timestamp');
    assert.equal(rejectionOf('hmac', secret, signed(seconds(now + 301_000))), 'stale_timestamp');
    assert.equal(rejectionOf('hmac', secret, signed('not-a-number')), 'stale_timestamp');
    assert.equal(rejectionOf('hmac', secret, delivery({})), 'missing_signature');
    assert.equal(
      rejectionOf('hmac', secret, delivery({ 'x-agentplane-signature': 'sha256=00' })),
      'missing_timestamp',
    );
  });
});

describe('meta signatures', () => {
  it('accepts sha256=HMAC(app secret, raw body) and refuses anything else', () => {
    const good = delivery({ 'x-hub-signature-256': `sha256=${hex(secret, body)}` });
    assert.equal(rejectionOf('meta', secret, good), undefined);
    const upper = delivery({ 'x-hub-signature-256': `sha256=${hex(secret, body).toUpperCase()}` });
    assert.equal(rejectionOf('meta', secret, upper), 'bad_signature');
    const other = delivery({ 'x-hub-signature-256': `sha256=${hex('not-the-app-secret', body)}` });
    assert.equal(rejectionOf('meta', secret, other), 'bad_signature');
    assert.equal(
      rejectionOf('meta', secret, delivery({ 'x-hub-signature': 'sha1=00' })),
      'missing_signature',
    );
  });
});

describe('slack signatures', () => {
  const signed = (ts: string, key = secret) =>
    delivery({ 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${hex(key, `v0:${ts}:${body}`)}` });

  it('accepts v0=HMAC(signing secret, v0:timestamp:body) within five minutes', () => {
    assert.equal(rejectionOf('slack', secret, signed(seconds(now))), undefined);
  });

  it('refuses another secret and a stale timestamp', () => {
    assert.equal(
      rejectionOf('slack', secret, signed(seconds(now), 'another-signing-secret')),
      'bad_signature',
    );
    assert.equal(rejectionOf('slack', secret, signed(seconds(now - 600_000))), 'stale_timestamp');
  });
});

describe('what a verified delivery says', () => {
  it('a generic delivery is one message with its sender', () => {
    const parsed = parseDelivery(
      'hmac',
      Buffer.from('{"id":"42","conversation":"t-9","body":"Hi","sender":{"email":"a@b.example"}}'),
    );
    assert.deepEqual(parsed, {
      messages: [
        { externalConversation: 't-9', channelMessageId: '42', body: 'Hi', sender: { email: 'a@b.example' } },
      ],
    });
  });

  it('a malformed body names the field', () => {
    assert.throws(
      () => parseDelivery('hmac', Buffer.from('{"id":"42","body":"Hi"}')),
      (error: { code?: string; details?: { field?: string } }) =>
        error.code === 'invalid_request' && error.details?.field === 'body/conversation',
    );
    assert.throws(() => parseDelivery('hmac', Buffer.from('not json')), /must be JSON/);
  });

  it('WhatsApp text messages become messages; statuses and media do not', () => {
    const whatsapp = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'waba',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                contacts: [{ wa_id: '351910000000', profile: { name: 'Ana' } }],
                messages: [
                  {
                    from: '351910000000',
                    id: 'wamid.1',
                    timestamp: '1',
                    type: 'text',
                    text: { body: 'Olá' },
                  },
                  { from: '351910000000', id: 'wamid.2', timestamp: '1', type: 'image', image: { id: 'x' } },
                ],
                statuses: [{ id: 'wamid.0', status: 'read' }],
              },
            },
          ],
        },
      ],
    };
    assert.deepEqual(parseDelivery('meta', Buffer.from(JSON.stringify(whatsapp))), {
      messages: [
        {
          externalConversation: '351910000000',
          channelMessageId: 'wamid.1',
          body: 'Olá',
          sender: { externalId: '351910000000', phone: '+351910000000', name: 'Ana' },
        },
      ],
    });
  });

  it("Messenger messages count, the page's own echoes do not", () => {
    const page = {
      object: 'page',
      entry: [
        {
          id: 'p',
          messaging: [
            { sender: { id: 'psid-1' }, message: { mid: 'mid.1', text: 'Hello' } },
            { sender: { id: 'page' }, message: { mid: 'mid.2', text: 'Our reply', is_echo: true } },
          ],
        },
      ],
    };
    const parsed = parseDelivery('meta', Buffer.from(JSON.stringify(page)));
    assert.deepEqual('messages' in parsed && parsed.messages.map((m) => m.channelMessageId), ['mid.1']);
  });

  it('Slack: the url_verification challenge, user messages by channel and ts, never bot messages', () => {
    assert.deepEqual(parseDelivery('slack', Buffer.from('{"type":"url_verification","challenge":"c-1"}')), {
      challenge: 'c-1',
    });
    const event = (fields: object) =>
      Buffer.from(
        JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'message', ...fields } }),
      );
    assert.deepEqual(parseDelivery('slack', event({ channel: 'D1', ts: '1.2', user: 'U1', text: 'hey' })), {
      messages: [
        { externalConversation: 'D1', channelMessageId: 'D1:1.2', body: 'hey', sender: { externalId: 'U1' } },
      ],
    });
    assert.deepEqual(
      parseDelivery('slack', event({ channel: 'D1', ts: '1.3', bot_id: 'B1', text: 'reply' })),
      {
        messages: [],
      },
    );
    assert.deepEqual(
      parseDelivery('slack', event({ channel: 'D1', ts: '1.4', subtype: 'message_changed' })),
      {
        messages: [],
      },
    );
  });
});

describe('derived ids', () => {
  it('are stable version-5 uuids that differ when any part differs', () => {
    const id = derivedId('acme', 'web', 'm-1');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(derivedId('acme', 'web', 'm-1'), id);
    assert.notEqual(derivedId('globex', 'web', 'm-1'), id);
    assert.notEqual(derivedId('acme', 'webm', '-1'), id, 'parts are joined unambiguously');
  });
});
