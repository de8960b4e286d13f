/**
 * The provider refuses the request itself (bad credentials, a missing client
 * certificate, a signature it rejects): the adapter contract's `rejected`
 * outcome. Each step with a provider call gets a case here once adapters can
 * answer it: the step fails fast with a clear failure detail, without retrying.
 */
import type { Case } from './case.js';

export const REFUSED_CASES: readonly Case[] = [];
