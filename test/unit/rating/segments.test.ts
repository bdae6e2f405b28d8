import { describe, expect, it } from 'vitest';
import { countSegments } from '../../../src/rating/segments.js';

const a = (n: number): string => 'a'.repeat(n);
const zh = (n: number): string => 'ж'.repeat(n); // Cyrillic: outside GSM-7
const EMOJI = '😀'; // a surrogate pair: two UTF-16 units

describe('countSegments', () => {
  it.each([
    ['empty body is still one message', '', 'gsm7', 1, 0],
    ['160 GSM-7 characters fit one segment', a(160), 'gsm7', 1, 160],
    ['161 need two parts of 153', a(161), 'gsm7', 2, 161],
    ['306 = 2 × 153', a(306), 'gsm7', 2, 306],
    ['307 need a third part', a(307), 'gsm7', 3, 307],
    ['extension characters count as two septets', '€'.repeat(80), 'gsm7', 1, 160],
    ['81 euro signs are 162 septets', '€'.repeat(81), 'gsm7', 2, 162],
    ['{}[]~^|\\ are extension characters', '{}[]~^|\\', 'gsm7', 1, 16],
    [
      'the basic table has accents and Greek',
      '@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà',
      'gsm7',
      1,
      42,
    ],
    ['a backtick is not GSM-7', 'hello `world`', 'ucs2', 1, 13],
    ['lower-case ç is not GSM-7 (only Ç is)', 'français', 'ucs2', 1, 8],
    ['70 UCS-2 units fit one segment', zh(70), 'ucs2', 1, 70],
    ['71 need two parts of 67', zh(71), 'ucs2', 2, 71],
    ['134 = 2 × 67', zh(134), 'ucs2', 2, 134],
    ['135 need a third part', zh(135), 'ucs2', 3, 135],
    ['one emoji makes a body UCS-2', `ok ${EMOJI}`, 'ucs2', 1, 5],
  ])('%s', (_name, body, encoding, segments, units) => {
    expect(countSegments(body)).toEqual({ encoding, segments, units });
  });

  it('never splits an escape from its character across parts', () => {
    // 306 septets would be 2 × 153, but the € cannot start at septet 153 of part one.
    const body = `${a(152)}€${a(152)}`;
    expect(countSegments(body)).toEqual({ encoding: 'gsm7', segments: 3, units: 306 });
  });

  it('never splits a surrogate pair across parts', () => {
    // 134 units would be 2 × 67, but the emoji cannot straddle the end of part one.
    const body = `${zh(66)}${EMOJI}${zh(66)}`;
    expect(countSegments(body)).toEqual({ encoding: 'ucs2', segments: 3, units: 134 });
  });
});
