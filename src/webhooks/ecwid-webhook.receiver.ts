import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
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
export class EcwidWebhookReceiver implements OnApplicationBootstrap {
  private readonly logger = new Logger('EcwidWebhooks');
  private readonly foreignStores = new Set<number>();

  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    private readonly pipeline: EcwidEventPipeline,
    private readonly configService: EcwidConfigService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

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
