import { readBoolean } from '../config/ecwid-config.resolver';
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

/**
 * `enabledByDefault`: whether webhooks are on when `enabled` is not given, which is when a client secret is
 * configured; forRootAsync cannot know that before its factory runs, so it registers the route.
 */
export function toWebhookRoute(options: EcwidWebhookRouteOptions | undefined, enabledByDefault = true): EcwidWebhookRoute {
  return {
    enabled: readBoolean(options?.enabled) ?? enabledByDefault,
    path: normalizeWebhookPath(options?.path),
    decorators: options?.decorators ?? [],
  };
}

/** Metadata set on the webhook route, so a host's global guard can recognise and let it through. */
export const ECWID_WEBHOOK_ROUTE_METADATA = 'ecwid:webhook-route';
