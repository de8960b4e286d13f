/**
 * How the simulators send their asynchronous notifications: POST to the
 * notify URL CanCan gave with the order, and resend with growing delays until
 * the answer is the provider's acknowledgement (as WeChat Pay, Alipay, Antom
 * and UnionPay do), at most `maxAttempts` times. Resends live in this
 * process's memory: a simulator restart forgets them, as a test double may.
 *
 * A simulator takes notify URLs from whoever calls it, so it delivers only to
 * loopback addresses and to CanCan's own public host (CANCAN_PUBLIC_URL):
 * never anywhere a caller names.
 */
import { isLoopbackHost } from '../config.js';
import { createHttpClient, type HttpClient } from '../providers/http-client.js';

export interface OutgoingNotification {
  readonly provider: string;
  /** The order it is about, for the delivery log. */
  readonly orderNo: string;
  readonly url: string;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Whether the answer is the provider's acknowledgement (`SUCCESS` XML, `success`, `ok`, resultStatus S). */
  acknowledged(status: number, body: string): boolean;
}

/** One notification's deliveries, as `GET /_sandbox/notifications` shows them. */
export interface NotificationDelivery {
  readonly id: number;
  readonly provider: string;
  readonly order_no: string;
  readonly url: string;
  readonly content_type: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempts: number;
  readonly acknowledged: boolean;
  /** Why the last attempt was not acknowledged (status and answer, or the network error). */
  readonly last_error: string | null;
  /** Set when the URL is not one the simulator may call: nothing was sent. */
  readonly refused: string | null;
}

export interface NotifierOptions {
  /** The first resend's delay; each next one doubles, capped at a minute. */
  readonly retryBaseMs: number;
  readonly maxAttempts: number;
  /** CANCAN_PUBLIC_URL: its host may be called besides loopback. */
  readonly publicUrl: string | null;
  readonly timeoutMs?: number;
}

const MAX_RETRY_DELAY_MS = 60_000;

/** One kept-alive pool for every simulator's notifications, as a provider keeps its connections to a merchant. */
let notifyHttp: HttpClient | null = null;

/** Why the simulator will not call `url`, or null: only loopback and CanCan's public host. */
export function notifyUrlRefusal(url: string, publicUrl: string | null): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not an absolute URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'not an http(s) URL';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isLoopbackHost(host)) return null;
  const publicHost = publicUrl === null ? null : new URL(publicUrl).hostname;
  return host === publicHost ? null : 'the simulator only calls loopback addresses and CANCAN_PUBLIC_URL';
}
/** Deliveries the log keeps (oldest dropped first). */
const LOG_LIMIT = 500;

export class SimulatorNotifier {
  private nextId = 1;
  private closed = false;
  private readonly log: NotificationDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly options: NotifierOptions) {}

  /** Starts delivering `notification` now; resends happen in the background. */
  send(notification: OutgoingNotification): NotificationDelivery {
    const refused = notifyUrlRefusal(notification.url, this.options.publicUrl);
    const delivery: NotificationDelivery = {
      id: this.nextId++,
      provider: notification.provider,
      order_no: notification.orderNo,
      url: notification.url,
      content_type: notification.contentType,
      body: notification.body,
      headers: notification.headers ?? {},
      attempts: 0,
      acknowledged: false,
      last_error: null,
      refused,
    };
    this.record(delivery);
    if (refused === null && !this.closed) void this.attempt(notification, delivery.id);
    return delivery;
  }

  /** Every delivery still in the log, oldest first. */
  deliveries(): readonly NotificationDelivery[] {
    return [...this.log];
  }

  /** Stops resending and aborts deliveries in flight. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
  }

  private async attempt(notification: OutgoingNotification, id: number): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs ?? 10_000);
    let error: string | null;
    try {
      notifyHttp ??= createHttpClient({ connectTimeoutMs: 5_000 });
      const response = await notifyHttp.fetch(notification.url, {
        method: 'POST',
        headers: { 'content-type': notification.contentType, ...notification.headers },
        body: notification.body,
        signal: controller.signal,
      });
      const text = await response.text();
      error = notification.acknowledged(response.status, text) ? null : `HTTP ${response.status}: ${text.slice(0, 200)}`;
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
    const updated = this.update(id, error);
    if (error === null || this.closed || updated === null || updated.attempts >= this.options.maxAttempts) return;
    const delay = Math.min(this.options.retryBaseMs * 2 ** (updated.attempts - 1), MAX_RETRY_DELAY_MS);
    const resend = setTimeout(() => {
      this.timers.delete(resend);
      void this.attempt(notification, id);
    }, delay);
    this.timers.add(resend);
  }

  private update(id: number, error: string | null): NotificationDelivery | null {
    const index = this.log.findIndex((entry) => entry.id === id);
    if (index < 0) return null;
    const current = this.log[index]!;
    const next = { ...current, attempts: current.attempts + 1, acknowledged: error === null, last_error: error };
    this.log[index] = next;
    return next;
  }

  private record(delivery: NotificationDelivery): void {
    this.log.push(delivery);
    if (this.log.length > LOG_LIMIT) this.log.shift();
  }
}
