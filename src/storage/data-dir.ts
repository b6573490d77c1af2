/**
 * The data directory's permissions (issue 19, item 11). DATA holds the catalog (password hashes,
 * session and CSRF secrets, submitters' addresses) and the admin token, so it is the serving user's
 * alone: DATA 0700, the catalog and its -wal/-shm files and the token 0600. A new catalog file is
 * created 0600 before SQLite opens it (SQLite gives its -wal and -shm files the database's mode);
 * an existing directory or file that others may read is tightened, with a warning.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const DATA_DIR_MODE = 0o700;
export const SECRET_FILE_MODE = 0o600;
const SECRET_FILES = ['catalog.sqlite', 'catalog.sqlite-wal', 'catalog.sqlite-shm', 'admin-token'];

function tighten(path: string, mode: number, log: (m: string) => void): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    return;
  }
  if ((st.mode & 0o077) === 0) return;
  const was = (st.mode & 0o777).toString(8).padStart(3, '0');
  try {
    chmodSync(path, mode);
    log(`warning: ${path} was mode ${was} (readable by others); set to ${mode.toString(8).padStart(3, '0')}`);
  } catch (e) {
    log(
      `warning: ${path} is mode ${was} (readable by others) and could not be changed: ${(e as Error).message}`,
    );
  }
}

/** Creates DATA 0700 (and an empty SQLite catalog 0600 when it uses one), tightening what is too open. */
export function secureDataDir(dataDir: string, sqliteCatalog: boolean, log: (m: string) => void): void {
  const existed = existsSync(dataDir);
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  if (existed) tighten(dataDir, DATA_DIR_MODE, log);
  const catalog = join(dataDir, SECRET_FILES[0]);
  if (sqliteCatalog && !existsSync(catalog)) {
    try {
      closeSync(openSync(catalog, 'wx', SECRET_FILE_MODE));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  for (const f of SECRET_FILES) tighten(join(dataDir, f), SECRET_FILE_MODE, log);
}
