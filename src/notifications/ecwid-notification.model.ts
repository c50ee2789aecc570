import type { EcwidEventSource } from '../events/ecwid-events';

/** One entry of a Cloud Elements notification's `events`. */
export interface EcwidNotificationEvent {
  eventType: 'CREATED' | 'UPDATED' | 'DELETED' | 'UNKNOWN';
  objectType: 'orders';
  /** The string order id (`K8XTQ`), or the internal id when the string id is not known (a deletion seen by polling). */
  objectId: string;
  /** ISO 8601 time of the change. */
  date: string;
}

/** The JSON body POSTed to the callback URL. */
export interface EcwidNotificationBody {
  message: {
    /** Equals the `Elements-Webhook-Id` header; stable across retries. */
    eventId: string;
    elementKey: string;
    instanceName?: string;
    instanceTags: string[];
    storeId: number;
    events: EcwidNotificationEvent[];
    /** The vendor data of each event, in the same order: the webhook body, or the order as read by polling or ION. */
    raw: unknown[];
  };
}

/** An event waiting in the outbox to be put into a notification. */
export interface EcwidOutboxEntry {
  /** `<storeId>:<order>`: notifications keep the order of changes per order. */
  orderKey: string;
  source: EcwidEventSource;
  event: EcwidNotificationEvent;
  raw: unknown;
}

/** A notification built from outbox entries; its id and body never change, retries resend them as they are. */
export interface EcwidStoredNotification {
  id: string;
  /** Orders formed later sort after it: per-order delivery follows this. */
  sequence: string;
  orderKeys: string[];
  /** The outbox entries it holds; absent in notifications stored before it was kept. */
  entryIds?: string[];
  body: string;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  /** When its first send failed: retry n is due `retryUnitMs * 4^n` after it. */
  firstFailedAt?: number;
  lastStatus?: number;
  lastError?: string;
}

/** A pending notification as the queue keeps it; its body is kept apart, by the same sequence. */
export type EcwidQueuedNotification = Omit<EcwidStoredNotification, 'body'> & {
  /** Inline in notifications queued before bodies were kept apart. */
  body?: string;
};

/** A notification given up after its last retry, as `EcwidNotificationsService.listFailed()` shows it. */
export interface EcwidFailedNotification {
  id: string;
  attempts: number;
  createdAt: Date;
  lastStatus?: number;
  lastError?: string;
  body: EcwidNotificationBody;
}

/** Emitted as `ecwid.notification.failed` when a notification is parked, and `ecwid.notification.disabled` on 410 Gone. */
export class EcwidNotificationProblem {
  static readonly FAILED = 'ecwid.notification.failed';
  static readonly DISABLED = 'ecwid.notification.disabled';

  constructor(
    readonly storeId: number,
    readonly notificationId: string,
    readonly attempts: number,
    readonly lastStatus?: number,
    readonly lastError?: string,
  ) {}
}
