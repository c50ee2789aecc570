export { EcwidSandbox } from './ecwid-sandbox';
export type {
  EcwidSandboxOptions,
  EcwidSandboxRateLimit,
  SandboxFault,
  SandboxRequestRecord,
  SandboxIonEventType,
  SandboxIonRecord,
  SandboxIonStatuses,
} from './ecwid-sandbox';
export { EcwidSandboxError } from './ecwid-sandbox-errors';
export { formatEcwidDate, parseEcwidTime } from './ecwid-sandbox-dates';
export { signEcwidWebhook } from './ecwid-sandbox-webhooks';
export type { SandboxDeliveryRecord, SandboxWebhookCopies, SandboxWebhookRetry } from './ecwid-sandbox-webhooks';
export { EcwidCallbackReceiver } from './ecwid-callback-receiver';
export type { EcwidCallbackReceiverOptions, ReceivedNotification } from './ecwid-callback-receiver';
