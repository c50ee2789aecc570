import { Inject, Injectable, Optional, RequestMethod } from '@nestjs/common';
import { ApplicationConfig } from '@nestjs/core';
import { inspect } from 'node:util';
import { ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { ecwidConfigView } from './ecwid-config.view';
import type { EcwidResolvedConfig } from './ecwid-resolved-config';

/** The validated configuration of one EcwidModule instance. Serializes with every secret redacted. */
@Injectable()
export class EcwidConfigService {
  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) readonly config: EcwidResolvedConfig,
    @Optional() private readonly appConfig?: ApplicationConfig,
  ) {}

  get storeId(): number {
    return this.config.storeId;
  }

  get apiBaseUrl(): string {
    return this.config.apiBaseUrl;
  }

  get hasToken(): boolean {
    return this.config.token !== undefined;
  }

  get webhooksEnabled(): boolean {
    return this.config.webhooks.enabled;
  }

  /** The controller path below the app's global prefix, without slashes around it. */
  get webhookPath(): string {
    return this.config.webhooks.path;
  }

  /**
   * The path to give Ecwid (after your public origin): the app's global prefix included, e.g. `/api/ecwid/webhooks`,
   * unless `setGlobalPrefix(prefix, { exclude })` excludes the route from it.
   */
  webhookRoute(): string {
    const path = `/${this.config.webhooks.path}`;
    const prefix = (this.appConfig?.getGlobalPrefix() ?? '').replace(/^\/+|\/+$/g, '');
    if (!prefix || this.excludedFromPrefix(path)) return path;
    return `/${prefix}${path}`;
  }

  /** Nest keeps each excluded route with the pattern compiled from its path. */
  private excludedFromPrefix(path: string): boolean {
    const excluded = this.appConfig?.getGlobalPrefixOptions().exclude ?? [];
    return excluded.some(
      ({ requestMethod, pathRegex }) =>
        (requestMethod === RequestMethod.ALL || requestMethod === RequestMethod.POST) && pathRegex.test(path),
    );
  }

  get hydrate(): boolean {
    return this.config.hydrate;
  }

  /** Secrets show as `[redacted]`, URLs and Redis settings without credentials, store instances by their class name. */
  toJSON(): ReturnType<typeof ecwidConfigView> {
    return ecwidConfigView(this.config);
  }

  [inspect.custom](): unknown {
    return this.toJSON();
  }
}
