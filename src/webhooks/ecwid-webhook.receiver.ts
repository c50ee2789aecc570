import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { EcwidConfigError } from '../config/ecwid-config.error';
import { EcwidConfigService } from '../config/ecwid-config.service';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { createEcwidEvent } from '../events/ecwid-event.factory';
import { EcwidEventPipeline, EcwidPipelineOutcome } from '../events/ecwid-event.pipeline';
import type { EcwidWebhookPayload } from './ecwid-webhook.payload';

export type EcwidWebhookOutcome = EcwidPipelineOutcome | 'ignored';

/** Enough distinct foreign store ids to be useful in the log, few enough to bound memory. */
const MAX_FOREIGN_STORES_LOGGED = 1000;

/** The webhook source: translates a verified delivery into an event and hands it to the pipeline. */
@Injectable()
export class EcwidWebhookReceiver implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('EcwidWebhooks');
  private readonly foreignStores = new Set<number>();

  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    private readonly pipeline: EcwidEventPipeline,
    private readonly configService: EcwidConfigService,
    private readonly moduleRef: ModuleRef,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * Two module instances on one path would both register the route: Fastify refuses the second, Express lets the
   * first answer every delivery, so the other store's events were refused (401) or, under a shared client secret,
   * ignored as another store's. Either way they were lost quietly; the app refuses to start instead.
   */
  onModuleInit(): void {
    if (!this.config.webhooks.enabled) return;
    const route = this.configService.webhookRoute();
    const sharing = [...new Set(this.moduleRef.get(EcwidConfigService, { strict: false, each: true }))].filter(
      (other) => other.webhooksEnabled && other.webhookRoute() === route,
    );
    if (sharing.length < 2) return;
    const stores = sharing.map((other) => other.storeId).join(', ');
    throw new EcwidConfigError([
      { key: 'webhooks.path', message: `stores ${stores} all receive webhooks at POST ${route}; give each module its own path` },
    ]);
  }

  onApplicationBootstrap(): void {
    if (!this.config.webhooks.enabled) return;
    if (this.adapterHost?.httpAdapter) {
      this.logger.log(`Store ${this.config.storeId}: Ecwid webhooks are received at POST ${this.configService.webhookRoute()}`);
    } else {
      // A worker built with createApplicationContext, say: it can poll and notify, but nothing listens for Ecwid.
      this.logger.log(`Store ${this.config.storeId}: no HTTP server in this app, so Ecwid webhooks are not received here`);
    }
  }

  receive(payload: EcwidWebhookPayload): Promise<EcwidWebhookOutcome> {
    if (payload.storeId !== this.config.storeId) {
      this.noteForeignStore(payload.storeId);
      return Promise.resolve('ignored');
    }
    return this.pipeline.process(createEcwidEvent(payload, 'webhook', 'notification'));
  }

  private noteForeignStore(storeId: number): void {
    if (this.foreignStores.has(storeId) || this.foreignStores.size >= MAX_FOREIGN_STORES_LOGGED) return;
    this.foreignStores.add(storeId);
    this.logger.warn(`Ignoring webhooks for store ${storeId}: this module serves store ${this.config.storeId}`);
  }
}
