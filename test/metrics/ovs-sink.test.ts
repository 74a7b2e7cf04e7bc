// The OVS writer's metrics on the Prometheus registry: batches, repairs and
// failures under the fib_* names shared with the kernel writer (writer="ovs"),
// flows, groups, unprogrammed routes and the connection state of their own.
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics.js';

describe('Metrics.ovsSink', () => {
  it('maps the OVS writer reports onto prom-client metrics', async () => {
    const metrics = new Metrics();
    const sink = metrics.ovsSink();
    expect(metrics.ovsSink()).toBe(sink); // one set of metrics per registry
    sink.setInstalled(100_000, 2);
    sink.observeBatch(0.25, 50_000, 'committed');
    sink.observeBatch(0.01, 3, 'failed');
    sink.addRepairs(2);
    sink.setUnprogrammed(1);
    sink.setConnectionState('openflow', 'connected');
    sink.setConnectionState('ovsdb', 'no-bridge');
    const text = await metrics.registry.metrics();
    expect(text).toContain('ovs_flows 100000');
    expect(text).toContain('ovs_groups 2');
    expect(text).toContain('ovs_unprogrammed_routes 1');
    expect(text).toContain('fib_repairs_total{writer="ovs"} 2');
    expect(text).toContain('fib_failures_total{writer="ovs"} 3');
    expect(text).toContain('fib_batch_seconds_count{writer="ovs"} 2');
    expect(text).toContain('fib_batch_seconds_bucket{le="0.5",writer="ovs"} 2');
    expect(text).toContain('ovs_connection{channel="openflow",state="connected"} 1');
    expect(text).toContain('ovs_connection{channel="openflow",state="stopped"} 0');
    expect(text).toContain('ovs_connection{channel="ovsdb",state="no-bridge"} 1');
    expect(text).toContain('ovs_connection{channel="ovsdb",state="connected"} 0');
  });
});
