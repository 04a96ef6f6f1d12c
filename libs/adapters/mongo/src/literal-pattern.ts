/**
 * A regular expression matching `text` literally, valid for MongoDB's PCRE and FerretDB's Go
 * regexp alike: every ASCII punctuation character is escaped (both read `\` + punctuation as the
 * character itself), NUL is written `\x00` (MongoDB refuses a pattern with a NUL byte), anything
 * else stands for itself.
 */
export function literalPattern(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, '\\$&').replace(/\0/g, '\\x00');
}
