// DOM project setup: unmount what each test rendered (React Testing Library does not do it
// automatically under vitest without globals).
import { cleanup } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => {
  cleanup();
});
