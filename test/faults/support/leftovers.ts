// Last line of defence against orphans: afterAll hooks stop what a fault test started, but a test
// worker that dies (or is killed on a timeout) never runs them. Every process a fault test starts
// is registered here and killed when the worker exits, whatever the reason.
const pids = new Set<number>();
let hooked = false;

function killAll(): void {
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
    process.once('exit', killAll);
  }
}

export function forget(pid: number): void {
  pids.delete(pid);
}
