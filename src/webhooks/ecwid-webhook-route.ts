import { readBoolean } from '../config/ecwid-config.resolver';
import { PLAIN_PATH } from '../config/ecwid-config.schema';
import { DEFAULT_WEBHOOK_PATH } from '../ecwid.constants';

/** Route facts fixed when the module is defined, since Nest registers routes before any options factory runs. */
export interface EcwidWebhookRoute {
  enabled: boolean;
  /** `enabled: true` was given, not a default: the options must then allow webhooks. */
  requested: boolean;
  path: string;
  /** Applied to the webhook controller class, e.g. `[SkipThrottle(), Public()]` to opt out of global guards. */
  decorators: ClassDecorator[];
  /** False when the path given cannot be served as it is; the default stands in until boot refuses it. */
  pathUsable: boolean;
}

export interface EcwidWebhookRouteOptions {
  enabled?: boolean;
  path?: string;
  decorators?: ClassDecorator[];
}

/**
 * A route path as registered, without slashes around it. Unset (undefined, null or '', as everywhere in the options)
 * is the default, never the app's root; so is a value that is not a string, which boot then refuses.
 */
export function normalizeWebhookPath(path: unknown, fallback = DEFAULT_WEBHOOK_PATH): string {
  return typeof path === 'string' && path !== '' ? path.replace(/^\/+|\/+$/g, '') : fallback;
}

/** Whether a route path given to the module can be served as it is: unset, or a plain path. */
export function isUsablePath(path: unknown): boolean {
  return path === undefined || path === null || path === '' || (typeof path === 'string' && PLAIN_PATH.test(path));
}

/**
 * `enabledByDefault`: whether webhooks are on when `enabled` is not given, which is when a client secret is
 * configured; forRootAsync cannot know that before its factory runs, so it registers the route.
 */
export function toWebhookRoute(options: EcwidWebhookRouteOptions | undefined, enabledByDefault = true): EcwidWebhookRoute {
  return {
    enabled: readBoolean(options?.enabled) ?? enabledByDefault,
    requested: readBoolean(options?.enabled) === true,
    path: normalizeWebhookPath(options?.path),
    decorators: options?.decorators ?? [],
    pathUsable: isUsablePath(options?.path),
  };
}

/** Metadata set on the webhook route, so a host's global guard can recognise and let it through. */
export const ECWID_WEBHOOK_ROUTE_METADATA = 'ecwid:webhook-route';
