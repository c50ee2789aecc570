export { createEcwidIonController } from './ecwid-ion.controller';
export { EcwidIonReceiver, EcwidIonReadError } from './ecwid-ion.receiver';
export type { EcwidIonOutcome } from './ecwid-ion.receiver';
export { parseEcwidIonNotification, EcwidIonNotificationError } from './ecwid-ion-notification';
export type { EcwidIonNotification, EcwidIonEventType } from './ecwid-ion-notification';
