const MiB = 1024 * 1024;

/**
 * uWS's own cap on an inbound WebSocket frame (its `maxPayloadLength`), the hard ceiling above
 * `maxMessageSize`. A frame between the two is read whole and closed by the session with 1009 and
 * a reason; a frame past the ceiling makes uWS drop the socket while the client is still sending,
 * and the kernel's reset loses the close frame (the client sees 1006). So the ceiling sits well
 * above the limit — 8 × `maxMessageSize`, at least 4 MiB, at most `maxMessageSize` + 256 MiB —
 * and is the most a connection can make uWS buffer for one frame.
 *
 * @example
 * frameCeiling(1024 * 1024); // 8 MiB: a 3 MiB frame on a 1 MiB server closes with 1009
 */
export function frameCeiling(maxMessageSize: number): number {
  return Math.min(Math.max(8 * maxMessageSize, 4 * MiB), maxMessageSize + 256 * MiB);
}
