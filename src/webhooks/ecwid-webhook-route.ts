import { DEFAULT_WEBHOOK_PATH } from '../ecwid.constants';

/** Route facts fixed when the module is defined, since Nest registers routes before any options factory runs. */
export interface EcwidWebhookRoute {
  enabled: boolean;
  path: string;
  /** Applied to the webhook controller class, e.g. `[SkipThrottle(), Public()]` to opt out of global guards. */
  decorators: ClassDecorator[];
}

export interface EcwidWebhookRouteOptions {
  enabled?: boolean;
  path?: string;
  decorators?: ClassDecorator[];
}

export function normalizeWebhookPath(path: string | undefined): string {
  return (path ?? DEFAULT_WEBHOOK_PATH).replace(/^\/+|\/+$/g, '');
}

export function toWebhookRoute(options: EcwidWebhookRouteOptions | undefined): EcwidWebhookRoute {
  return {
    enabled: options?.enabled !== false,
    path: normalizeWebhookPath(options?.path),
    decorators: options?.decorators ?? [],
  };
}

/** Metadata set on the webhook route, so a host's global guard can recognise and let it through. */
export const ECWID_WEBHOOK_ROUTE_METADATA = 'ecwid:webhook-route';
