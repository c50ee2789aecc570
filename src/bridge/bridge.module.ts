import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { EcwidModule, EcwidModuleOptions, ecwidOptionsFromEnv } from '../index';
import { BridgeEventLogger } from './bridge-event.logger';

/** The standalone bridge: the Ecwid element, wildcard events, and a logger of every event. */
@Module({})
export class BridgeModule {
  /** Real Ecwid, configured from ECWID_* variables or ECWID_INSTANCE_FILE. */
  static fromEnv(webhookPath?: string): DynamicModule {
    return {
      module: BridgeModule,
      imports: [
        EventEmitterModule.forRoot({ wildcard: true }),
        EcwidModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true })],
          inject: [ConfigService],
          useFactory: (env: ConfigService) => ecwidOptionsFromEnv(env),
          webhooks: { path: webhookPath },
        }),
      ],
      providers: [BridgeEventLogger],
    };
  }

  static withOptions(options: EcwidModuleOptions): DynamicModule {
    return {
      module: BridgeModule,
      imports: [EventEmitterModule.forRoot({ wildcard: true }), EcwidModule.forRoot(options)],
      providers: [BridgeEventLogger],
    };
  }
}
