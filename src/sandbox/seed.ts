import type { LifecycleStatus, PmsProduct } from '../domain/pmsProduct';
import { createPrng, type Prng, weighted } from './prng';

/** A kind of product within a category: its noun and the prefix of its model codes. */
interface ProductLine {
  noun: string;
  code: string;
}

interface Category {
  name: string;
  lines: readonly ProductLine[];
  features: readonly string[];
  /** Typical list price range in EUR before conversion. */
  priceEur: readonly [number, number];
  /** First sentence of the description. */
  intro(noun: string, prng: Prng): string;
  /** Optional follow-up sentences; one or two are appended. */
  details: readonly string[];
}

const brands = ['Vectra', 'Nordlys', 'Kestrel', 'Axion', 'Tamaru', 'Brightwell', 'Orbis', 'Calder', 'Ferrox', 'Lumen'];

const applications = [
  'process water treatment',
  'packaging lines',
  'HVAC plants',
  'food and beverage production',
  'mobile machinery',
  'chemical dosing',
  'conveyor systems',
  'cold-chain storage',
];

const categories: readonly Category[] = [
  {
    name: 'Sensors',
    lines: [
      { noun: 'Temperature Sensor', code: 'TS' },
      { noun: 'Pressure Transmitter', code: 'PT' },
      { noun: 'Proximity Sensor', code: 'PX' },
      { noun: 'Flow Meter', code: 'FM' },
      { noun: 'Level Sensor', code: 'LS' },
      { noun: 'Vibration Sensor', code: 'VS' },
    ],
    features: [
      'IP67 housing',
      '4-20 mA output',
      'IO-Link',
      'M12 connector',
      'Stainless steel probe',
      'HART protocol',
      'ATEX zone 2',
      'Self-diagnostics',
      '-40 to 125 °C range',
      'Factory calibrated',
    ],
    priceEur: [29, 890],
    intro: (noun, prng) => `Industrial ${noun.toLowerCase()} for ${prng.pick(applications)}.`,
    details: [
      'Calibration certificate included.',
      'Mounts with a standard G1/2 thread.',
      'Drop-in replacement for most legacy units.',
      'Long-term drift below 0.1 % per year.',
    ],
  },
  {
    name: 'Controllers',
    lines: [
      { noun: 'PLC', code: 'CX' },
      { noun: 'Motion Controller', code: 'MC' },
      { noun: 'Temperature Controller', code: 'TC' },
      { noun: 'Edge Gateway', code: 'EG' },
      { noun: 'Safety PLC', code: 'SP' },
    ],
    features: [
      'OPC UA server',
      'EtherCAT master',
      'PROFINET',
      'Modbus TCP',
      'Dual Ethernet',
      'Web-based configuration',
      'DIN-rail mount',
      'Hot-swappable I/O',
      'Real-time clock',
      'Secure boot',
    ],
    priceEur: [240, 6400],
    intro: (noun, prng) => `Compact ${noun} that runs ${prng.pick(applications)} with deterministic cycle times.`,
    details: ['Programmable in IEC 61131-3 languages.', 'Firmware updates are signed.', 'Expandable with up to 32 I/O modules.'],
  },
  {
    name: 'Drives',
    lines: [
      { noun: 'Frequency Inverter', code: 'FI' },
      { noun: 'Servo Drive', code: 'SD' },
      { noun: 'Stepper Driver', code: 'ST' },
      { noun: 'Soft Starter', code: 'SS' },
    ],
    features: [
      'Safe Torque Off',
      'Sensorless vector control',
      'Integrated EMC filter',
      'Energy-saving mode',
      'Regenerative braking',
      'STO SIL 3',
      'Fieldbus option slot',
      'Conformal coating',
    ],
    priceEur: [180, 9800],
    intro: (noun, prng) => `${noun} rated for continuous duty in ${prng.pick(applications)}.`,
    details: [
      'Auto-tuning gets a motor running in minutes.',
      'Available in 230 V and 400 V variants.',
      'Side-by-side mounting saves cabinet space.',
    ],
  },
  {
    name: 'Software Licences',
    lines: [
      { noun: 'SCADA Licence', code: 'SL' },
      { noun: 'Engineering Suite Licence', code: 'ES' },
      { noun: 'Historian Licence', code: 'HL' },
      { noun: 'Remote Access Subscription', code: 'RA' },
    ],
    features: [
      'Perpetual licence',
      'Annual subscription',
      'Floating seats',
      'Unlimited tags',
      'Cloud backup',
      'Role-based access',
      'Audit trail',
      'Multi-site support',
      'Priority support',
    ],
    priceEur: [99, 24000],
    intro: (noun) => `${noun} for plant-wide engineering and operations.`,
    details: ['Delivered as a licence key by e-mail.', 'Includes twelve months of updates.', 'Runs on Windows and Linux servers.'],
  },
  {
    name: 'Safety',
    lines: [
      { noun: 'Light Curtain', code: 'LC' },
      { noun: 'Safety Relay', code: 'SR' },
      { noun: 'Emergency Stop Button', code: 'ES' },
      { noun: 'Safety Door Switch', code: 'DS' },
      { noun: 'Laser Scanner', code: 'LZ' },
    ],
    features: [
      'PL e / Cat. 4',
      'SIL 3',
      'Muting function',
      'Tamper-proof coding',
      'Diagnostic LEDs',
      'Cascadable',
      'IP69K',
      'Illuminated actuator',
    ],
    priceEur: [45, 4200],
    intro: (noun, prng) => `Certified ${noun.toLowerCase()} protecting operators of ${prng.pick(applications)}.`,
    details: ['TÜV certified.', 'Wiring diagrams are printed inside the cover.', 'Meets EN ISO 13849-1.'],
  },
  {
    name: 'Cabling',
    lines: [
      { noun: 'Sensor Cable', code: 'KC' },
      { noun: 'Ethernet Patch Cable', code: 'EP' },
      { noun: 'Power Cable', code: 'PC' },
      { noun: 'Fibre Optic Cable', code: 'FO' },
    ],
    features: [
      'Halogen-free',
      'Drag-chain rated',
      'Shielded',
      'UL listed',
      'Oil resistant',
      'UV resistant',
      'Pre-assembled',
      'Colour-coded cores',
    ],
    priceEur: [4, 240],
    intro: (noun, prng) => `${noun} in lengths from 1 to ${prng.pick([10, 25, 50])} metres.`,
    details: ['Sold per piece.', 'Moulded connectors resist vibration.', 'Rated for 10 million bending cycles.'],
  },
  {
    name: 'Services',
    lines: [
      { noun: 'Commissioning Service', code: 'CS' },
      { noun: 'Maintenance Contract', code: 'MT' },
      { noun: 'Operator Training', code: 'OT' },
      { noun: 'Remote Support Package', code: 'RS' },
    ],
    features: [
      'On-site visit',
      'Remote sessions',
      '24/7 hotline',
      'Next-business-day response',
      'Certificate of completion',
      'Spare parts discount',
      'Annual inspection',
      'Documentation package',
    ],
    priceEur: [150, 18000],
    intro: (noun, prng) => `${noun} delivered by certified engineers for ${prng.pick(applications)}.`,
    details: ['Booked in half-day units.', 'Travel costs are invoiced separately.', 'Available in English, German and Swedish.'],
  },
  {
    name: 'Spare Parts',
    lines: [
      { noun: 'Replacement Fan', code: 'RF' },
      { noun: 'Relay Module', code: 'RM' },
      { noun: 'Fuse Kit', code: 'FK' },
      { noun: 'Battery Pack', code: 'BP' },
      { noun: 'Display Panel', code: 'DP' },
    ],
    features: ['OEM quality', 'Tool-free replacement', 'Long shelf life', 'RoHS compliant', 'Pre-configured', 'Two-year warranty'],
    priceEur: [3, 650],
    intro: (noun) => `Original ${noun.toLowerCase()} for field replacement.`,
    details: ['Keep one in stock per installed unit.', 'Fits all current hardware revisions.', 'Shipped in ESD-safe packaging.'],
  },
];

/** Currency, its rough rate to EUR, and how many decimals its prices have. */
const currencies = [
  { code: 'EUR', rate: 1, decimals: 2, weight: 40 },
  { code: 'USD', rate: 1.08, decimals: 2, weight: 25 },
  { code: 'GBP', rate: 0.86, decimals: 2, weight: 12 },
  { code: 'CHF', rate: 0.95, decimals: 2, weight: 8 },
  { code: 'SEK', rate: 11.5, decimals: 2, weight: 8 },
  { code: 'JPY', rate: 160, decimals: 0, weight: 7 },
] as const;

const lifecycles: ReadonlyArray<{ value: LifecycleStatus; weight: number }> = [
  { value: 'active', weight: 80 },
  { value: 'draft', weight: 12 },
  { value: 'discontinued', weight: 8 },
];

/**
 * The seed of the catalogue a fresh sandbox PMS starts with, fixed so every sandbox has the same
 * products. The customer seed reads it too: its demands and orders name real SKUs of that catalogue.
 */
export const defaultCatalogueSeed = 20240101;

/** Seeded products carry timestamps from here on, one minute apart, so they look like history. */
const historyStartMs = Date.UTC(2024, 0, 1);

function price(prng: Prng, category: Category): PmsProduct['price'] {
  const currency = weighted(prng, currencies);
  const [min, max] = category.priceEur;
  const amount = (min + prng.next() * (max - min)) * currency.rate;
  if (currency.decimals === 0) return { amount: Math.max(10, Math.round(amount / 10) * 10), currency: currency.code };
  // Shop-like endings (.00, .50, .90, .99) instead of arbitrary cents.
  const cents = prng.pick([0, 0.5, 0.9, 0.99]);
  return { amount: Math.floor(amount) + cents, currency: currency.code };
}

function description(prng: Prng, category: Category, noun: string): string {
  const extra = prng.sample(category.details, prng.int(0, 2));
  return [category.intro(noun, prng), ...extra].join(' ');
}

function stock(prng: Prng, lifecycle: LifecycleStatus): number {
  if (lifecycle === 'discontinued' && prng.chance(0.6)) return 0;
  return prng.chance(0.08) ? 0 : prng.int(1, 5000);
}

const pad = (n: number): string => String(n).padStart(6, '0');

/** Mixes the run seed with the product number, so product n is the same whatever `startAt` is. */
function productSeed(seed: number, n: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x01000193) ^ Math.imul(n, 0x9e3779b1)) >>> 0;
}

function generateProduct(seed: number, n: number): PmsProduct {
  const prng = createPrng(productSeed(seed, n));
  const category = prng.pick(categories);
  const line = prng.pick(category.lines);
  const lifecycle = weighted(prng, lifecycles).value;
  const model = `${line.code}-${prng.int(1, 99) * 10}${prng.chance(0.3) ? prng.pick(['X', 'S', 'E', 'L']) : ''}`;
  return {
    id: `P-${pad(n)}`,
    sku: `SKU-${pad(n)}`,
    name: `${prng.pick(brands)} ${model} ${line.noun}`,
    description: description(prng, category, line.noun),
    category: category.name,
    price: price(prng, category),
    stock: stock(prng, lifecycle),
    features: prng.sample(category.features, prng.int(2, 6)),
    lifecycle,
    updatedAt: new Date(historyStartMs + (n - 1) * 60_000).toISOString(),
    deleted: false,
  };
}

/**
 * Generates `count` realistic products with ids `P-<startAt>` onwards. The same seed always gives
 * the same products, and product n does not depend on `startAt`, so a catalogue can be grown in
 * steps. Every product satisfies `pmsProductSchema`.
 */
export function generateProducts(count: number, seed: number, startAt = 1): PmsProduct[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a whole number >= 0, got ${count}`);
  if (!Number.isInteger(startAt) || startAt < 1) throw new RangeError(`startAt must be a whole number >= 1, got ${startAt}`);
  return Array.from({ length: count }, (_, i) => generateProduct(seed, startAt + i));
}
