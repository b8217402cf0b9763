// Last line of defence against orphans: afterAll hooks and the bench's finally blocks stop what they
// started, but a test worker that dies (or is killed on a timeout) or a bench interrupted with ^C
// never runs them. Every process the tests or the bench start is registered here and killed when
// this process exits, whatever the reason.
import type { ChildProcess } from 'node:child_process';

const pids = new Set<number>();
let hooked = false;

/** Kills (SIGKILL) every process still registered; also runs by itself when this process exits. */
export function killLeftovers(): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  pids.clear();
}

export function killOnExit(pid: number): void {
  pids.add(pid);
  if (!hooked) {
    hooked = true;
    process.once('exit', killLeftovers);
  }
}

export function forget(pid: number): void {
  pids.delete(pid);
}

/** Registers `child` to die with this process; resolves when it exits (and forgets it then). */
export function diesWithThisProcess(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return Promise.resolve();
  killOnExit(pid);
  return new Promise((resolve) =>
    child.once('exit', () => {
      forget(pid);
      resolve();
    }),
  );
}
