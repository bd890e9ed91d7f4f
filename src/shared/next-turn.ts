/**
 * Lets pending events (messages, timers) run. Long loops in the worker await this
 * between steps: on WASM and CPU, reading a tensor resolves without a macrotask, so
 * without it a host's "cancel" message would never be handled.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
