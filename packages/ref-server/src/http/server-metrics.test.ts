import { describe, expect, it } from 'vitest';
import { ServerMetrics } from './server-metrics';

describe('ServerMetrics', () => {
  it('renders every metric with its value', async () => {
    const m = new ServerMetrics();
    m.connectionOpened();
    m.connectionOpened();
    m.connectionClosed();
    m.messageIn(100);
    m.messageOut(3, 300);
    m.authFailure();
    m.rateLimited();
    m.slowConsumer();
    m.observePublish(0.0003);
    const text = await m.render();
    expect(text).toMatch(/^wse_connections 1$/m);
    expect(text).toMatch(/^wse_connections_total 2$/m);
    expect(text).toMatch(/^wse_messages_received_total 1$/m);
    expect(text).toMatch(/^wse_bytes_received_total 100$/m);
    expect(text).toMatch(/^wse_messages_sent_total 3$/m);
    expect(text).toMatch(/^wse_bytes_sent_total 300$/m);
    expect(text).toMatch(/^wse_auth_failures_total 1$/m);
    expect(text).toMatch(/^wse_rate_limited_total 1$/m);
    expect(text).toMatch(/^wse_slow_consumers_total 1$/m);
    expect(text).toMatch(/^wse_publish_duration_seconds_count 1$/m);
    expect(text).toMatch(/^wse_publish_duration_seconds_bucket\{le="0.0005"\} 1$/m);
    expect(m.contentType).toMatch(/^text\/plain/);
  });

  it('keeps several instances independent (own registries, no name clash)', async () => {
    const a = new ServerMetrics();
    const b = new ServerMetrics();
    a.authFailure();
    expect(await a.render()).toMatch(/^wse_auth_failures_total 1$/m);
    expect(await b.render()).toMatch(/^wse_auth_failures_total 0$/m);
  });

  it('supports a prefix and optional process metrics', async () => {
    const m = new ServerMetrics({ prefix: 'node1_', defaultMetrics: true });
    const text = await m.render();
    expect(text).toContain('node1_connections');
    expect(text).toContain('node1_process_cpu_user_seconds_total');
    expect(await new ServerMetrics().render()).not.toContain('process_cpu');
  });

  it('ignores nonsense observations', async () => {
    const m = new ServerMetrics();
    m.observePublish(Number.NaN);
    m.observePublish(-1);
    m.messageOut(0, 0);
    const text = await m.render();
    expect(text).toMatch(/^wse_publish_duration_seconds_count 0$/m);
    expect(text).toMatch(/^wse_messages_sent_total 0$/m);
  });
});
