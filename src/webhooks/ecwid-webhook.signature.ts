import { createHmac, timingSafeEqual } from 'node:crypto';

/** Ecwid signs `"{eventCreated}.{eventId}"`, never the body. */
export function computeEcwidWebhookSignature(
  eventCreated: number | string,
  eventId: string,
  clientSecret: string,
): string {
  return createHmac('sha256', clientSecret).update(`${eventCreated}.${eventId}`).digest('base64');
}

/** Constant-time check of an `X-Ecwid-Webhook-Signature` header value. */
export function verifyEcwidWebhookSignature(
  signature: string,
  eventCreated: number | string,
  eventId: string,
  clientSecret: string,
): boolean {
  const expected = Buffer.from(computeEcwidWebhookSignature(eventCreated, eventId, clientSecret));
  const given = Buffer.from(signature.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
