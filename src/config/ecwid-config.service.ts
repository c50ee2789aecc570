import { Inject, Injectable, Optional, RequestMethod, Type } from '@nestjs/common';
import { ApplicationConfig, ModulesContainer } from '@nestjs/core';
import { inspect } from 'node:util';
import { ECWID_MODULE_CLASS, ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { ECWID_ROUTE_CLAIMS, type EcwidRouteClaim } from '../webhooks/ecwid-route-check';
import { ecwidConfigView } from './ecwid-config.view';
import type { EcwidResolvedConfig } from './ecwid-resolved-config';

const trimSlashes = (path: string): string => path.replace(/^\/+|\/+$/g, '');
/**
 * The metadata key RouterModule writes a module's path under (suffixed with the app's id) and Nest's router reads:
 * `MODULE_PATH` in `@nestjs/common/constants`, a deep import that packages with an exports map may not allow.
 */
const NEST_MODULE_PATH = '__module_path__';

/** The validated configuration of one EcwidModule instance. Serializes with every secret redacted. */
@Injectable()
export class EcwidConfigService {
  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) readonly config: EcwidResolvedConfig,
    @Optional() private readonly appConfig?: ApplicationConfig,
    @Optional() private readonly modules?: ModulesContainer,
    @Optional() @Inject(ECWID_MODULE_CLASS) private readonly moduleClass?: Type<unknown>,
    @Optional() @Inject(ECWID_ROUTE_CLAIMS) private readonly routeClaims?: readonly EcwidRouteClaim[],
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
   * The path to give Ecwid (after your public origin), as Nest serves it: the app's global prefix included, e.g.
   * `/api/ecwid/webhooks`, unless `setGlobalPrefix(prefix, { exclude })` excludes the route from it, and the path
   * `RouterModule.register` puts EcwidModule under, if any.
   */
  webhookRoute(): string {
    return this.served(this.config.webhooks.path);
  }

  /**
   * The path of the Instant Order Notifications route, worked out as `webhookRoute()`'s (e.g. `/api/ecwid/ion`), for
   * the store's Legacy API page; undefined when the ION route is off.
   */
  ionRoute(): string | undefined {
    const ion = this.routeClaims?.find((claim) => claim.option === 'ion.path');
    return ion && this.served(ion.path);
  }

  /** Where Nest serves one of this module's controller paths. */
  private served(controllerPath: string): string {
    const path = `${this.modulePath()}/${controllerPath}`;
    const prefix = trimSlashes(this.appConfig?.getGlobalPrefix() ?? '');
    if (!prefix || this.excludedFromPrefix(path)) return path;
    return `/${prefix}${path}`;
  }

  /** Where RouterModule put the module's routes, as Nest's router reads it: `/integrations`, or '' when nowhere. */
  private modulePath(): string {
    if (!this.moduleClass) return '';
    const forThisApp = this.modules ? Reflect.getMetadata(NEST_MODULE_PATH + this.modules.applicationId, this.moduleClass) : undefined;
    const path = trimSlashes(forThisApp ?? Reflect.getMetadata(NEST_MODULE_PATH, this.moduleClass) ?? '');
    return path ? `/${path}` : '';
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
