// DOM project setup. fake-indexeddb's `auto` entry installs the IndexedDB globals (`indexedDB`,
// `IDBRequest`, …): `idb` recognises requests by those global classes, so the IndexedDB queue
// store's tests need them (the real-Chromium run is test/e2e/playground.test.ts).
import 'fake-indexeddb/auto';
// Unmount what each test rendered (React Testing Library does not do it automatically under
// vitest without globals).
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
});
