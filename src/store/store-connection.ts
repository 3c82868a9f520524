import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../common/errors.js';
import { APPLICATION_ID, SCHEMA_VERSION, migrate, newerSchemaError, schemaVersion } from './schema.js';

/** How long a connection waits for another writer's lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

export interface ConnectionOptions {
  /** Open without writing. Implies mustExist. */
  readonly?: boolean;
  /** Reject a missing file instead of creating an empty database. */
  mustExist?: boolean;
  /** Caps the database at this many pages (PRAGMA max_page_count, this connection only). */
  maxPageCount?: number;
}

/** SQLite result codes that mean the file is not a database at all. */
const NOT_A_DATABASE_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

export function notEpisodeDatabaseError(path: string, reason: string): UserError {
  return new UserError(
    `${path} is not an RD-VLA episode database (${reason}): pass another --db path or move the file away`,
  );
}

/**
 * Opens the SQLite file at `path` as an episode database: WAL journal, synchronous = NORMAL
 * (a committed transaction survives a process crash, the last ones may be lost on power loss),
 * a busy timeout and foreign keys. A writable connection creates the file and migrates it to
 * the current schema. A read-only connection on an older schema first migrates it through a
 * short writable connection.
 */
export function openConnection(path: string, options: ConnectionOptions = {}): Database.Database {
  const readonly = options.readonly ?? false;
  const mustExist = readonly || (options.mustExist ?? false);
  if (mustExist && !existsSync(path)) {
    throw new UserError(`no episode database at ${path}: pass --db with the path of an existing file, or record an episode first`);
  }

  if (existsSync(path) && statSync(path).isDirectory()) {
    throw new UserError(`${path} is a folder, not an episode database: pass the path of a .db file with --db`);
  }

  const folder = dirname(path);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    throw new UserError(`cannot create the episode database ${path}: the folder ${folder} does not exist, so create it or pass another --db`);
  }

  const existed = existsSync(path);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly, fileMustExist: mustExist });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    checkApplicationId(db, path);

    if (readonly) {
      const version = schemaVersion(db);
      if (version > SCHEMA_VERSION) throw newerSchemaError(path, version);
      if (version < SCHEMA_VERSION) {
        db.close();
        openConnection(path).close();
        return openConnection(path, options);
      }
    } else {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db, path);
    }

    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
    return db;
  } catch (error) {
    db?.close();
    // A file this call created but could not set up (a full disk) would look like a store later.
    if (!existed) for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
    throw translateOpenError(error, path);
  }
}

/** Rejects SQLite files of other applications. An empty file (no tables, id 0) becomes a new store. */
function checkApplicationId(db: Database.Database, path: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  if (applicationId === APPLICATION_ID) return;

  const tables = db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
    .pluck()
    .all() as string[];
  if (applicationId === 0 && tables.length === 0) return;

  const reason =
    applicationId === 0
      ? `SQLite file of another application, tables: ${tables.join(', ')}`
      : `SQLite file with application_id 0x${applicationId.toString(16)}`;
  throw notEpisodeDatabaseError(path, reason);
}

function translateOpenError(error: unknown, path: string): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  if (NOT_A_DATABASE_CODES.has(error.code)) return notEpisodeDatabaseError(path, error.message);
  if (error.code.startsWith('SQLITE_CANTOPEN')) {
    return new UserError(`cannot open episode database ${path} (${error.message}): check that the folder exists and is writable`);
  }
  if (error.code === 'SQLITE_FULL') {
    return new UserError(`cannot set up episode database ${path}: ${error.message}: free disk space and run again`);
  }
  if (error.code.startsWith('SQLITE_IOERR')) {
    return new UserError(`cannot read or write episode database ${path} (${error.message}): check that it is a file on a working, writable disk`);
  }
  return error;
}
