/**
 * Rounds a number half away from zero at `decimals` places, on the decimal the number is written as
 * (its shortest round-trip form, what a PMS sent as JSON), never on the binary float: 1.005 is
 * 1.01, where `Math.round(1.005 * 100) / 100` gives 1 because 1.005 * 100 is 100.49999999999999.
 * Done with the decimal digits and BigInt, exactly; the result is the double nearest that decimal.
 */
export function roundHalfAwayFromZero(value: number, decimals: number): number {
  if (!Number.isFinite(value)) return value;
  if (value === 0) return 0; // -0 too: JSON sends it as 0, as the content hash counts it

  const match = /^(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(Math.abs(value).toString());
  if (!match) return value;
  const [, whole = '', fraction = '', exponent = '0'] = match;
  const digits = whole + fraction;
  // Where the decimal point sits in `digits`.
  const point = whole.length + Number(exponent);
  const keep = point + decimals;
  if (keep >= digits.length) return value;
  if (keep < 0) return 0;
  const roundsUp = digits.charCodeAt(keep) >= '5'.charCodeAt(0);
  const kept = BigInt(digits.slice(0, keep) || '0') + (roundsUp ? 1n : 0n);
  const rounded = Number(`${kept}e${-decimals}`);
  return value < 0 && rounded !== 0 ? -rounded : rounded;
}
