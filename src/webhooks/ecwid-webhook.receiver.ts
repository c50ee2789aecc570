import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { EcwidConfigService } from '../config/ecwid-config.service';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_DEDUP_STORE, ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { EcwidEventInFlightError } from '../events/ecwid-event.errors';
import { createEcwidEvent } from '../events/ecwid-event.factory';
import { EcwidEventPipeline, EcwidPipelineOutcome } from '../events/ecwid-event.pipeline';
import type { EcwidDedupSeen, EcwidDedupStore } from '../state/ecwid-dedup-store.interface';
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
  /** The other module instances taking webhooks signed with this one's client secret (see `findGroup`), by store. */
  private samePathsPeers: readonly EcwidWebhookReceiver[] = [];
  private otherStoresPeers: readonly EcwidWebhookReceiver[] = [];

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
    const peers = group.filter((other) => other !== this);
    this.samePathsPeers = peers.filter((peer) => peer.config.storeId === this.config.storeId);
    this.otherStoresPeers = peers.filter((peer) => peer.config.storeId !== this.config.storeId);
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
    if (this.samePathsPeers.length === 0 && this.otherStoresPeers.length === 0) return this.pipeline.process(event);
    return this.seenAt(this.samePathsPeers, event.eventId).then((seen) => {
      if (seen === 'in-flight') throw new EcwidEventInFlightError(event.name, event.eventId);
      return seen === 'duplicate' ? seen : this.pipeline.process(event, undefined, this.seenByOtherStores);
    });
  }

  /**
   * The signature covers `eventCreated.eventId` and not the store id in the body, so a captured delivery sent again
   * with another store's id verifies as well as the first, and is new to that store's dedup store. So the pipeline,
   * once it has claimed the id here, asks the other stores of the same Ecwid app whether they handled it or are
   * handling it, each in its own dedup store under its own key: of two copies arriving at once, each finds the
   * other's claim. This store on another path (an app moving its URL) uses this store's key, which may live in the same
   * dedup store as this module's (one Redis): it is asked before the claim here instead, or it would find that claim.
   */
  private readonly seenByOtherStores = (eventId: string): Promise<EcwidDedupSeen> => this.seenAt(this.otherStoresPeers, eventId);

  private async seenAt(peers: readonly EcwidWebhookReceiver[], eventId: string): Promise<EcwidDedupSeen> {
    for (const peer of peers) {
      const seen = await peer.seen(`${peer.config.storeId}:${eventId}`);
      if (seen !== undefined) return seen;
    }
    return undefined;
  }

  /** What this module's dedup store knows of a key, asked without claiming it where the store can (see `peek`). */
  private async seen(key: string): Promise<EcwidDedupSeen> {
    if (this.dedup.peek) return this.dedup.peek(key);
    const claim = await this.dedup.claim(key);
    if (claim === 'claimed') await this.dedup.release(key);
    return claim === 'claimed' ? undefined : claim;
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
