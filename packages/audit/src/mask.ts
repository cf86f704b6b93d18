/**
 * A finding must show an auditor what kind of value was found without repeating it: every letter and digit becomes
 * `•`, punctuation stays, so `jane@example.com` reads `••••@•••••••.•••`. Long samples are cut.
 */
export function mask(text: string, max = 48): string {
  const masked = text.replace(/[\p{L}\p{N}]/gu, '•');
  return masked.length > max ? `${masked.slice(0, max)}…` : masked;
}
