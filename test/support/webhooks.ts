import { randomUUID } from 'node:crypto';
import { computeEcwidWebhookSignature, EcwidWebhookPayload } from 'nestjs-ecwid';

export const STORE_ID = 1003;
export const CLIENT_SECRET = 'test_client_secret_value';
export const TOKEN = 'secret_test_token_value';

let internalId = 450_000_000;

export function orderWebhook(
  eventType: string,
  data: Record<string, unknown> = {},
  overrides: Partial<EcwidWebhookPayload> = {},
): EcwidWebhookPayload {
  return {
    eventId: randomUUID(),
    eventCreated: Math.floor(Date.now() / 1000),
    storeId: STORE_ID,
    entityId: ++internalId,
    eventType,
    data: { orderId: `K${internalId}`, ...data },
    ...overrides,
  };
}

export function signatureOf(payload: { eventCreated: number; eventId: string }, secret = CLIENT_SECRET): string {
  return computeEcwidWebhookSignature(payload.eventCreated, payload.eventId, secret);
}

/** Posts like Ecwid does: JSON body, the signature header, the event type in the query. */
export async function deliver(
  url: string,
  payload: object,
  options: { signature?: string | null; body?: string; headers?: Record<string, string>; path?: string } = {},
): Promise<{ status: number; body: unknown }> {
  const p = payload as { eventCreated: number; eventId: string; eventType?: string };
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8', ...options.headers };
  const signature = options.signature === undefined ? signatureOf(p) : options.signature;
  if (signature !== null) headers['x-ecwid-webhook-signature'] = signature;
  const res = await fetch(`${url}/${options.path ?? 'ecwid/webhooks'}?eventtype=${p.eventType ?? ''}`, {
    method: 'POST',
    headers,
    body: options.body ?? JSON.stringify(payload),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: keep the text */
  }
  return { status: res.status, body };
}
