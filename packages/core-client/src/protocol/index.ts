/**
 * `@wse/core-client/protocol` — the WSE wire codec, shared by the clients and the server.
 * See docs-site/protocol for the contract and the package README ("Wire codec") for decisions.
 */
export * from './base64';
export * from './codes';
export * from './crypto';
export * from './e2e-channel';
export * from './envelope';
export * from './errors';
export * from './frame';
export { decodeMsgpack, encodeMsgpack, MAX_DEPTH, scanMsgpack } from './msgpack';
export * from './signature';
export { concatBytes, deflateZlib, inflateBounded } from './zlib';
