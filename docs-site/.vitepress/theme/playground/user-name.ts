/**
 * A random user name for the playground's form (`grace-4821`), so Connect works without typing
 * and two tabs are two users.
 *
 * @example
 * ```ts
 * randomUserName(() => 0); // 'ada-1000'
 * ```
 */
export function randomUserName(random: () => number = Math.random): string {
  const name = NAMES[Math.floor(random() * NAMES.length)] ?? 'ada';
  return `${name}-${1000 + Math.floor(random() * 9000)}`;
}

const NAMES = ['ada', 'grace', 'alan', 'edsger', 'barbara', 'ken', 'margaret', 'linus', 'radia', 'donald'];
