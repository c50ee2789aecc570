import { DynamicModule, Logger, Module, NestModule, Optional, Provider } from '@nestjs/common';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { EcwidConfigError, EcwidConfigProblem } from './config/ecwid-config.error';
import { EcwidConfigField, PLAIN_PATH_MESSAGE } from './config/ecwid-config.schema';
import { ECWID_OPTION_KEYS, isGiven, isOptionsObject, readBoolean, resolveEcwidConfig } from './config/ecwid-config.resolver';
import { EcwidConfigService } from './config/ecwid-config.service';
import { withRedactedView } from './config/ecwid-config.view';
import type { EcwidIonRouteOptions, EcwidModuleOptions } from './config/ecwid-options.interface';
import { createEcwidIonController, EcwidIonReceiver } from './ion';
import type { EcwidResolvedConfig } from './config/ecwid-resolved-config';
import {
  ECWID_MODULE_OPTIONS,
  EcwidConfigurableModule,
  EcwidModuleAsyncOptions,
  EcwidModuleExtras,
  EcwidOptionsFactory,
} from './ecwid-module-definition';
import {
  ECWID_DEDUP_STORE,
  ECWID_HTTP_CLIENT,
  ECWID_MODULE_CLASS,
  ECWID_RESOLVED_CONFIG,
  ECWID_STATE_STORE,
} from './ecwid.constants';
import { EcwidEventDispatcher } from './events/ecwid-event.dispatcher';
import { EcwidEventPipeline } from './events/ecwid-event.pipeline';
import { EcwidHttpClient } from './orders/ecwid-http.client';
import { EcwidOrdersService } from './orders/ecwid-orders.service';
import { EcwidNotificationOutbox } from './notifications/ecwid-notification.outbox';
import { EcwidNotificationsService } from './notifications/ecwid-notifications.service';
import { EcwidOrderPoller } from './polling/ecwid-order-poller';
import { EcwidStateOwner } from './state/ecwid-state-owner';
import type { EcwidStateStore } from './state/ecwid-state-store.interface';
import { EcwidWebhookRoute, isUsablePath, normalizeWebhookPath, toWebhookRoute } from './webhooks/ecwid-webhook-route';
import { createEcwidWebhookController } from './webhooks/ecwid-webhook.controller';
import { EcwidRouteBodyLimits } from './webhooks/ecwid-route-body-limits';
import { EcwidWebhookAdmission } from './webhooks/ecwid-webhook.admission';
import { EcwidWebhookReceiver } from './webhooks/ecwid-webhook.receiver';
import { ECWID_ROUTE_CLAIMS, EcwidRouteCheck, EcwidRouteClaim } from './webhooks/ecwid-route-check';

const ECWID_WEBHOOK_ROUTE = Symbol('ECWID_WEBHOOK_ROUTE');
const ECWID_ION_ROUTE = Symbol('ECWID_ION_ROUTE');
const ECWID_GLOBAL = Symbol('ECWID_GLOBAL');
const DEFAULT_ION_PATH = 'ecwid/ion';

interface EcwidIonRoute {
  enabled: boolean;
  path: string;
  pathUsable: boolean;
}

function ionRoute(options: EcwidIonRouteOptions | undefined, enabledByDefault: boolean): EcwidIonRoute {
  return {
    enabled: readBoolean(options?.enabled) ?? enabledByDefault,
    path: normalizeWebhookPath(options?.path, DEFAULT_ION_PATH),
    pathUsable: isUsablePath(options?.path),
  };
}

const USE_CLASS_MESSAGE = 'must be a class with a createEcwidOptions() method (an EcwidOptionsFactory)';

/**
 * `useClass` as a factory that injects the class and calls its createEcwidOptions, which Nest would call unchecked: an
 * instance without one is an EcwidConfigError naming `useClass`, not a bare TypeError.
 */
function withCheckedFactory(options: EcwidModuleAsyncOptions): EcwidModuleAsyncOptions {
  const { useClass } = options;
  if (useClass === undefined) return options;
  return {
    ...options,
    useClass: undefined,
    useFactory: (factory: Partial<EcwidOptionsFactory>) => {
      if (typeof factory.createEcwidOptions !== 'function') throw new EcwidConfigError([{ key: 'useClass', message: USE_CLASS_MESSAGE }]);
      return factory.createEcwidOptions();
    },
    inject: [useClass],
  };
}

/** Nest's own failure without a way to build the options is a bare TypeError or a missing dependency at index [0]. */
function asyncOptionsProblems(options: EcwidModuleAsyncOptions | undefined): EcwidConfigProblem[] {
  const alternatives = 'needs useFactory, useClass or useExisting to build the options (for options known up front, use forRoot)';
  if (options === null || typeof options !== 'object') return [{ key: 'forRootAsync', message: alternatives }];
  const { useFactory, useClass, useExisting } = options;
  if (useFactory !== undefined) return typeof useFactory === 'function' ? [] : [{ key: 'useFactory', message: 'must be a function returning the options' }];
  // A class, not a method on its prototype: createEcwidOptions may be an arrow-function field, which only an instance
  // has (see withCheckedFactory). An arrow function has no prototype, and cannot be one.
  if (useClass !== undefined) {
    return typeof useClass === 'function' && useClass.prototype !== undefined ? [] : [{ key: 'useClass', message: USE_CLASS_MESSAGE }];
  }
  return useExisting === undefined ? [{ key: 'forRootAsync', message: alternatives }] : [];
}


/** A client secret in either form: webhooks are on by default only with one, as the config resolver decides. */
function hasClientSecret(options: EcwidModuleOptions): boolean {
  return isGiven(options.clientSecret) || isGiven(options.configuration?.['oauth.api.secret']);
}
const logger = new Logger('EcwidModule');

/**
 * What the options (a forRootAsync factory's, say) ask of the routes and the scope that the module was given before
 * they were known. A route setting that differs would be silently ignored, and Ecwid would post where nothing listens;
 * an `isGlobal` that differs would leave the services out of the modules that expect them.
 */
function routeProblems(options: EcwidModuleOptions, route: EcwidWebhookRoute, ion: EcwidIonRoute, global: boolean): EcwidConfigProblem[] {
  const problems: EcwidConfigProblem[] = [];
  const fixed = (key: string, form: string, what = 'routes are') =>
    problems.push({ key, message: `with forRootAsync, give it as forRootAsync({ ${form} }): ${what} fixed before the factory runs` });
  if (options.isGlobal !== undefined && options.isGlobal !== global) fixed('isGlobal', 'isGlobal', "the module's scope is");
  const { webhooks, ion: ionOptions } = options;
  if (isGiven(webhooks?.path) && normalizeWebhookPath(webhooks?.path) !== route.path) fixed('webhooks.path', 'webhooks: { path }');
  if (readBoolean(webhooks?.enabled) === true && !route.enabled) fixed('webhooks.enabled', 'webhooks: { enabled }');
  if (webhooks?.decorators !== undefined && webhooks.decorators !== route.decorators) fixed('webhooks.decorators', 'webhooks: { decorators }');
  if (isGiven(ionOptions?.path) && normalizeWebhookPath(ionOptions?.path, DEFAULT_ION_PATH) !== ion.path) fixed('ion.path', 'ion: { path }');
  const ionEnabled = readBoolean(ionOptions?.enabled);
  if (ionEnabled !== undefined && ionEnabled !== ion.enabled) fixed('ion.enabled', 'ion: { enabled }');
  // Paths given only to forRootAsync itself are not among the options the resolver checks; options built from
  // another source (the bridge's variables) name where they came from.
  const named = (options as Record<symbol, Partial<Record<EcwidConfigField, string>> | undefined>)[ECWID_OPTION_KEYS] ?? {};
  if (route.enabled && !isGiven(webhooks?.path) && !route.pathUsable) {
    problems.push({ key: named.webhooksPath ?? 'webhooks.path', message: PLAIN_PATH_MESSAGE.message });
  }
  if (ion.enabled && !isGiven(ionOptions?.path) && !ion.pathUsable) {
    problems.push({ key: named.ionPath ?? 'ion.path', message: PLAIN_PATH_MESSAGE.message });
  }
  return problems;
}

/** `options[group].enabled` set to true where the options leave it unsaid; a group that is not an object is the resolver's to report. */
function switchedOn(options: EcwidModuleOptions, group: 'webhooks' | 'ion'): EcwidModuleOptions {
  const current = options[group];
  if (current !== undefined && !isOptionsObject(current)) return options;
  if (isGiven(current?.enabled)) return options;
  return { ...options, [group]: { ...current, enabled: true } };
}

/**
 * The options with the routes' switches as registered, where they leave them unsaid (forRootAsync's own `webhooks` and
 * `ion`, or forRoot's ION default), so the resolver checks that each route has what it needs: the client secret to
 * verify webhooks, a way to read orders to confirm ION posts. The webhook route only when asked for: forRootAsync
 * registers it by default, before it can know whether the factory gives a client secret.
 */
function withRouteSwitches(options: EcwidModuleOptions, route: EcwidWebhookRoute, ion: EcwidIonRoute): EcwidModuleOptions {
  const webhooks = route.requested ? switchedOn(options, 'webhooks') : options;
  return ion.enabled ? switchedOn(webhooks, 'ion') : webhooks;
}

function resolveForRoute(options: EcwidModuleOptions, route: EcwidWebhookRoute, ion: EcwidIonRoute, global: boolean): EcwidResolvedConfig {
  // A forRootAsync factory may return anything at all: the resolver refuses what is not an object before it is read here.
  if (!isOptionsObject(options)) return resolveEcwidConfig(options);
  const problems = routeProblems(options, route, ion, global);
  let config: EcwidResolvedConfig;
  try {
    config = resolveEcwidConfig(withRouteSwitches(options, route, ion));
  } catch (error) {
    if (error instanceof EcwidConfigError && problems.length > 0) throw new EcwidConfigError([...error.problems, ...problems]);
    throw error;
  }
  if (problems.length > 0) throw new EcwidConfigError(problems);
  const sources = [config.webhooks.enabled && route.enabled && 'webhooks', ion.enabled && 'ION', config.polling.enabled && 'polling'];
  const on = sources.filter((source): source is string => source !== false);
  if (on.length > 1) {
    const names = on.length === 2 ? `Both ${on.join(' and ')}` : `${on.slice(0, -1).join(', ')} and ${on.at(-1)}`;
    logger.warn(`${names} are on: a change seen by more than one is emitted by each, under different event ids`);
  }
  if (config.instance.unrecognizedKeys.length > 0) {
    logger.warn(`Instance configuration keys not used by this module: ${config.instance.unrecognizedKeys.join(', ')}`);
  }
  // A copy: withRedactedView's toJSON and inspect are not enumerable, so they are given to it again.
  return withRedactedView({
    ...config,
    webhooks: { ...config.webhooks, path: route.path, enabled: config.webhooks.enabled && route.enabled },
  });
}

/**
 * The emitter events go through when the host set none up (EcwidEventDispatcher prefers the host's). Not global:
 * a second global EventEmitter2 would compete with the host's for injection into the host's own modules, which
 * could then get this one, without the host's options (wildcards, say). One object for every module instance,
 * so two stores share one fallback rather than each registering every listener again.
 */
const FALLBACK_EVENT_EMITTER_MODULE = EventEmitterModule.forRoot({ global: false });

/**
 * The Ecwid element as a Nest module: configuration, the orders API client, and the webhook controller
 * whose deliveries become `ecwid.*` events.
 */
@Module({})
export class EcwidModule extends EcwidConfigurableModule implements NestModule {
  constructor(
    @Optional() private readonly routeCheck?: EcwidRouteCheck,
    @Optional() private readonly bodyLimits?: EcwidRouteBodyLimits,
  ) {
    super();
  }

  /**
   * Nest runs this in an app with an HTTP server before it registers any route: the place to check the routes
   * (Fastify would otherwise fail first, on a path declared twice, with its own message) and to give the webhook
   * and ION routes their body limits.
   */
  configure(): void {
    this.routeCheck?.check();
    this.bodyLimits?.apply();
  }

  static forRoot(options: EcwidModuleOptions & Pick<EcwidModuleExtras, 'isGlobal'>): DynamicModule {
    // Options that are not an object are reported at boot, with the routes left at their defaults meanwhile.
    const readable = isOptionsObject(options) ? options : {};
    // ION is the legacy API's notification: on by default where the seed's legacy Order API key is configured.
    const legacyKey = readable.configuration?.['ecwid.order.key'];
    return this.assemble(
      { module: EcwidModule, providers: [{ provide: ECWID_MODULE_OPTIONS, useValue: options }] },
      readable.isGlobal,
      toWebhookRoute(readable.webhooks, hasClientSecret(readable)),
      ionRoute(readable.ion, typeof legacyKey === 'string' && legacyKey !== ''),
    );
  }

  static forRootAsync(options: EcwidModuleAsyncOptions): DynamicModule {
    const problems = asyncOptionsProblems(options);
    if (problems.length > 0) throw new EcwidConfigError(problems);
    const base = super.forRootAsync(withCheckedFactory(options));
    // The class the factory injects is provided here, as Nest would for useClass.
    if (options.useClass) base.providers = [...(base.providers ?? []), { provide: options.useClass, useClass: options.useClass }];
    return this.assemble(base, options.isGlobal, toWebhookRoute(options.webhooks), ionRoute(options.ion, false));
  }

  private static assemble(
    base: DynamicModule,
    isGlobal: boolean | undefined,
    route: EcwidWebhookRoute,
    ion: EcwidIonRoute,
  ): DynamicModule {
    const providers: Provider[] = [
      { provide: ECWID_MODULE_CLASS, useValue: EcwidModule },
      { provide: ECWID_WEBHOOK_ROUTE, useValue: route },
      { provide: ECWID_ION_ROUTE, useValue: ion },
      { provide: ECWID_GLOBAL, useValue: isGlobal ?? false },
      {
        provide: ECWID_ROUTE_CLAIMS,
        useValue: [
          ...(route.enabled ? [{ option: 'webhooks.path', path: route.path }] : []),
          ...(ion.enabled ? [{ option: 'ion.path', path: ion.path }] : []),
        ] as EcwidRouteClaim[],
      },
      EcwidRouteCheck,
      {
        provide: ECWID_RESOLVED_CONFIG,
        useFactory: resolveForRoute,
        inject: [ECWID_MODULE_OPTIONS, ECWID_WEBHOOK_ROUTE, ECWID_ION_ROUTE, ECWID_GLOBAL],
      },
      {
        provide: ECWID_HTTP_CLIENT,
        useFactory: (config: EcwidResolvedConfig) => new EcwidHttpClient(config),
        inject: [ECWID_RESOLVED_CONFIG],
      },
      EcwidStateOwner,
      { provide: ECWID_STATE_STORE, useFactory: (owner: EcwidStateOwner) => owner.store, inject: [EcwidStateOwner] },
      {
        provide: ECWID_DEDUP_STORE,
        useFactory: (config: EcwidResolvedConfig, state: EcwidStateStore) => config.dedupStore ?? state,
        inject: [ECWID_RESOLVED_CONFIG, ECWID_STATE_STORE],
      },
      EcwidConfigService,
      EcwidOrdersService,
      EcwidEventDispatcher,
      EcwidEventPipeline,
      EcwidWebhookReceiver,
      EcwidWebhookAdmission,
      EcwidRouteBodyLimits,
      EcwidOrderPoller,
      EcwidNotificationOutbox,
      EcwidNotificationsService,
      EcwidIonReceiver,
    ];
    const controllers = [
      ...(route.enabled ? [createEcwidWebhookController(route)] : []),
      ...(ion.enabled ? [createEcwidIonController(ion.path)] : []),
    ];
    return {
      ...base,
      global: isGlobal ?? false,
      imports: [...(base.imports ?? []), FALLBACK_EVENT_EMITTER_MODULE],
      controllers,
      providers: [...(base.providers ?? []), ...providers],
      exports: [
        EcwidConfigService,
        EcwidOrdersService,
        EcwidEventPipeline,
        EcwidOrderPoller,
        EcwidNotificationsService,
        ECWID_STATE_STORE,
      ],
    };
  }
}
