import { computeEcwidWebhookSignature, verifyEcwidWebhookSignature } from 'nestjs-ecwid';
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
