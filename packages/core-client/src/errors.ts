// The client's error classes are the codec's: one hierarchy, defined once in protocol/errors.
export * from './protocol/errors';
