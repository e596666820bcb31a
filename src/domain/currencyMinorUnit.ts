/**
 * ISO 4217 minor units (list one, as published by SIX for the ISO 4217 maintenance agency): the
 * currencies whose minor unit is not 2. Node's Intl cannot stand in for this table: its ICU uses
 * CLDR's display digits, which differ from ISO for some currencies (Intl says 0 for IQD, HUF, IDR
 * and COP; ISO says 3, 2, 2 and 2; see test/unit/money.test.ts).
 */
const minorUnitsOtherThanTwo: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Decimals of a currency's minor unit (JPY 0, EUR 2, BHD 3); 2 for a code the list does not single out. */
export function currencyMinorUnit(currency: string): number {
  return minorUnitsOtherThanTwo[currency.toUpperCase()] ?? 2;
}
