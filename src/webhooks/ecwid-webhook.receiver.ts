import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
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
  /** The app's other stores under the same Ecwid app, by store id: their events may arrive at this route. */
  private siblings: ReadonlyMap<number, EcwidWebhookReceiver> = new Map();

  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    private readonly pipeline: EcwidEventPipeline,
    private readonly configService: EcwidConfigService,
    private readonly moduleRef: ModuleRef,
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
    this.siblings = this.findSiblings();
    if (this.siblings.size > 0) {
      this.logger.log(
        `Store ${this.config.storeId}: webhooks for stores ${[...this.siblings.keys()].join(', ')} (the same Ecwid app) ` +
          'arriving here are handed to their modules',
      );
    }
  }

  receive(payload: EcwidWebhookPayload): Promise<EcwidWebhookOutcome> {
    if (payload.storeId !== this.config.storeId) {
      const sibling = this.siblings.get(payload.storeId);
      if (sibling) return sibling.receive(payload);
      this.noteForeignStore(payload.storeId);
      return Promise.resolve('ignored');
    }
    return this.pipeline.process(createEcwidEvent(payload, 'webhook', 'notification'));
  }

  /**
   * One Ecwid app has one webhook URL for every store that installed it, and signs with one client secret, so a
   * store served by another module instance of this app can be sent here; acknowledged as ignored, its event would
   * be lost. Only instances that take webhooks and share the secret the delivery was verified with qualify.
   */
  private findSiblings(): Map<number, EcwidWebhookReceiver> {
    const siblings = new Map<number, EcwidWebhookReceiver>();
    const secret = this.config.clientSecret?.reveal();
    if (secret === undefined) return siblings;
    for (const other of this.moduleRef.get(EcwidWebhookReceiver, { strict: false, each: true })) {
      const { storeId, webhooks, clientSecret } = other.config;
      if (storeId === this.config.storeId || siblings.has(storeId) || !webhooks.enabled) continue;
      if (clientSecret?.reveal() === secret) siblings.set(storeId, other);
    }
    return siblings;
  }

  private noteForeignStore(storeId: number): void {
    if (this.foreignStores.has(storeId) || this.foreignStores.size >= MAX_FOREIGN_STORES_LOGGED) return;
    this.foreignStores.add(storeId);
    this.logger.warn(`Ignoring webhooks for store ${storeId}: this module serves store ${this.config.storeId}`);
  }
}
