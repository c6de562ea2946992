import type { Handler } from 'hono'
import type { Registry } from 'prom-client'
import type { DownloadEnv } from '../http/download-env.js'

/** Where `/metrics` gets its text: this process's registry, or (cluster) every worker's summed. */
export interface MetricsSource {
  contentType: string
  text(): Promise<string>
}

export function registryMetricsSource(registry: Registry): MetricsSource {
  return { contentType: registry.contentType, text: () => registry.metrics() }
}

/** `GET /metrics`: the server's metrics in the Prometheus text format. */
export function metricsRoute(deps: { source: MetricsSource }): Handler<DownloadEnv> {
  return async (c) => {
    c.set('route', '/metrics')
    const text = await deps.source.text()
    return c.body(text, 200, { 'content-type': deps.source.contentType, 'cache-control': 'no-store' })
  }
}
