import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { EcwidResolvedConfig } from '../config/ecwid-resolved-config';
import { ECWID_RESOLVED_CONFIG } from '../ecwid.constants';
import { createEcwidStateStore } from './ecwid-state-store.factory';
import type { EcwidStateStore } from './ecwid-state-store.interface';

/** Creates the configured state store and closes it at shutdown; a store the user passed in stays theirs to close. */
@Injectable()
export class EcwidStateOwner implements OnApplicationShutdown {
  readonly store: EcwidStateStore;
  private readonly owned: boolean;

  constructor(@Inject(ECWID_RESOLVED_CONFIG) config: EcwidResolvedConfig) {
    const state = config.state;
    this.owned = !('claim' in state);
    this.store = 'claim' in state ? state : createEcwidStateStore(state);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.store.close();
  }
}
