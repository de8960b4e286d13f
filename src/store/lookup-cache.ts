/**
 * A per-process cache of the lookups every API request makes (key, merchant,
 * gateways, currencies, credentials), kept right by one database counter:
 * migration 0018's triggers bump `cache_generation` in the same transaction
 * as any change to the rows these lookups read. Each request reads the
 * counter (`refresh`) before using the cache; a changed value clears it, so
 * a change is seen by every process from the first request after its commit.
 */

/** Reads the current generation from the database. */
export type GenerationReader = () => Promise<number>;

export class LookupCache {
  private generation: number | null = null;
  /** Bumped whenever the entries are cleared: a load begun before then is not kept. */
  private epoch = 0;
  private readonly entries = new Map<string, Promise<unknown>>();
  private inFlight: Promise<void> | null = null;
  /** Whether the in-flight read has sent its statement (later callers must wait for the next one). */
  private inFlightStarted = false;
  private queued: Promise<void> | null = null;
  /** Generation reads started, for tests and statement counts. */
  reads = 0;

  constructor(
    private readonly readGeneration: GenerationReader,
    private readonly maxEntries = 10_000,
  ) {}

  /**
   * Brings the cache up to date with every change committed before this call.
   * Calls share a read, but only one that starts after they were made: the
   * read starts one event-loop turn after it is first asked for (the
   * requests of that turn share it); once it has started it may have begun
   * before a revoke committed, so later callers wait for the next one.
   */
  refresh(): Promise<void> {
    if (this.inFlight === null) {
      this.inFlightStarted = false;
      this.inFlight = this.read().finally(() => (this.inFlight = null));
      return this.inFlight;
    }
    if (!this.inFlightStarted) return this.inFlight;
    this.queued ??= this.inFlight
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.queued = null;
        return this.refresh();
      });
    return this.queued;
  }

  /**
   * The value cached under `key`, else `load()`'s (concurrent callers share one
   * load). It is kept when `keep` accepts it and the cache was not cleared
   * meanwhile; a failed load is never kept.
   */
  get<T>(key: string, load: () => Promise<T>, keep: (value: T) => boolean = () => true): Promise<T> {
    const cached = this.entries.get(key);
    if (cached) return cached as Promise<T>;
    const epoch = this.epoch;
    const loading = load();
    this.remember(key, loading);
    const forget = () => {
      if (this.epoch === epoch && this.entries.get(key) === loading) this.entries.delete(key);
    };
    loading.then((value) => (keep(value) ? undefined : forget()), forget);
    return loading;
  }

  /** Entries held now (bounded by `maxEntries`). */
  get size(): number {
    return this.entries.size;
  }

  private async read(): Promise<void> {
    // Started after the requests of this event-loop turn have asked, so that they share it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.inFlightStarted = true;
    this.reads += 1;
    const generation = await this.readGeneration();
    if (generation !== this.generation) {
      this.generation = generation;
      this.epoch += 1;
      this.entries.clear();
    }
  }

  private remember(key: string, value: Promise<unknown>): void {
    // The oldest entry makes room: lookups of active merchants are reloaded at once.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
  }
}
