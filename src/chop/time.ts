/** Calendar arithmetic in a merchant's time zone, with the platform's Intl data (no library). */

/** Offset of `zone` from UTC at `epochMs`, in ms (east positive). */
function zoneOffset(zone: string, epochMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(epochMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(epochMs / 1000) * 1000;
}

/** Epoch ms of the most recent local midnight in `zone` at or before `epochMs` (DST-aware). */
export function startOfDay(zone: string, epochMs: number): number {
  const local = new Date(epochMs + zoneOffset(zone, epochMs));
  const midnightAsUtc = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  // The offset at midnight may differ from now's (a DST change during the day): correct once.
  let start = midnightAsUtc - zoneOffset(zone, midnightAsUtc);
  start = midnightAsUtc - zoneOffset(zone, start);
  return start > epochMs ? startOfDay(zone, start - 1) : start;
}
