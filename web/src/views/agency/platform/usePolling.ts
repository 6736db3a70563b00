/**
 * Calls `tick` every `intervalMs` while `active()` says so and the component is mounted:
 * one call at a time (a slow answer never stacks requests), stopped on unmount.
 */
import { onBeforeUnmount } from 'vue';

export function usePolling(tick: () => Promise<void>, active: () => boolean, intervalMs: number): { kick(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  function schedule(): void {
    clearTimeout(timer);
    if (stopped || !active()) return;
    timer = setTimeout(async () => {
      try {
        await tick();
      } catch {
        // The next tick tries again; the screen shows its last good state meanwhile.
      }
      schedule();
    }, intervalMs);
  }

  onBeforeUnmount(() => {
    stopped = true;
    clearTimeout(timer);
  });

  /** (Re)starts polling after something changed, e.g. a roll-out was started or resumed. */
  return { kick: schedule };
}
