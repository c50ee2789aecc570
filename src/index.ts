export { EcwidModule } from './ecwid.module';
export type { EcwidModuleAsyncOptions, EcwidModuleExtras, EcwidOptionsFactory } from './ecwid-module-definition';

export { EcwidConfigService } from './config/ecwid-config.service';
export { EcwidConfigError } from './config/ecwid-config.error';
export type { EcwidConfigProblem } from './config/ecwid-config.error';
export type {
  EcwidModuleOptions,
  EcwidInstanceJson,
  EcwidHttpOptions,
  EcwidWebhookOptions,
  EcwidPollingOptions,
  EcwidNotificationOptions,
  EcwidIonRouteOptions,
} from './config/ecwid-options.interface';
export type { EcwidResolvedConfig, EcwidEventVendorType } from './config/ecwid-resolved-config';
export { EcwidSecret } from './config/ecwid-secret';
export { resolveEcwidConfig, ECWID_OPTION_KEYS } from './config/ecwid-config.resolver';
export {
  ecwidOptionsFromEnv,
  ecwidConfig,
  ECWID_ENV_VARIABLES,
  ECWID_INSTANCE_FILE,
  ECWID_INSTANCE_JSON,
  ECWID_STATE_KEY_PREFIX,
} from './config/ecwid-env';
export type { EcwidEnvSource } from './config/ecwid-env';

export { EcwidOrdersService } from './orders/ecwid-orders.service';
export type { EcwidCallOptions } from './orders/ecwid-http.client';
export { EcwidApiError, EcwidNotConfiguredError } from './orders/ecwid-api.error';
export type { EcwidApiErrorDetails, EcwidApiFailure } from './orders/ecwid-api.error';
export * from './orders/ecwid-order.model';

export { OnEcwidEvent } from './events/on-ecwid-event.decorator';
export { EcwidEvents, ecwidEventName } from './events/ecwid-event-names';
export type { EcwidEventName, EcwidEventType, EcwidKnownEventType, EcwidDerivedEventType } from './events/ecwid-event-names';
export {
  EcwidEvent,
  EcwidOrderEvent,
  EcwidOrderPaidEvent,
  EcwidOrderPaymentStatusChangedEvent,
  EcwidOrderFulfillmentStatusChangedEvent,
  EcwidUnfinishedOrderEvent,
} from './events/ecwid-events';
export type {
  EcwidDataOrigin,
  EcwidEventInit,
  EcwidEventSource,
  EcwidOrderEventData,
  EcwidUnfinishedOrderEventData,
} from './events/ecwid-events';
export { EcwidEventPipeline } from './events/ecwid-event.pipeline';
export type { EcwidPipelineOutcome } from './events/ecwid-event.pipeline';
export {
  EcwidListenerError,
  EcwidEventInFlightError,
  EcwidHydrationError,
  EcwidOrderReadError,
  EcwidStateUnavailableError,
} from './events/ecwid-event.errors';

export type { EcwidDedupStore, EcwidDedupClaim, EcwidDedupSeen, EcwidClaimOptions } from './state/ecwid-dedup-store.interface';
export { EcwidMemoryDedupStore } from './state/ecwid-memory-dedup.store';
export type { EcwidStateStore, EcwidOrderSnapshot } from './state/ecwid-state-store.interface';
export { EcwidMemoryStateStore } from './state/ecwid-memory-state.store';
export { EcwidSqliteStateStore } from './state/ecwid-sqlite-state.store';
export { EcwidRedisConnectError, EcwidRedisError, EcwidRedisStateStore } from './state/ecwid-redis-state.store';
export { createEcwidStateStore } from './state/ecwid-state-store.factory';
export { EcwidMissingPeerError } from './state/ecwid-missing-peer.error';
export type { EcwidStateStoreOptions } from './state/ecwid-state-store.factory';
export { InjectEcwidStateStore } from './state/inject-ecwid-state-store.decorator';

export { EcwidNotificationsService } from './notifications/ecwid-notifications.service';
export { signEcwidNotification, verifyEcwidNotificationSignature } from './notifications/ecwid-notification.signature';
export { EcwidNotificationProblem } from './notifications/ecwid-notification.model';
export type {
  EcwidNotificationBody,
  EcwidNotificationEvent,
  EcwidFailedNotification,
} from './notifications/ecwid-notification.model';
export { EcwidOrderPoller } from './polling/ecwid-order-poller';
export type { EcwidPollResult } from './polling/ecwid-order-poller';
export { EcwidPollingProgress } from './polling/ecwid-polling-progress';

export type { EcwidWebhookPayload } from './webhooks/ecwid-webhook.payload';
export { ECWID_WEBHOOK_SIGNATURE_HEADER } from './webhooks/ecwid-webhook.payload';
export {
  computeEcwidWebhookSignature,
  EcwidWebhookSigner,
  verifyEcwidWebhookSignature,
} from './webhooks/ecwid-webhook.signature';
export { ECWID_WEBHOOK_ROUTE_METADATA } from './webhooks/ecwid-webhook-route';
export type { EcwidWebhookRouteOptions } from './webhooks/ecwid-webhook-route';
export type { EcwidWebhookOutcome } from './webhooks/ecwid-webhook.receiver';

export {
  createEcwidIonController,
  EcwidIonReceiver,
  EcwidIonReadError,
  EcwidIonNotificationError,
  parseEcwidIonNotification,
} from './ion';
export type { EcwidIonNotification, EcwidIonEventType, EcwidIonOutcome } from './ion';
export type { EcwidLegacyOrder, EcwidLegacyOrdersResponse } from './legacy';
export { paymentStatusFromLegacy, fulfillmentStatusFromLegacy, fromLegacyOrder } from './legacy';
