import { render, screen, waitFor } from '@testing-library/react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientOptions, SECRET, startServer, type TestServer } from '../../../test/support/wse-server';
import { useWSE, WSEProvider } from '../src';

// Issue 15.4: what useWSE shows is the server's own auth error (code and message), not a generic
// AUTH_FAILED for every 4401.
let t: TestServer;
beforeAll(async () => {
  t = await startServer({ auth: { secret: SECRET, inBandTimeoutMs: 100 } });
});
afterAll(() => t.server.stop());

function ErrorLine() {
  const { state, lastError } = useWSE();
  return <p data-testid="err">{`${state}|${lastError?.code ?? ''}|${lastError?.message ?? ''}`}</p>;
}

function App({ token }: { token: string | undefined }) {
  const options = { ...clientOptions(t.url, 'ada'), token };
  return (
    <WSEProvider options={options} lingerMs={10}>
      <ErrorLine />
    </WSEProvider>
  );
}

describe('useWSE shows the server auth error', () => {
  it('no token: AUTH_REQUIRED with the server message', async () => {
    const view = render(<App token={undefined} />);
    await waitFor(() => expect(screen.getByTestId('err').textContent).toMatch(/^failed\|AUTH_REQUIRED\|/));
    expect(screen.getByTestId('err').textContent).toMatch(/token/);
    view.unmount();
  });

  it('a malformed token: AUTH_FAILED with the verifier message', async () => {
    const view = render(<App token="not-a-jwt" />);
    await waitFor(() =>
      expect(screen.getByTestId('err').textContent).toBe('failed|AUTH_FAILED|token is malformed'),
    );
    view.unmount();
  });
});
