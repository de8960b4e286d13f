/**
 * The simulated customer's wallet: it "scans" a merchant-presented code (a
 * QR's content or a redirect flow's pay URL) and approves or declines the
 * payment. Each simulator that issues such codes registers a handler for its
 * provider and records its codes in the ledger (`registerQrCode`); the wallet
 * finds the order by its code and lets that provider's handler decide.
 */
import { testValue } from './test-values.js';
import type { SimulatorLedger } from './ledger.js';

export type ScanAction = 'approve' | 'decline';

export type ScanResult =
  | {
      readonly ok: true;
      readonly provider: string;
      readonly orderNo: string;
      readonly outcome: 'paid' | 'declined' | 'awaiting_confirmation';
      readonly message: string;
    }
  | { readonly ok: false; readonly error: 'unknown_code' | 'not_payable'; readonly message: string };

/**
 * Applies the scan to the provider's order (committed before it returns) and
 * says what happened. Called only for codes the provider registered.
 */
export type WalletScanHandler = (orderNo: string, action: ScanAction) => ScanResult;

/**
 * What an approval does, by the test values (docs/providers.md) on the amount's
 * last two digits: the same values as the POS flows, seen from the customer.
 */
export type ApproveBehaviour = 'pay' | 'insufficient_balance' | 'not_allowed' | 'confirm_later' | 'never_confirm';

export function approveBehaviour(amountMinor: number, currency?: string, wholeUnitCurrencies: readonly string[] = []): ApproveBehaviour {
  switch (testValue(amountMinor, currency, wholeUnitCurrencies)) {
    case 51:
      return 'insufficient_balance';
    case 53:
      return 'confirm_later';
    case 54:
      return 'never_confirm';
    case 57:
      return 'not_allowed';
    default:
      return 'pay';
  }
}

export class SandboxWallet {
  private readonly handlers = new Map<string, WalletScanHandler>();

  constructor(private readonly ledger: SimulatorLedger) {}

  register(provider: string, handler: WalletScanHandler): void {
    this.handlers.set(provider, handler);
  }

  scan(qrCode: string, action: ScanAction): ScanResult {
    const found = this.ledger.findQrCode(qrCode.trim());
    const handler = found ? this.handlers.get(found.provider) : undefined;
    if (!found || !handler) return { ok: false, error: 'unknown_code', message: 'No simulated provider issued this code' };
    return handler(found.orderNo, action);
  }
}
