/**
 * Whether a process with this pid exists, for the files that record their owner's pid (a running instance, an import
 * lock, a test broker) and must tell a live owner from one that crashed without cleaning up. Signal 0 checks without
 * signalling; EPERM means the process exists but belongs to another user, so it counts as alive. A pid can be reused
 * after its process died: callers that act on a live answer (kill, refuse) check what they can about the process too.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
