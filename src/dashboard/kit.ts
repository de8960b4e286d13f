/**
 * What a dashboard page module gets to register its routes: session and role
 * checks, CSRF on every POST, HTML replies with the strict CSP, and lookups
 * scoped to what the user may see (another merchant's data is a 404).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CoreDeps } from '../core/deps.js';
import type { TransactionRow } from '../store/transactions.js';
import type { DashContext } from './context.js';

export type PageHandler = (ctx: DashContext, request: FastifyRequest, reply: FastifyReply) => Promise<string | FastifyReply>;

export interface Access {
  /** Only operators (others get 404: the page does not exist for them). */
  readonly operatorOnly?: boolean;
  /** POST only: staff may do it too (default: owners and operators only). */
  readonly readOnly?: boolean;
}

export interface DashKit {
  readonly deps: CoreDeps;
  /** Paths are below `/dashboard` (`/` is the overview), e.g. `/transactions/:ref`. A string answer is sent as a 200 HTML page. */
  get(path: string, handler: PageHandler, access?: Access): void;
  /** Form posts: CSRF-checked; refused to staff unless `readOnly`. Answer with `seeOther` after a change. */
  post(path: string, handler: PageHandler, access?: Access): void;
  sendHtml(reply: FastifyReply, html: string, status?: number): FastifyReply;
  /** 303 to a dashboard path (Post/Redirect/Get). */
  seeOther(reply: FastifyReply, location: string): FastifyReply;
  notFound(ctx: DashContext, reply: FastifyReply): FastifyReply;
  forbidden(ctx: DashContext, reply: FastifyReply): FastifyReply;
  /** A transaction by its 32-hex ref if this user may see it. */
  visibleTransaction(ctx: DashContext, ref: string): Promise<TransactionRow | undefined>;
}

/** A page module: its routes, and any CSS it adds to the shared stylesheet. */
export interface DashboardModule {
  register(kit: DashKit): void;
  readonly css?: string;
}

export const REF_PATTERN = /^[0-9a-f]{32}$/;

/** A text value of a parsed form body, query or route parameters ('' when absent, or repeated). */
export function textField(source: unknown, name: string): string {
  const value = (source as Readonly<Record<string, unknown>> | null | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}
