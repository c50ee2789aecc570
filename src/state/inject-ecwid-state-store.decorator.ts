import { Inject } from '@nestjs/common';
import { ECWID_STATE_STORE } from '../ecwid.constants';

/** Injects the module's EcwidStateStore (cursors, snapshots, dedup ids, leases). */
export const InjectEcwidStateStore = (): ParameterDecorator => Inject(ECWID_STATE_STORE);
