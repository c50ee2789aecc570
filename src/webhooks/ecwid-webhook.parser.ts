import type { EcwidWebhookPayload } from './ecwid-webhook.payload';

/** Dotted names of letters, digits and underscores: nothing an emitter would read as a wildcard. */
const EVENT_TYPE = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)+$/;
const MAX_EVENT_ID_LENGTH = 256;

export class EcwidWebhookPayloadError extends Error {
  override readonly name = 'EcwidWebhookPayloadError';

  constructor(readonly problems: string[]) {
    super(`Invalid Ecwid webhook body: ${problems.join('; ')}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks the fields the pipeline relies on; throws one error listing every problem. */
export function parseEcwidWebhookPayload(body: unknown): EcwidWebhookPayload {
  if (!isRecord(body)) throw new EcwidWebhookPayloadError(['the body must be a JSON object']);
  const problems: string[] = [];
  const { eventId, eventType, eventCreated, storeId, entityId, data } = body;
  if (typeof eventId !== 'string' || eventId === '' || eventId.length > MAX_EVENT_ID_LENGTH) {
    problems.push('eventId must be a non-empty string');
  }
  if (typeof eventType !== 'string' || !EVENT_TYPE.test(eventType)) {
    problems.push('eventType must be a dotted event type such as "order.created"');
  }
  if (typeof eventCreated !== 'number' || !Number.isInteger(eventCreated) || eventCreated < 0) {
    problems.push('eventCreated must be UNIX seconds');
  }
  const store = typeof storeId === 'string' && /^\d+$/.test(storeId) ? Number(storeId) : storeId;
  if (typeof store !== 'number' || !Number.isInteger(store) || store < 1) {
    problems.push('storeId must be a positive integer');
  }
  if (entityId !== undefined && typeof entityId !== 'number' && typeof entityId !== 'string') {
    problems.push('entityId must be a number or a string');
  }
  if (data !== undefined && data !== null && !isRecord(data)) {
    problems.push('data must be an object');
  }
  if (problems.length > 0) throw new EcwidWebhookPayloadError(problems);
  return {
    eventId: eventId as string,
    eventType: eventType as string,
    eventCreated: eventCreated as number,
    storeId: store as number,
    entityId: (entityId as number | string | undefined) ?? '',
    data: isRecord(data) ? data : undefined,
  };
}
