/** The JSON body of an Ecwid v3 webhook delivery. */
export interface EcwidWebhookPayload {
  eventId: string;
  /** UNIX seconds when the event happened. */
  eventCreated: number;
  storeId: number;
  /** Internal order id, product id, ...; the store id as a string for application events. */
  entityId: number | string;
  eventType: string;
  data?: Record<string, unknown>;
}

export const ECWID_WEBHOOK_SIGNATURE_HEADER = 'x-ecwid-webhook-signature';
