import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { EcwidIonRouteOptions, EcwidModuleOptions } from './config/ecwid-options.interface';
import type { EcwidWebhookRouteOptions } from './webhooks/ecwid-webhook-route';

/** Settings that shape the module itself and so cannot come from an async factory. */
export interface EcwidModuleExtras {
  /** Make the module's services injectable everywhere. Default false. */
  isGlobal?: boolean;
  /** With forRootAsync: the webhook route (path, on/off, decorators), fixed before the factory runs. */
  webhooks?: EcwidWebhookRouteOptions;
  /** With forRootAsync: the ION route; off unless `enabled: true`, since the factory's options are not known yet. */
  ion?: EcwidIonRouteOptions;
}

/** For `forRootAsync({ useClass })`: a provider that builds the options. */
export interface EcwidOptionsFactory {
  createEcwidOptions(): EcwidModuleOptions | Promise<EcwidModuleOptions>;
}

export const {
  ConfigurableModuleClass: EcwidConfigurableModule,
  MODULE_OPTIONS_TOKEN: ECWID_MODULE_OPTIONS,
  ASYNC_OPTIONS_TYPE: ECWID_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<EcwidModuleOptions>({ moduleName: 'Ecwid' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createEcwidOptions')
  .setExtras<EcwidModuleExtras>({ isGlobal: false, webhooks: undefined, ion: undefined }, (definition) => definition)
  .build();

export type EcwidModuleAsyncOptions = typeof ECWID_ASYNC_OPTIONS_TYPE;
