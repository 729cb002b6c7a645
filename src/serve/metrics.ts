/**
 * Prometheus metrics of the server: requests and latency per route and model, micro-batch
 * sizes, prediction queue depth.
 * @module
 */
import client from 'prom-client';

export class ServerMetrics {
  readonly registry = new client.Registry();
  readonly requests = new client.Counter({ name: 'lepton_http_requests_total', help: 'HTTP requests', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly latency = new client.Histogram({
    name: 'lepton_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });
  readonly predictions = new client.Counter({ name: 'lepton_predictions_total', help: 'Rows predicted', labelNames: ['model'], registers: [this.registry] });
  readonly predictLatency = new client.Histogram({
    name: 'lepton_predict_duration_seconds',
    help: 'Prediction latency per request, queueing included',
    labelNames: ['model'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly batchSize = new client.Histogram({ name: 'lepton_batch_rows', help: 'Rows per engine call (micro-batch size)', labelNames: ['model'], buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024], registers: [this.registry] });
  readonly queueDepth = new client.Gauge({ name: 'lepton_predict_queue_rows', help: 'Rows waiting for the next micro-batch', labelNames: ['model'], registers: [this.registry] });
  readonly loadedModels = new client.Gauge({ name: 'lepton_loaded_models', help: 'Model versions held in memory', registers: [this.registry] });

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'lepton_' });
  }
}
