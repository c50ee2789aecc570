/** Emitted as `ecwid.polling.progress` after each page of a window that spans several pages (a backfill, say). */
export class EcwidPollingProgress {
  static readonly EVENT = 'ecwid.polling.progress';

  constructor(
    readonly storeId: number,
    /** The window being read. */
    readonly from: Date,
    readonly to: Date,
    /** Orders matching the window when its first page was read. */
    readonly total: number,
    readonly ordersDone: number,
    readonly pages: number,
    /** Events handed to listeners so far (duplicates and unchanged orders excluded). */
    readonly emitted: number,
    readonly ordersPerSecond: number,
    readonly done: boolean,
  ) {}
}
