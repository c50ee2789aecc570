import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { EcwidConfigService } from '../config/ecwid-config.service';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_DEDUP_STORE, ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { createEcwidEvent } from '../events/ecwid-event.factory';
import { EcwidEventPipeline, EcwidPipelineOutcome } from '../events/ecwid-event.pipeline';
import { EcwidStateUnavailableError } from '../events/ecwid-event.errors';
import type { EcwidDedupStore } from '../state/ecwid-dedup-store.interface';
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
  /** The other module instances taking webhooks signed with this one's client secret (see `findGroup`). */
  private peers: readonly EcwidWebhookReceiver[] = [];

  constructor(
    @Inject(ECWID_RESOLVED_CONFIG) private readonly config: EcwidResolvedConfig,
    private readonly pipeline: EcwidEventPipeline,
    private readonly configService: EcwidConfigService,
    private readonly moduleRef: ModuleRef,
    @Inject(ECWID_DEDUP_STORE) private readonly dedup: EcwidDedupStore,
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
    const group = this.findGroup();
    this.siblings = this.findSiblings(group);
    this.peers = group.filter((other) => other !== this);
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
    const event = createEcwidEvent(payload, 'webhook', 'notification');
    if (this.peers.length === 0) return this.pipeline.process(event);
    return this.handledByPeer(event.eventId).then((handled) => (handled ? 'duplicate' : this.pipeline.process(event)));
  }

  /**
   * The signature covers `eventCreated.eventId` and not the store id in the body, so a captured delivery sent again
   * with another store's id verifies as well as the first, and is new to that store's dedup store. An event id that a
   * peer (another store of the same Ecwid app, or this store on another path) has handled or is handling is therefore
   * a duplicate here as well. Each peer's own dedup store is asked, whatever it keeps its state in: by claiming the id
   * there, under the key that peer uses, and letting go of it at once.
   */
  private async handledByPeer(eventId: string): Promise<boolean> {
    for (const peer of this.peers) {
      const key = `${peer.config.storeId}:${eventId}`;
      try {
        if ((await peer.dedup.claim(key)) !== 'claimed') return true;
        await peer.dedup.release(key);
      } catch (error) {
        throw new EcwidStateUnavailableError(eventId, false, error);
      }
    }
    return false;
  }

  /**
   * The module instances here that take webhooks signed with this one's client secret, this one included, in the
   * container's order: one Ecwid app has one webhook URL for every store that installed it, and signs with one client
   * secret, so a delivery for any of their stores can reach any of their routes.
   */
  private findGroup(): EcwidWebhookReceiver[] {
    const secret = this.config.clientSecret?.reveal();
    if (secret === undefined) return [this];
    const group = this.moduleRef
      .get(EcwidWebhookReceiver, { strict: false, each: true })
      .filter((other) => other === this || (other.config.webhooks.enabled && other.config.clientSecret?.reveal() === secret));
    return group.includes(this) ? group : [this, ...group];
  }

  /** The group's other stores, by store id: a delivery for one of them, acknowledged as ignored, would be lost. */
  private findSiblings(group: readonly EcwidWebhookReceiver[]): Map<number, EcwidWebhookReceiver> {
    const siblings = new Map<number, EcwidWebhookReceiver>();
    for (const other of group) {
      const { storeId } = other.config;
      if (storeId !== this.config.storeId && !siblings.has(storeId)) siblings.set(storeId, other);
    }
    return siblings;
  }

  private noteForeignStore(storeId: number): void {
    if (this.foreignStores.has(storeId) || this.foreignStores.size >= MAX_FOREIGN_STORES_LOGGED) return;
    this.foreignStores.add(storeId);
    this.logger.warn(`Ignoring webhooks for store ${storeId}: this module serves store ${this.config.storeId}`);
  }
}
