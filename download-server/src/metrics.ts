import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface DownloadMetrics {
  registry: Registry
  /** Every answered request, by route name, status and outcome code (`ok`, `partial`, `token_used`, …). */
  requests: Counter<'route' | 'status' | 'code'>
  /** File bytes handed to sockets. */
  bytesSent: Counter
  /** Downloads currently streaming. */
  deliveriesInFlight: Gauge
  /** Used-token store calls, by operation and whether they succeeded. */
  storeLatency: Histogram<'operation' | 'outcome'>
  /** Tokens refused by the verifier, by error code. */
  verifyFailures: Counter<'code'>
}

/** A fresh registry per server, so two servers in one process (the demo, tests) never mix figures. */
export function createDownloadMetrics(options: { processMetrics?: boolean } = {}): DownloadMetrics {
  const registry = new Registry()
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry })
  return {
    registry,
    requests: new Counter({
      name: 'download_requests_total',
      help: 'Requests answered, by route, status and outcome code.',
      labelNames: ['route', 'status', 'code'] as const,
      registers: [registry],
    }),
    bytesSent: new Counter({
      name: 'download_bytes_sent_total',
      help: 'File bytes handed to client sockets.',
      registers: [registry],
    }),
    deliveriesInFlight: new Gauge({
      name: 'download_deliveries_in_flight',
      help: 'File responses being streamed now.',
      registers: [registry],
    }),
    storeLatency: new Histogram({
      name: 'download_store_operation_seconds',
      help: 'Latency of used-token store operations.',
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    verifyFailures: new Counter({
      name: 'download_token_verify_failures_total',
      help: 'Tokens refused by verification, by error code.',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
  }
}
