// Counts the SMS segments of a message body when an event does not say, the way carriers bill:
// GSM-7 when every character is in the GSM 03.38 alphabet (160 septets single, 153 per part of
// a concatenated message, extension characters take two), UCS-2 otherwise (70 / 67 units).

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SegmentCount {
  readonly encoding: SmsEncoding;
  readonly segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the body takes. */
  readonly units: number;
}

const GSM7_SINGLE = 160;
const GSM7_PART = 153;
const UCS2_SINGLE = 70;
const UCS2_PART = 67;

// GSM 03.38 default alphabet, in table order, then the characters reached through the escape
// to the extension table (each costs the escape septet plus its own).
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '\f^{}\\[~]|€';

/** Septets per UTF-16 code unit: 0 = not in GSM-7, 1 = basic, 2 = extension table. */
const SEPTETS = buildSeptetTable();

function buildSeptetTable(): Uint8Array {
  const table = new Uint8Array(0x10000);
  for (const ch of GSM7_BASIC) table[ch.charCodeAt(0)] = 1;
  for (const ch of GSM7_EXTENDED) table[ch.charCodeAt(0)] = 2;
  return table;
}

/** Segments a body is billed as; an empty body is still one message. */
export function countSegments(body: string): SegmentCount {
  let septets = 0;
  let extended = false;
  for (let i = 0; i < body.length; i++) {
    const cost = SEPTETS[body.charCodeAt(i)] ?? 0;
    if (cost === 0) return countUcs2(body);
    if (cost === 2) extended = true;
    septets += cost;
  }
  if (septets <= GSM7_SINGLE) return { encoding: 'gsm7', segments: 1, units: septets };
  // Only an escape pair can force a part short of 153 septets.
  if (!extended)
    return { encoding: 'gsm7', segments: Math.ceil(septets / GSM7_PART), units: septets };
  // An escape and its character cannot be split across parts: pack greedily.
  let segments = 1;
  let used = 0;
  for (let i = 0; i < body.length; i++) {
    const cost = SEPTETS[body.charCodeAt(i)] ?? 1;
    if (used + cost > GSM7_PART) {
      segments++;
      used = cost;
    } else {
      used += cost;
    }
  }
  return { encoding: 'gsm7', segments, units: septets };
}

function countUcs2(body: string): SegmentCount {
  const units = body.length;
  if (units <= UCS2_SINGLE) return { encoding: 'ucs2', segments: 1, units };
  if (!hasSurrogatePair(body)) {
    return { encoding: 'ucs2', segments: Math.ceil(units / UCS2_PART), units };
  }
  // A surrogate pair (one emoji, say) cannot be split across parts either.
  let segments = 1;
  let used = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const next = body.charCodeAt(i + 1);
    const pair = code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
    const cost = pair ? 2 : 1;
    if (pair) i++;
    if (used + cost > UCS2_PART) {
      segments++;
      used = cost;
    } else {
      used += cost;
    }
  }
  return { encoding: 'ucs2', segments, units };
}

function hasSurrogatePair(body: string): boolean {
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff) return true;
  }
  return false;
}
