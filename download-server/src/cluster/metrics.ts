import cluster from 'node:cluster'
import { AggregatorRegistry, type Registry } from 'prom-client'
import type { MetricsSource } from '../routes/metrics.js'
import { isClusterMessage, type MetricsResponseMessage } from './messages.js'

// `/metrics` reaches whichever worker the primary hands the connection to. Each worker's own
// counters would make every scrape jump between workers (and look like counter resets), so a
// worker asks the primary, which collects every worker's registry through prom-client's
// AggregatorRegistry and answers with the sums.

/** Primary side: answers the workers' metrics requests. Call once, before forking. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry()
  cluster.on('message', (worker, message: unknown) => {
    if (!isClusterMessage(message, 'tdr:metrics-request')) return
    const reply = (answer: Omit<MetricsResponseMessage, 'type' | 'id'>): void => {
      if (worker.isConnected()) worker.send({ type: 'tdr:metrics-response', id: message.id, ...answer }, () => {})
    }
    aggregator.clusterMetrics().then(
      (text) => reply({ text }),
      (error: unknown) => reply({ error: error instanceof Error ? error.message : 'aggregation failed' }),
    )
  })
}

/** Worker side: offers `registry` to the primary's aggregation and asks it for the sums. */
export function clusterMetricsSource(registry: Registry, options: { timeoutMs?: number } = {}): MetricsSource {
  // Constructing one in a worker is what makes prom-client answer the primary's collection calls.
  new AggregatorRegistry()
  AggregatorRegistry.setRegistries([registry])
  const timeoutMs = options.timeoutMs ?? 6000
  const pending = new Map<number, (answer: MetricsResponseMessage) => void>()
  let nextId = 0
  process.on('message', (message: unknown) => {
    if (isClusterMessage(message, 'tdr:metrics-response')) pending.get(message.id)?.(message)
  })
  return {
    contentType: registry.contentType,
    text: () =>
      new Promise<string>((resolve, reject) => {
        const id = nextId++
        const timer = setTimeout(() => settle({ type: 'tdr:metrics-response', id, error: 'the primary did not answer' }), timeoutMs)
        const settle = (answer: MetricsResponseMessage): void => {
          clearTimeout(timer)
          pending.delete(id)
          if (answer.text !== undefined) resolve(answer.text)
          else reject(new Error(`cluster metrics: ${answer.error ?? 'no answer'}`))
        }
        pending.set(id, settle)
        if (process.send === undefined) settle({ type: 'tdr:metrics-response', id, error: 'not a cluster worker' })
        else {
          process.send({ type: 'tdr:metrics-request', id }, undefined, {}, (error: Error | null) => {
            if (error !== null) settle({ type: 'tdr:metrics-response', id, error: 'the primary cannot be reached' })
          })
        }
      }),
  }
}
