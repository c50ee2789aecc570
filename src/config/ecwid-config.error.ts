export interface EcwidConfigProblem {
  /** The key as the user wrote it: `storeId`, `webhooks.path`, `ecwid.store.id`, `ECWID_STORE_ID`, ... */
  key: string;
  message: string;
}

/** Every problem found in the options at boot, in one error. Never carries a setting's value. */
export class EcwidConfigError extends Error {
  override readonly name = 'EcwidConfigError';

  constructor(readonly problems: EcwidConfigProblem[]) {
    super(
      `Invalid Ecwid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n'),
    );
  }
}
