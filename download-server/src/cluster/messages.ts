// What the primary and its workers say to each other over the cluster's IPC channel. Every
// message carries a `type` under our own prefix, so prom-client's and Node's own messages on
// the same channel are told apart.

/** Worker → primary: listening, serving at `url`. */
export interface ReadyMessage {
  type: 'tdr:ready'
  url: string
}

/** Primary → worker: stop accepting, finish running downloads, exit 0. */
export interface ShutdownMessage {
  type: 'tdr:shutdown'
}

/** Worker → primary: the metrics of every worker, summed, for one `/metrics` request. */
export interface MetricsRequestMessage {
  type: 'tdr:metrics-request'
  id: number
}

/** Primary → worker: the answer to a `MetricsRequestMessage` with the same `id`. */
export interface MetricsResponseMessage {
  type: 'tdr:metrics-response'
  id: number
  text?: string
  error?: string
}

export type ClusterMessage = ReadyMessage | ShutdownMessage | MetricsRequestMessage | MetricsResponseMessage

export function isClusterMessage<T extends ClusterMessage['type']>(
  message: unknown,
  type: T,
): message is Extract<ClusterMessage, { type: T }> {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type
}
