/**
 * A token bucket per API key (and, in a sibling limiter, per client address
 * for failed authentications). Without REDIS_URL each process has its own
 * buckets. With it, every process shares one bucket per key in Redis (a Lua
 * script takes a token atomically, on Redis's clock); while Redis is
 * unreachable, requests are not failed: each process falls back to its own
 * buckets, and the change (both ways) is logged once.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { CoreDeps, Logger } from '../core/deps.js';

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private shared: SharedBuckets | null = null;

  /** `namespace` keeps the Redis keys of limiters with different rates apart. */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly namespace = 'rate-limit',
  ) {}

  /** Shares the buckets through Redis when REDIS_URL is set, until `app` closes. */
  shareFor(app: FastifyInstance, deps: CoreDeps): void {
    if (!deps.config.redisUrl || this.shared) return;
    const shared = (this.shared = new SharedBuckets(deps.config.redisUrl, deps.log));
    app.addHook('onClose', async () => shared.close());
  }

  /** A limiter with its own rates and keys, sharing this one's Redis connection (call after `shareFor`). */
  sibling(perSecond: number, burst: number, namespace: string): RateLimiter {
    const limiter = new RateLimiter(perSecond, burst, namespace);
    limiter.shared = this.shared;
    return limiter;
  }

  /**
   * What the routes call (auth.ts): takes a token from the key's shared bucket when Redis
   * is configured and answers, else from this process's (`take`).
   * Resolves 0 when allowed, else the seconds to wait before retrying.
   */
  async acquire(key: string, now: number): Promise<number> {
    const shared = this.shared ? await this.shared.take(`${this.namespace}:${key}`, this.perSecond, this.burst) : null;
    return shared ?? this.take(key, now);
  }

  /** Takes a token from this process's bucket; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, now: number): number {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (!this.buckets.has(key) && this.buckets.size >= MAX_BUCKETS) this.sweep(now);
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
  }

  /** Forgets buckets that have refilled (they start full anyway), then the oldest, so many client addresses cannot grow memory. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond >= this.burst) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size < MAX_BUCKETS) break;
      this.buckets.delete(key);
    }
  }
}

/** In-process buckets kept at most (a bucket is a few dozen bytes). */
const MAX_BUCKETS = 100_000;

/** KEYS[1]: the key's bucket {tokens, at (ms)}; ARGV: tokens per second, burst. Returns the seconds to wait (0: taken). */
const TAKE_SCRIPT = `
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
`;
const TAKE_SHA = createHash('sha1').update(TAKE_SCRIPT).digest('hex');

/** The shared buckets; `take` answers null whenever Redis cannot, so the caller falls back. */
class SharedBuckets {
  private readonly redis: Redis;
  /** null until the first connection or failure. */
  private reachable: boolean | null = null;
  private closed = false;

  constructor(
    url: string,
    private readonly log: Logger,
  ) {
    this.redis = new Redis(url, {
      // Fail at once while disconnected (fall back) rather than queue and hold requests.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      connectTimeout: 2000,
      retryStrategy: (attempt) => Math.min(attempt * 250, 5000),
    });
    this.redis.on('ready', () => this.note(true));
    this.redis.on('error', (error: Error) => this.note(false, error));
    this.redis.on('close', () => this.note(false, new Error('connection closed')));
  }

  async take(key: string, perSecond: number, burst: number): Promise<number | null> {
    // An API key's id is random: unique across merchants, servers and test runs.
    const args = [1, `cancan:${key}`, perSecond, burst] as const;
    if (this.redis.status !== 'ready') return null;
    try {
      const wait = await this.redis.evalsha(TAKE_SHA, ...args).catch((error: Error) => {
        if (!/NOSCRIPT/.test(error.message)) throw error;
        return this.redis.eval(TAKE_SCRIPT, ...args);
      });
      this.note(true);
      return Number(wait);
    } catch (error) {
      this.note(false, error instanceof Error ? error : new Error(String(error)));
      return null;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.redis.disconnect();
  }

  /** Logs a change of reachability, once (never the URL: it may hold a password). */
  private note(reachable: boolean, error?: Error): void {
    if (this.closed || this.reachable === reachable) return;
    this.reachable = reachable;
    if (reachable) this.log.info({}, 'rate limits are shared by every process through Redis');
    else this.log.warn({ error: error?.message }, 'Redis is unreachable: each process applies its own rate limits until it is back');
  }
}
