import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { ECWID_IN_FLIGHT_TTL_MS, type EcwidClaimOptions, type EcwidDedupClaim, type EcwidDedupSeen } from './ecwid-dedup-store.interface';
import { loadEcwidPeer } from './ecwid-missing-peer.error';
import type { EcwidOrderSnapshot, EcwidRecord, EcwidStateStore } from './ecwid-state-store.interface';

export interface EcwidSqliteStateStoreOptions {
  /** Database file (parent folders are created), or `':memory:'`. */
  path: string;
}

/** Expired dedup rows are deleted once per this many completions, not on every call. */
const SWEEP_EVERY_COMPLETES = 1000;
/** How long a statement waits for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS ecwid_dedup (
    id TEXT PRIMARY KEY,
    done INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS ecwid_dedup_expires_at ON ecwid_dedup (expires_at);
  CREATE TABLE IF NOT EXISTS ecwid_cursors (
    key TEXT PRIMARY KEY,
    value REAL NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ecwid_snapshots (
    store_id INTEGER NOT NULL,
    internal_id INTEGER NOT NULL,
    -- The whole snapshot as JSON, so a field added to EcwidOrderSnapshot needs no migration.
    data TEXT NOT NULL,
    PRIMARY KEY (store_id, internal_id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ecwid_records (
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (collection, id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ecwid_counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS ecwid_leases (
    key TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

const INSTALL =
  'Install it with `npm install better-sqlite3@^12`; npm 11 may skip its native build unless allowed: ' +
  '`npm install-scripts approve better-sqlite3`, then `npm rebuild better-sqlite3`.';

type Statement<P extends unknown[], R = unknown> = BetterSqlite3.Statement<P, R>;

/**
 * State in one SQLite file: survives restarts and is shared safely by the processes of one machine.
 * better-sqlite3 is synchronous, so each method finishes its statements before it yields.
 */
export class EcwidSqliteStateStore implements EcwidStateStore {
  private readonly db: BetterSqlite3.Database;
  private readonly takeClaim: Statement<[{ id: string; now: number; ttl: number; takeOver: number }]>;
  private readonly findClaim: Statement<[string], { done: number }>;
  private readonly findLiveClaim: Statement<[string, number], { done: number }>;
  private readonly markDone: Statement<[{ id: string; expiresAt: number }]>;
  private readonly forgetInFlight: Statement<[string]>;
  private readonly sweepExpired: Statement<[number]>;
  private readonly readCursor: Statement<[string], { value: number }>;
  private readonly writeCursor: Statement<[{ key: string; value: number }]>;
  private readonly readSnapshots: Statement<[number, string], { internal_id: number; data: string }>;
  private readonly writeSnapshot: Statement<[{ storeId: number; internalId: number; data: string }]>;
  private readonly removeSnapshots: Statement<[number, string]>;
  private readonly takeLease: Statement<[{ key: string; holder: string; now: number; ttl: number }]>;
  private readonly dropLease: Statement<[string, string]>;
  private readonly writeRecord: Statement<[{ collection: string; id: string; value: string }]>;
  private readonly readRecords: Statement<[string, string, number], EcwidRecord>;
  private readonly removeRecords: Statement<[string, string]>;
  private readonly bump: Statement<[string], { value: number }>;
  private readonly writeRecords: (collection: string, records: EcwidRecord[]) => void;
  private readonly claimOnce: (eventId: string, now: number, takeOver: boolean) => EcwidDedupClaim;
  private readonly writeSnapshots: (storeId: number, snapshots: EcwidOrderSnapshot[]) => void;
  private completesSinceSweep = 0;

  constructor(options: EcwidSqliteStateStoreOptions) {
    const Database = loadEcwidPeer('better-sqlite3', INSTALL, () => require('better-sqlite3') as typeof BetterSqlite3);
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = loadEcwidPeer('better-sqlite3', INSTALL, () => new Database(options.path, { timeout: BUSY_TIMEOUT_MS }));
    this.db.pragma('journal_mode = WAL');
    // In WAL mode NORMAL loses no commit when the process crashes or is killed; only an OS crash or power cut can.
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);

    this.takeClaim = this.db.prepare(
      `INSERT INTO ecwid_dedup (id, done, expires_at) VALUES (@id, 0, @now + @ttl)
       ON CONFLICT (id) DO UPDATE SET done = 0, expires_at = excluded.expires_at
       WHERE ecwid_dedup.expires_at <= @now OR (@takeOver = 1 AND ecwid_dedup.done = 0)`,
    );
    this.findClaim = this.db.prepare('SELECT done FROM ecwid_dedup WHERE id = ?');
    this.findLiveClaim = this.db.prepare('SELECT done FROM ecwid_dedup WHERE id = ? AND expires_at > ?');
    this.markDone = this.db.prepare(
      `INSERT INTO ecwid_dedup (id, done, expires_at) VALUES (@id, 1, @expiresAt)
       ON CONFLICT (id) DO UPDATE SET done = 1, expires_at = excluded.expires_at`,
    );
    this.forgetInFlight = this.db.prepare('DELETE FROM ecwid_dedup WHERE id = ? AND done = 0');
    this.sweepExpired = this.db.prepare('DELETE FROM ecwid_dedup WHERE expires_at <= ?');
    this.readCursor = this.db.prepare('SELECT value FROM ecwid_cursors WHERE key = ?');
    this.writeCursor = this.db.prepare(
      'INSERT INTO ecwid_cursors (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    // The ids of a batch travel as one JSON array, so a page of orders is one statement whatever its size.
    this.readSnapshots = this.db.prepare(
      'SELECT internal_id, data FROM ecwid_snapshots WHERE store_id = ? AND internal_id IN (SELECT value FROM json_each(?))',
    );
    this.writeSnapshot = this.db.prepare(
      `INSERT INTO ecwid_snapshots (store_id, internal_id, data) VALUES (@storeId, @internalId, @data)
       ON CONFLICT (store_id, internal_id) DO UPDATE SET data = excluded.data`,
    );
    this.removeSnapshots = this.db.prepare(
      'DELETE FROM ecwid_snapshots WHERE store_id = ? AND internal_id IN (SELECT value FROM json_each(?))',
    );
    this.takeLease = this.db.prepare(
      `INSERT INTO ecwid_leases (key, holder, expires_at) VALUES (@key, @holder, @now + @ttl)
       ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE ecwid_leases.holder = excluded.holder OR ecwid_leases.expires_at <= @now`,
    );
    this.dropLease = this.db.prepare('DELETE FROM ecwid_leases WHERE key = ? AND holder = ?');
    this.writeRecord = this.db.prepare(
      `INSERT INTO ecwid_records (collection, id, value) VALUES (@collection, @id, @value)
       ON CONFLICT (collection, id) DO UPDATE SET value = excluded.value`,
    );
    this.readRecords = this.db.prepare('SELECT id, value FROM ecwid_records WHERE collection = ? AND id > ? ORDER BY id LIMIT ?');
    this.removeRecords = this.db.prepare(
      'DELETE FROM ecwid_records WHERE collection = ? AND id IN (SELECT value FROM json_each(?))',
    );
    this.bump = this.db.prepare(
      'INSERT INTO ecwid_counters (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value',
    );
    this.writeRecords = this.db.transaction((collection: string, records: EcwidRecord[]) => {
      for (const record of records) this.writeRecord.run({ collection, id: record.id, value: record.value });
    });

    // IMMEDIATE takes the write lock first, so another process cannot change the row between the insert and the read.
    const claimTransaction = this.db.transaction((eventId: string, now: number, takeOver: boolean): EcwidDedupClaim => {
      const taken = this.takeClaim.run({ id: eventId, now, ttl: ECWID_IN_FLIGHT_TTL_MS, takeOver: Number(takeOver) });
      if (taken.changes === 1) return 'claimed';
      return this.findClaim.get(eventId)?.done ? 'duplicate' : 'in-flight';
    });
    this.claimOnce = claimTransaction.immediate;
    this.writeSnapshots = this.db.transaction((storeId: number, snapshots: EcwidOrderSnapshot[]) => {
      for (const snapshot of snapshots) {
        this.writeSnapshot.run({ storeId, internalId: snapshot.internalId, data: JSON.stringify(snapshot) });
      }
    });
  }

  async claim(eventId: string, options: EcwidClaimOptions = {}): Promise<EcwidDedupClaim> {
    return this.claimOnce(eventId, Date.now(), options.takeOver === true);
  }

  async peek(eventId: string): Promise<EcwidDedupSeen> {
    const found = this.findLiveClaim.get(eventId, Date.now());
    return found === undefined ? undefined : found.done ? 'duplicate' : 'in-flight';
  }

  async complete(eventId: string, ttlSeconds: number): Promise<void> {
    const now = Date.now();
    this.markDone.run({ id: eventId, expiresAt: now + ttlSeconds * 1000 });
    if (++this.completesSinceSweep >= SWEEP_EVERY_COMPLETES) {
      this.completesSinceSweep = 0;
      this.sweepExpired.run(now);
    }
  }

  async release(eventId: string): Promise<void> {
    this.forgetInFlight.run(eventId);
  }

  async getCursor(key: string): Promise<number | undefined> {
    return this.readCursor.get(key)?.value;
  }

  async setCursor(key: string, value: number): Promise<void> {
    this.writeCursor.run({ key, value });
  }

  async getSnapshots(storeId: number, internalIds: number[]): Promise<Map<number, EcwidOrderSnapshot>> {
    const rows = this.readSnapshots.all(storeId, JSON.stringify(internalIds));
    return new Map(rows.map((row) => [row.internal_id, JSON.parse(row.data) as EcwidOrderSnapshot]));
  }

  async putSnapshots(storeId: number, snapshots: EcwidOrderSnapshot[]): Promise<void> {
    this.writeSnapshots(storeId, snapshots);
  }

  async deleteSnapshots(storeId: number, internalIds: number[]): Promise<void> {
    this.removeSnapshots.run(storeId, JSON.stringify(internalIds));
  }

  async acquireLease(key: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.takeLease.run({ key, holder, now: Date.now(), ttl: ttlMs }).changes === 1;
  }

  async releaseLease(key: string, holder: string): Promise<void> {
    this.dropLease.run(key, holder);
  }

  async putRecords(collection: string, records: EcwidRecord[]): Promise<void> {
    this.writeRecords(collection, records);
  }

  async listRecords(collection: string, options: { afterId?: string; limit?: number } = {}): Promise<EcwidRecord[]> {
    return this.readRecords.all(collection, options.afterId ?? '', options.limit ?? -1);
  }

  async deleteRecords(collection: string, ids: string[]): Promise<void> {
    this.removeRecords.run(collection, JSON.stringify(ids));
  }

  async increment(counter: string): Promise<number> {
    return this.bump.get(counter)!.value;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
