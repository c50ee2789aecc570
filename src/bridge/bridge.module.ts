import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { EcwidModule, EcwidModuleOptions, ecwidOptionsFromEnv } from '../index';
import { DEFAULT_STATE_PATH } from '../ecwid.constants';
import { BridgeEventLogger } from './bridge-event.logger';

/** The bridge keeps dedup ids, cursors and snapshots on disk unless told otherwise (`ECWID_STATE`). */
function withDurableState(options: EcwidModuleOptions): EcwidModuleOptions {
  return { ...options, state: options.state ?? { type: 'sqlite', path: DEFAULT_STATE_PATH } };
}

/** The standalone bridge: the Ecwid element, wildcard events, and a logger of every event. */
@Module({})
export class BridgeModule {
  /**
   * Real Ecwid, configured from ECWID_* variables or ECWID_INSTANCE_FILE. The bridge plays the Cloud Elements role,
   * so it also takes ION posts (confirmed through the API) unless `ECWID_ION=false`.
   */
  static fromEnv(webhookPath?: string, ion = true): DynamicModule {
    return {
      module: BridgeModule,
      imports: [
        EventEmitterModule.forRoot({ wildcard: true }),
        EcwidModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
          inject: [ConfigService],
          useFactory: (env: ConfigService) => withDurableState(ecwidOptionsFromEnv(env)),
          webhooks: { path: webhookPath },
          ion: { enabled: ion, path: process.env.ECWID_ION_PATH },
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
