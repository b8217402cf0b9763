// A PostgreSQL cluster of the test's own (initdb in a temp dir, its own port, trust auth), so a test
// can crash and restart it without touching the shared server on 5432. PostgreSQL refuses to run as
// root, so its tools run as the postgres user over a directory that user owns.
import { execFile, type ExecFileException } from 'node:child_process';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from '../../support/free-port.js';
import { forget, killOnExit } from '../../support/leftovers.js';

const PG_BIN = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

export type PrivatePostgres = Awaited<ReturnType<typeof startPrivatePostgres>>;

function run(file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (err: ExecFileException | null, stdout, stderr) => {
      if (err) reject(new Error(`${[file, ...args].join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export async function startPrivatePostgres(label: string) {
  const dir = await mkdtemp(path.join(tmpdir(), `faults-postgres-${label}-`));
  const asRoot = userInfo().uid === 0;
  const pgUser = asRoot ? Number((await run('id', ['-u', 'postgres'])).trim()) : undefined;
  const pgGroup = asRoot ? Number((await run('id', ['-g', 'postgres'])).trim()) : undefined;
  if (pgUser !== undefined && pgGroup !== undefined) await chown(dir, pgUser, pgGroup);
  /** A PostgreSQL tool, as the postgres user when we are root. */
  const tool = (name: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, name), ...args]) : run(path.join(PG_BIN, name), args);

  const data = path.join(dir, 'data');
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    // Durability against an OS crash is not what these tests are about; speed on 2 cores is.
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=100',
  ].join(' ');

  await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  let postmasterPid: number | undefined;
  async function start(): Promise<void> {
    await tool('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);
    const pid = Number((await readFile(path.join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) {
      postmasterPid = pid;
      killOnExit(pid);
    }
  }
  async function stop(mode: 'fast' | 'immediate'): Promise<void> {
    await tool('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
    if (postmasterPid !== undefined) forget(postmasterPid);
  }
  try {
    await start();
  } catch (err) {
    const log = await readFile(path.join(dir, 'server.log'), 'utf8').catch(() => '(no log)');
    await rm(dir, { recursive: true, force: true });
    throw new Error(`private PostgreSQL did not start: ${(err as Error).message}\n${log.slice(-3_000)}`);
  }

  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    /** `immediate` is a crash: no checkpoint, every backend killed, crash recovery at the next start. */
    stop,
    async restart(mode: 'fast' | 'immediate', downMs = 0): Promise<void> {
      await stop(mode);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await start();
    },
    log: () => readFile(path.join(dir, 'server.log'), 'utf8').catch(() => ''),
    async remove(): Promise<void> {
      await stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
