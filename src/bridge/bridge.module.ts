import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { EcwidModule, EcwidModuleOptions, ecwidOptionsFromEnv } from '../index';
import type { EcwidConfigProblem } from '../config/ecwid-config.error';
import { ECWID_OPTION_KEYS, ECWID_OPTION_PROBLEMS, isGiven, readBoolean } from '../config/ecwid-config.resolver';
import { DEFAULT_STATE_PATH } from '../ecwid.constants';
import { BridgeEventLogger } from './bridge-event.logger';

/** Variables only the bridge reads: the routes, fixed before the options are built. */
export const BRIDGE_ENV_VARIABLES = { webhooksPath: 'ECWID_WEBHOOK_PATH', ionEnabled: 'ECWID_ION', ionPath: 'ECWID_ION_PATH' } as const;

/** The bridge keeps dedup ids, cursors and snapshots on disk unless told otherwise (`ECWID_STATE`). */
function withDurableState(options: EcwidModuleOptions): EcwidModuleOptions {
  return { ...options, state: options.state ?? { type: 'sqlite', path: DEFAULT_STATE_PATH } };
}

/** ION is confirmed by reading the order back, through the v3 token or the legacy Order API key. */
function canReadOrders(options: EcwidModuleOptions): boolean {
  return [options.token, options.configuration?.['ecwid.api.token'], options.configuration?.['ecwid.order.key']].some(isGiven);
}

/**
 * The bridge's own variables joined to the options: their names for the module's errors, and an unreadable
 * `ECWID_ION` as one more problem in the same error.
 */
function withBridgeVariables(options: EcwidModuleOptions, ionSetting: string | undefined): EcwidModuleOptions {
  const carried = options as Record<symbol, unknown>;
  const problems = [...((carried[ECWID_OPTION_PROBLEMS] as EcwidConfigProblem[] | undefined) ?? [])];
  if (isGiven(ionSetting) && readBoolean(ionSetting) === undefined) problems.push({ key: BRIDGE_ENV_VARIABLES.ionEnabled, message: 'must be true or false' });
  const named = { ...options };
  Object.defineProperty(named, ECWID_OPTION_KEYS, { value: { ...(carried[ECWID_OPTION_KEYS] as object), ...BRIDGE_ENV_VARIABLES }, enumerable: true });
  if (problems.length > 0) Object.defineProperty(named, ECWID_OPTION_PROBLEMS, { value: problems, enumerable: true });
  return named;
}

/** The standalone bridge: the Ecwid element, wildcard events, and a logger of every event. */
@Module({})
export class BridgeModule {
  /**
   * Real Ecwid, configured from ECWID_* variables or ECWID_INSTANCE_FILE. The bridge plays the Cloud Elements role,
   * so it also takes ION posts when it can confirm them through the API (a token or `ecwid.order.key`), unless
   * `ECWID_ION` (true or false, in any case) says otherwise.
   */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    const ionSetting = env[BRIDGE_ENV_VARIABLES.ionEnabled];
    const ion = readBoolean(ionSetting) ?? canReadOrders(ecwidOptionsFromEnv(env));
    return {
      module: BridgeModule,
      imports: [
        EventEmitterModule.forRoot({ wildcard: true }),
        EcwidModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => withBridgeVariables(withDurableState(ecwidOptionsFromEnv(config)), ionSetting),
          webhooks: { path: env[BRIDGE_ENV_VARIABLES.webhooksPath] },
          ion: { enabled: ion, path: env[BRIDGE_ENV_VARIABLES.ionPath] },
        }),
      ],
      providers: [BridgeEventLogger],
    };
  }

  static withOptions(options: EcwidModuleOptions): DynamicModule {
    return {
      module: BridgeModule,
      imports: [EventEmitterModule.forRoot({ wildcard: true }), EcwidModule.forRoot(withDurableState(options))],
      providers: [BridgeEventLogger],
    };
  }
}
