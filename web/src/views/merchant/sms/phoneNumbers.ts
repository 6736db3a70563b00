/**
 * The numbers a merchant pastes: one per line, or separated by commas (，、；; and spaces
 * too), each checked the way the server checks it (`MobilePhone::parse`: spaces and
 * dashes ignored, `+86` / `0086` / `86` taken off, then 11 digits starting 13–19), so the
 * bad ones are listed before anything is sent. Duplicates are sent once.
 */

export interface CheckedNumbers {
  /** The valid numbers, as `+86` + 11 digits, each once, in the order pasted. */
  valid: string[];
  /** Each bad entry with its 1-based position and why. */
  bad: { position: number; input: string; reason: 'invalid' | 'duplicate' }[];
}

/** The 11 digits of a mainland mobile number, or null. */
export function mainlandMobile(raw: string): string | null {
  let digits = raw.trim().replace(/[\s-]/g, '');
  if (digits.startsWith('+86')) digits = digits.slice(3);
  else if (digits.startsWith('0086')) digits = digits.slice(4);
  else if (digits.length === 13 && digits.startsWith('86')) digits = digits.slice(2);
  return /^1[3-9]\d{9}$/.test(digits) ? digits : null;
}

/** Splits pasted text into entries: lines, commas (ASCII and full-width), semicolons, 、. */
export function splitNumbers(text: string): string[] {
  return text
    .split(/[\n\r,，;；、]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function checkNumbers(text: string): CheckedNumbers {
  const seen = new Set<string>();
  const out: CheckedNumbers = { valid: [], bad: [] };
  splitNumbers(text).forEach((input, i) => {
    const digits = mainlandMobile(input);
    if (digits === null) out.bad.push({ position: i + 1, input, reason: 'invalid' });
    else if (seen.has(digits)) out.bad.push({ position: i + 1, input, reason: 'duplicate' });
    else {
      seen.add(digits);
      out.valid.push(`+86${digits}`);
    }
  });
  return out;
}
