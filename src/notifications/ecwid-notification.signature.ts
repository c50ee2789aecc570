import { createHmac, timingSafeEqual } from 'node:crypto';

/** `Elements-Webhook-Signature`: `sha256=` + base64 HMAC-SHA256 of the raw body, keyed with the signature key. */
export function signEcwidNotification(rawBody: string | Buffer, signatureKey: string): string {
  return `sha256=${createHmac('sha256', signatureKey).update(rawBody).digest('base64')}`;
}

/** For receivers of callback notifications: checks the header against the raw body, in constant time. */
export function verifyEcwidNotificationSignature(
  rawBody: string | Buffer,
  signatureHeader: string | undefined,
  signatureKey: string,
): boolean {
  if (typeof signatureHeader !== 'string') return false;
  const expected = Buffer.from(signEcwidNotification(rawBody, signatureKey));
  const given = Buffer.from(signatureHeader.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const ELEMENTS_WEBHOOK_ID_HEADER = 'elements-webhook-id';
export const ELEMENTS_WEBHOOK_SIGNATURE_HEADER = 'elements-webhook-signature';
