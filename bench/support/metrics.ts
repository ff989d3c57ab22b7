/**
 * Reads the Prometheus endpoints the processes already serve (the API's /metrics, the worker's, the Temporal
 * SDK's) and turns histograms into "mean ms over a window": where a webhook's time went, from the inside.
 */

/** `name{labels}` → value, for every sample line. */
export type Scrape = Map<string, number>;

export async function scrape(url: string): Promise<Scrape> {
  const text = await fetch(url).then(
    (res) => res.text(),
    () => '',
  );
  const samples: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

/** Sum over the samples named `name` whose labels contain every `label="value"` of `match`. */
function total(samples: Scrape, name: string, match: string[]): number {
  let sum = 0;
  for (const [key, value] of samples) {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== name) continue;
    if (match.every((label) => key.includes(label))) sum += value;
  }
  return sum;
}

export interface HistogramWindow {
  count: number;
  meanMs: number;
}

/**
 * Mean of a histogram between two scrapes. `unit` is what the histogram counts in (prom-client: seconds;
 * the Temporal SDK core: milliseconds).
 */
export function histogramMean(
  before: Scrape,
  after: Scrape,
  name: string,
  match: string[] = [],
  unit: 's' | 'ms' = 's',
): HistogramWindow {
  const count = total(after, `${name}_count`, match) - total(before, `${name}_count`, match);
  const sum = total(after, `${name}_sum`, match) - total(before, `${name}_sum`, match);
  const meanMs = count > 0 ? (sum / count) * (unit === 's' ? 1000 : 1) : 0;
  return { count, meanMs: Math.round(meanMs * 10) / 10 };
}

export interface Scrapes {
  api: Scrape;
  worker: Scrape;
  sdk: Scrape;
}

/** Each kind's endpoints scraped and summed, sample by sample: two workers' counters and histograms add up. */
export async function scrapeAll(urls: { api: string[]; worker: string[]; sdk: string[] }): Promise<Scrapes> {
  const summed = async (list: string[]) => {
    const total: Scrape = new Map();
    for (const samples of await Promise.all(list.map(scrape)))
      for (const [key, value] of samples) total.set(key, (total.get(key) ?? 0) + value);
    return total;
  };
  const [api, worker, sdk] = await Promise.all([summed(urls.api), summed(urls.worker), summed(urls.sdk)]);
  return { api, worker, sdk };
}

/** Mean ms of each stage a webhook's event goes through, between two scrapes (count in brackets). */
export function breakdown(a: Scrapes, b: Scrapes): Record<string, string> {
  const show = ({ count, meanMs }: HistogramWindow) => `${meanMs} ms (${count})`;
  const sdk = (name: string, match: string[] = []) => show(histogramMean(a.sdk, b.sdk, name, match, 'ms'));
  // Counters: the Prometheus exporter may or may not add `_total`.
  const counter = (name: string) =>
    total(b.sdk, name, []) +
    total(b.sdk, `${name}_total`, []) -
    total(a.sdk, name, []) -
    total(a.sdk, `${name}_total`, []);
  return {
    'worker: sticky cache hits / misses': `${counter('temporal_sticky_cache_hit')} / ${counter('temporal_sticky_cache_miss')}`,
    'api: signalWithStart round trip': show(
      histogramMean(a.api, b.api, 'rollcall_signal_latency_seconds', ['outcome="ok"']),
    ),
    'worker: workflow task schedule-to-start': sdk('temporal_workflow_task_schedule_to_start_latency'),
    'worker: workflow task execution': sdk('temporal_workflow_task_execution_latency'),
    'worker: activity schedule-to-start': sdk('temporal_activity_schedule_to_start_latency'),
    'worker: recordEvents': sdk('temporal_activity_execution_latency', ['activity_type="recordEvents"']),
    'worker: recordPhase': sdk('temporal_activity_execution_latency', ['activity_type="recordPhase"']),
    'worker: calculateAttendance': sdk('temporal_activity_execution_latency', ['activity_type="calculateAttendance"']),
  };
}
