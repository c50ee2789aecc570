import { randomInt } from 'node:crypto';
import { inspect } from 'node:util';
import { computeEcwidWebhookSignature, EcwidWebhookSigner, verifyEcwidWebhookSignature } from 'nestjs-ecwid';
import { EcwidHydrationError } from '../src/events/ecwid-event.errors';
import { loggable } from '../src/events/ecwid-loggable';
import { EcwidWebhookPayloadError, parseEcwidWebhookPayload } from '../src/webhooks/ecwid-webhook.parser';

describe('webhook signature', () => {
  it("matches Ecwid's definition: base64 HMAC-SHA256 of eventCreated.eventId", () => {
    // Computed independently: printf '1234567.80aece08-40e8-4145-8764-6c2f0d38678' | openssl dgst -sha256 -hmac secret -binary | base64
    expect(computeEcwidWebhookSignature(1234567, '80aece08-40e8-4145-8764-6c2f0d38678', 'secret')).toBe(
      'qIOTwjTZirlmfmRdejCraCVeGB05Zl1FPyAOx0yX3RI=',
    );
  });

  it('verifies only the exact signature', () => {
    const good = computeEcwidWebhookSignature(1, 'id', 'secret');
    expect(verifyEcwidWebhookSignature(good, 1, 'id', 'secret')).toBe(true);
    expect(verifyEcwidWebhookSignature(good, 2, 'id', 'secret')).toBe(false);
    expect(verifyEcwidWebhookSignature(good, 1, 'id', 'other')).toBe(false);
    expect(verifyEcwidWebhookSignature(good.slice(1), 1, 'id', 'secret')).toBe(false);
    expect(verifyEcwidWebhookSignature('', 1, 'id', 'secret')).toBe(false);
  });
});

describe('EcwidWebhookSigner', () => {
  // Short, one block exactly, longer than a block (hashed first, per RFC 2104), and multi-byte UTF-8.
  const secrets = ['secret', 'k'.repeat(64), 'k'.repeat(65), 'long-'.repeat(40), 'ключ-🔑'];
  // The longest id the parser admits, and one past the room kept for messages (hashed from a fresh buffer).
  const eventIds = ['80aece08-40e8-4145-8764-6c2f0d38678', 'ид-✓', 'x'.repeat(256), '🔑'.repeat(300)];

  it.each(secrets)('signs exactly as createHmac does under secret #%#', (secret) => {
    const signer = new EcwidWebhookSigner(secret);
    for (const eventId of eventIds) {
      for (const eventCreated of [1234567, '1234567', 0]) {
        expect(signer.sign(eventCreated, eventId)).toBe(computeEcwidWebhookSignature(eventCreated, eventId, secret));
      }
    }
  });

  it('signs as createHmac does on both sides of the room it keeps for messages', () => {
    const signer = new EcwidWebhookSigner('secret');
    // The message is `1.` plus the id. The room is 1024 bytes: an ASCII message over it, or one that is not ASCII and
    // of over 1024 / 3 characters, is hashed from a fresh buffer instead. Up to two blocks past the room, so a message
    // kept in too small a buffer would lose its padding.
    for (const [from, to] of [[330, 350], [1000, 1150]]) {
      for (let length = from; length <= to; length += 1) {
        for (const eventId of ['x'.repeat(length), 'ж'.repeat(length), `${'x'.repeat(length - 1)}ж`]) {
          expect(signer.sign(1, eventId)).toBe(computeEcwidWebhookSignature(1, eventId, 'secret'));
        }
      }
    }
  });

  it('signs as createHmac does when only the last character is not ASCII, after an ASCII id', () => {
    // The ASCII path writes the id before it finds out; what it wrote must not reach the UTF-8 path's hash.
    const signer = new EcwidWebhookSigner('secret');
    for (const eventId of ['x'.repeat(60), `${'x'.repeat(59)}é`, `${'x'.repeat(59)}\u0080`, 'x'.repeat(60)]) {
      expect(signer.sign(1, eventId)).toBe(computeEcwidWebhookSignature(1, eventId, 'secret'));
    }
  });

  it('signs as createHmac does at every padding boundary of one, two and three blocks', () => {
    const signer = new EcwidWebhookSigner('secret');
    // `1.` plus the id: messages of 2 to 201 bytes, so the padding falls on each side of every block edge.
    for (let length = 0; length < 200; length += 1) {
      for (const eventId of ['x'.repeat(length), 'é'.repeat(length >> 1)]) {
        expect(signer.sign(1, eventId)).toBe(computeEcwidWebhookSignature(1, eventId, 'secret'));
        expect(signer.verify(computeEcwidWebhookSignature(1, eventId, 'secret'), 1, eventId)).toBe(true);
        expect(signer.verify(computeEcwidWebhookSignature(1, eventId, 'other'), 1, eventId)).toBe(false);
      }
    }
  });

  it('signs as createHmac does for random secrets and ids, ASCII or not', () => {
    const alphabet = ['a', 'Z', '0', '-', '.', 'é', 'ж', '✓', '🔑', '\u0000', '\ud800'];
    const pick = (count: number) => Array.from({ length: count }, () => alphabet[randomInt(alphabet.length)]).join('');
    for (let i = 0; i < 300; i += 1) {
      const secret = pick(1 + randomInt(100));
      const eventId = pick(randomInt(120));
      const eventCreated = randomInt(2 ** 31);
      const signer = new EcwidWebhookSigner(secret);
      const expected = computeEcwidWebhookSignature(eventCreated, eventId, secret);
      expect({ secret, eventId, signature: signer.sign(eventCreated, eventId) }).toEqual({ secret, eventId, signature: expected });
      expect(signer.verify(expected, eventCreated, eventId)).toBe(true);
    }
  });

  it('gives the same answer when reused, so its kept buffers carry nothing over', () => {
    const signer = new EcwidWebhookSigner('secret');
    const long = signer.sign(1, 'x'.repeat(256));
    expect(signer.sign(1, 'id')).toBe(computeEcwidWebhookSignature(1, 'id', 'secret'));
    expect(signer.sign(1, 'x'.repeat(256))).toBe(long);
  });

  it('verifies only the exact signature', () => {
    const signer = new EcwidWebhookSigner('secret');
    const good = computeEcwidWebhookSignature(1, 'id', 'secret');
    expect(signer.verify(good, 1, 'id')).toBe(true);
    expect(signer.verify(` ${good} `, 1, 'id')).toBe(true);
    expect(signer.verify(`\t${good}\t`, 1, 'id')).toBe(true);
    // Only HTTP's own whitespace is set aside: a line break or a no-break space is a wrong character like any other.
    for (const around of ['\n', '\r\n', '\u00a0', '\ufeff', '\u3000']) {
      expect(signer.verify(`${around}${good}`, 1, 'id')).toBe(false);
      expect(signer.verify(`${good}${around}`, 1, 'id')).toBe(false);
      expect(verifyEcwidWebhookSignature(`${good}${around}`, 1, 'id', 'secret')).toBe(false);
    }
    expect(signer.verify(good, 2, 'id')).toBe(false);
    expect(signer.verify(good, 1, 'other')).toBe(false);
    expect(new EcwidWebhookSigner('other').verify(good, 1, 'id')).toBe(false);
    expect(signer.verify(good.slice(1), 1, 'id')).toBe(false);
    expect(signer.verify(`${good}A`, 1, 'id')).toBe(false);
    expect(signer.verify('', 1, 'id')).toBe(false);
    // A difference in the first or the last character alone is enough.
    const flip = (char: string) => (char === 'A' ? 'B' : 'A');
    expect(signer.verify(flip(good[0]) + good.slice(1), 1, 'id')).toBe(false);
    expect(signer.verify(good.slice(0, -2) + flip(good.at(-2)!) + good.at(-1), 1, 'id')).toBe(false);
  });

  it('shows nothing of the secret when serialized or inspected', () => {
    const signer = new EcwidWebhookSigner('s3cr3t-value');
    expect(JSON.stringify(signer)).toBe('{}');
    expect(inspect(signer, { showHidden: true, depth: 5 })).not.toMatch(/s3cr3t|Buffer|<Buffer/);
  });
});

describe('webhook payload parsing', () => {
  const valid = {
    eventId: '80aece08-40e8-4145-8764-6c2f0d38678',
    eventCreated: 1234567,
    storeId: 1003,
    entityId: 450012387,
    eventType: 'order.updated',
    data: { orderId: 'B8HGD' },
  };

  it("accepts Ecwid's documented example", () => {
    expect(parseEcwidWebhookPayload(valid)).toEqual(valid);
  });

  it('accepts a store id sent as a numeric string and an event without data', () => {
    const { data: _data, ...rest } = valid;
    expect(parseEcwidWebhookPayload({ ...rest, storeId: '1003' })).toEqual({ ...rest, storeId: 1003, data: undefined });
  });

  it('lists every problem', () => {
    try {
      parseEcwidWebhookPayload({ eventId: '', eventCreated: 'yesterday', storeId: 0, eventType: 'order', data: [] });
      throw new Error('expected a payload error');
    } catch (error) {
      expect(error).toBeInstanceOf(EcwidWebhookPayloadError);
      expect((error as EcwidWebhookPayloadError).problems).toHaveLength(5);
    }
  });

  it('refuses event types an emitter would read as wildcards', () => {
    for (const eventType of ['order.*', 'order.**', '*', 'order..created', 'order created']) {
      expect(() => parseEcwidWebhookPayload({ ...valid, eventType })).toThrow(EcwidWebhookPayloadError);
    }
  });

  it('refuses a body that is not an object', () => {
    for (const body of [null, 'text', [valid], 42]) {
      expect(() => parseEcwidWebhookPayload(body)).toThrow('the body must be a JSON object');
    }
  });
});

describe('values the signature does not cover, in log lines and error messages', () => {
  it('shows ids and statuses as Ecwid writes them unchanged', () => {
    for (const value of ['K8XTQ', 'AWAITING_PAYMENT', 'order.updated', '1003:80aece08-40e8-4145-8764-6c2f0d38678']) {
      expect(loggable(value)).toBe(value);
    }
  });

  it('quotes and escapes anything else, so it cannot start a line of its own', () => {
    expect(loggable('K8X\n[Nest] LOG forged')).toBe('"K8X\\n[Nest] LOG forged"');
    expect(loggable('')).toBe('""');
    expect(loggable('x'.repeat(129))).toBe(`"${'x'.repeat(129)}"`);
    expect(loggable(undefined)).toBe('"undefined"');
  });

  it("keeps a crafted data.orderId on one line in a failed hydration's message", () => {
    const error = new EcwidHydrationError('K8X\nfake', 'e-1', new Error('timeout'));
    expect(error.message).toBe('Could not read order "K8X\\nfake" for event e-1: timeout');
    expect(error.orderId).toBe('K8X\nfake');
  });
});
