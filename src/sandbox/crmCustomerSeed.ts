import type { PmsProduct } from '../domain/pmsProduct';
import type { accountSegments } from './crmCustomerApi';
import { createPrng, type Prng, weighted } from './prng';
import { defaultCatalogueSeed, generateProducts } from './seed';

/**
 * Realistic customers for the sandbox CRM: accounts with contacts, customer demands and orders.
 * The demands are what makes demand mapping worth testing: several accounts ask for the same
 * thing in different words, next to one-off requests and a few that name a SKU nobody knows.
 */

type DemandKind = 'feature-request' | 'problem' | 'need';
type DemandPriority = 'low' | 'medium' | 'high' | 'critical';

// Type aliases rather than interfaces: only aliases are assignable to the plain JSON records
// (Record<string, unknown>) the store loads.
type SeedAccount = {
  id: string;
  name: string;
  segment: (typeof accountSegments)[number];
  annualValue: number;
};

type SeedContact = {
  id: string;
  accountId: string;
  name: string;
  email: string;
  phone: string;
};

type SeedDemand = {
  id: string;
  title: string;
  description: string;
  kind: DemandKind;
  skus: string[];
  priority: DemandPriority;
  accountId: string;
  contactId: string | null;
  status: 'open' | 'closed';
  createdAt: string;
};

type SeedOrder = {
  id: string;
  accountId: string;
  orderedAt: string;
  lines: Array<{ sku: string; quantity: number }>;
};

export interface CustomerSeed {
  accounts: SeedAccount[];
  contacts: SeedContact[];
  demands: SeedDemand[];
  orders: SeedOrder[];
}

/** Fixed so every fresh sandbox CRM starts with the same customers. */
export const defaultCustomerSeed = 20240102;

/** Demands and orders only name SKUs of the first products of the default catalogue. */
export const referencedProductCount = 60;

/** A SKU no product has: demands naming it test how the bridge rejects what it cannot map. */
export const unknownSku = 'SKU-999999';

interface Wording {
  title: string;
  description: string;
}

/** One thing several accounts ask for, each in their own words, about one product line. */
export interface DemandTheme {
  key: string;
  kind: DemandKind;
  /** Product line (the noun of a product name, e.g. "Historian Licence") the demands concern. */
  line: string;
  /** How many different accounts ask, inclusive range. */
  askedBy: readonly [number, number];
  wordings: readonly Wording[];
  /** Earliest creation date, e.g. a problem that only exists since a firmware release. */
  since?: string;
}

export const demandThemes: readonly DemandTheme[] = [
  {
    key: 'excel-export',
    kind: 'feature-request',
    line: 'Historian Licence',
    askedBy: [7, 10],
    wordings: [
      {
        title: 'Export reports to Excel',
        description: 'Our controllers want to take the monthly production reports into Excel without retyping the figures.',
      },
      {
        title: 'Excel export for reports',
        description: 'Please add an Excel export to the report view. Today we copy the numbers by hand.',
      },
      {
        title: 'Download our reports as XLSX',
        description: 'Finance needs the reports as .xlsx files so they can build their own pivot tables.',
      },
      {
        title: 'Reports as spreadsheet download',
        description: 'A button that downloads any report as a spreadsheet would save our quality team hours every week.',
      },
      { title: 'Export shift reports into Excel', description: 'Shift leaders want the shift report in Excel for the morning meeting.' },
    ],
  },
  {
    key: 'single-sign-on',
    kind: 'feature-request',
    line: 'SCADA Licence',
    askedBy: [7, 10],
    wordings: [
      {
        title: 'Single sign-on with Azure AD',
        description: 'Operators should log in with their Windows accounts instead of separate passwords.',
      },
      { title: 'SAML SSO login', description: 'Our security policy requires SAML 2.0 single sign-on for every application.' },
      {
        title: 'Log in with Microsoft Entra ID',
        description: 'We are moving all tools to Entra ID and need the operator stations to follow.',
      },
      { title: 'SSO through Okta', description: 'IT asks for single sign-on via Okta so that leavers lose access on the same day.' },
    ],
  },
  {
    key: 'mobile-app',
    kind: 'need',
    line: 'Remote Access Subscription',
    askedBy: [7, 10],
    wordings: [
      {
        title: 'Mobile app for field technicians',
        description: 'Our technicians are on the road all day and need to see alarms and device status on their phones.',
      },
      {
        title: 'Smartphone app for service engineers',
        description: 'Service engineers want to acknowledge alarms from a smartphone instead of driving to the site.',
      },
      {
        title: 'Check installations from a phone',
        description: 'Maintenance staff should be able to look at live values on site without carrying a laptop.',
      },
      {
        title: 'Mobile access for maintenance crews',
        description: 'A mobile view for tablets and phones would let the crews work without calling the control room.',
      },
    ],
  },
  {
    key: 'low-stock-alerts',
    kind: 'feature-request',
    line: 'Edge Gateway',
    askedBy: [7, 10],
    wordings: [
      { title: 'Alerts when stock runs low', description: 'We want a notification before the consumables in our silos run out.' },
      { title: 'Low stock notification', description: 'Send a warning when the measured stock falls below a limit we set ourselves.' },
      {
        title: 'Warn us before material runs out',
        description: 'Production stopped twice last quarter because nobody noticed the tank was nearly empty.',
      },
      {
        title: 'E-mail alarm on minimum inventory level',
        description: 'An e-mail to purchasing when the inventory drops below the minimum level would be enough.',
      },
    ],
  },
  {
    key: 'sensor-drift',
    kind: 'problem',
    line: 'Flow Meter',
    askedBy: [7, 10],
    since: '2025-01-15T00:00:00.000Z',
    wordings: [
      {
        title: 'Sensor readings drift after firmware 2.3',
        description: 'Since the update to firmware 2.3 the readings slowly drift away from our reference meter.',
      },
      {
        title: 'Wrong flow values since the 2.3 update',
        description: 'After installing firmware 2.3 the displayed flow is off by several percent.',
      },
      {
        title: 'Measurements drift after firmware upgrade',
        description: 'Measured values drift within days of upgrading; with the old firmware they were stable.',
      },
      {
        title: 'Calibration lost after updating to firmware 2.3',
        description: 'The meters seem to lose their calibration when updated to 2.3 and have to be recalibrated on site.',
      },
    ],
  },
  {
    key: 'slow-dashboards',
    kind: 'problem',
    line: 'SCADA Licence',
    askedBy: [7, 10],
    wordings: [
      {
        title: 'Dashboard is very slow with many tags',
        description: 'With more than 20,000 tags the overview dashboard takes ages to open.',
      },
      { title: 'Screens take 30 seconds to load', description: 'Operators wait up to half a minute every time they switch screens.' },
      {
        title: 'Performance problems with large projects',
        description: 'Large projects make the runtime sluggish; our smaller plants are fine.',
      },
      {
        title: 'Trend views are slow since the last release',
        description: 'Opening a trend over one week has become very slow since the last release.',
      },
    ],
  },
  {
    key: 'opc-ua',
    kind: 'feature-request',
    line: 'PLC',
    askedBy: [3, 7],
    wordings: [
      { title: 'OPC UA server on the PLC', description: 'We want to read PLC data with OPC UA instead of a separate gateway.' },
      {
        title: 'Native OPC UA support for the controllers',
        description: 'Our new MES only speaks OPC UA; the controllers should offer it out of the box.',
      },
      {
        title: 'Connect the PLC to our MES via OPC UA',
        description: 'Integration with the MES would be much simpler with an OPC UA interface on the controller.',
      },
    ],
  },
  {
    key: 'fan-delivery',
    kind: 'need',
    line: 'Replacement Fan',
    askedBy: [3, 7],
    wordings: [
      {
        title: 'Next-day delivery for replacement fans',
        description: 'A failed fan stops the cabinet; waiting a week for a spare is not acceptable.',
      },
      { title: 'Faster shipping of spare fans', description: 'Spare fans currently take up to two weeks to arrive.' },
      { title: 'Express delivery option for fans', description: 'We would pay extra for express delivery of replacement fans.' },
    ],
  },
  {
    key: 'inverter-trips',
    kind: 'problem',
    line: 'Frequency Inverter',
    askedBy: [3, 7],
    wordings: [
      {
        title: 'Inverter trips with overcurrent fault on start-up',
        description: 'The inverter stops with an overcurrent fault when the conveyor starts under load.',
      },
      {
        title: 'Overcurrent fault when the motor starts',
        description: 'Every few starts the drive reports an overcurrent fault and has to be reset by hand.',
      },
      {
        title: 'Nuisance trips on the frequency inverter',
        description: 'Unexplained trips on start-up, although the motor is well within the rating.',
      },
    ],
  },
  {
    key: 'training-language',
    kind: 'need',
    line: 'Operator Training',
    askedBy: [3, 7],
    wordings: [
      {
        title: 'Operator training in Polish',
        description: 'Most of our operators at the new plant speak Polish; training in English does not work for them.',
      },
      { title: 'Training courses in our local language', description: 'We need the operator courses in the language of the plant staff.' },
      { title: 'Training material in Czech and Polish', description: 'Handouts and exercises should be available in Czech and Polish.' },
    ],
  },
  {
    key: 'scanner-false-trips',
    kind: 'problem',
    line: 'Laser Scanner',
    askedBy: [3, 7],
    wordings: [
      {
        title: 'Laser scanner stops the line in dusty areas',
        description: 'Near the saws the scanner stops the line several times a shift although nobody is in the field.',
      },
      {
        title: 'False trips of the safety scanner caused by dust',
        description: 'Dust in the air makes the safety scanner trip; cleaning the window only helps for an hour.',
      },
      {
        title: 'Scanner triggers without reason near the saw',
        description: 'The protective field is violated without any person or object in it.',
      },
    ],
  },
  {
    key: 'longer-fibre',
    kind: 'need',
    line: 'Fibre Optic Cable',
    askedBy: [3, 7],
    wordings: [
      {
        title: 'Fibre optic cables in 100 m lengths',
        description: 'Our halls need runs of up to 100 m; splicing shorter cables is error-prone.',
      },
      { title: 'Longer fibre cables needed', description: 'The longest fibre cable in the catalogue is too short for our new building.' },
      {
        title: 'Custom lengths above 50 m for fibre optic cable',
        description: 'Please offer pre-assembled fibre optic cables in custom lengths above 50 m.',
      },
    ],
  },
];

interface OneOff extends Wording {
  kind: DemandKind;
  line: string;
}

/** Requests only one account makes; 30 of these are picked per seed. */
const oneOffs: readonly OneOff[] = [
  {
    title: 'Modbus RTU support on the edge gateway',
    description: 'Our older meters only speak Modbus RTU over RS-485.',
    kind: 'feature-request',
    line: 'Edge Gateway',
  },
  {
    title: 'Edge gateway should buffer data during network outages',
    description: 'When the plant network is down we lose all values; a local buffer would close the gap.',
    kind: 'feature-request',
    line: 'Edge Gateway',
  },
  {
    title: 'Second setpoint on the temperature controller',
    description: 'We switch between day and night temperatures and need a second setpoint.',
    kind: 'feature-request',
    line: 'Temperature Controller',
  },
  {
    title: 'Temperature controller loses settings after a power cut',
    description: 'After a power failure the controller starts with factory settings.',
    kind: 'problem',
    line: 'Temperature Controller',
  },
  {
    title: 'Battery pack lasts only six months',
    description: 'The battery packs are specified for two years but are empty after six months in our cold store.',
    kind: 'problem',
    line: 'Battery Pack',
  },
  {
    title: 'Longer warranty on battery packs',
    description: 'We would like a three-year warranty on battery packs.',
    kind: 'need',
    line: 'Battery Pack',
  },
  {
    title: 'Display panel unreadable in direct sunlight',
    description: 'Outdoor installations cannot read the panel at midday.',
    kind: 'problem',
    line: 'Display Panel',
  },
  {
    title: 'Safety relay with more output contacts',
    description: 'We need four safe outputs per relay to avoid cascading.',
    kind: 'need',
    line: 'Safety Relay',
  },
  {
    title: 'Door switch coding is too easy to bypass',
    description: 'Operators defeat the switch with a spare actuator; we need individually coded actuators.',
    kind: 'problem',
    line: 'Safety Door Switch',
  },
  {
    title: 'Power cable with an orange jacket for outdoor use',
    description: 'Site rules require orange cable jackets outdoors.',
    kind: 'need',
    line: 'Power Cable',
  },
  {
    title: 'Stepper driver gets hot at standstill',
    description: 'The driver housing reaches 80 °C when the axis is holding position.',
    kind: 'problem',
    line: 'Stepper Driver',
  },
  {
    title: 'Soft starter with built-in bypass contactor',
    description: 'An integrated bypass would save us a contactor and cabinet space.',
    kind: 'feature-request',
    line: 'Soft Starter',
  },
  {
    title: 'Historian retention longer than five years',
    description: 'Regulators ask us to keep process data for ten years.',
    kind: 'need',
    line: 'Historian Licence',
  },
  {
    title: 'Audit trail export for FDA inspections',
    description: 'Inspectors want the audit trail as a signed PDF.',
    kind: 'need',
    line: 'Historian Licence',
  },
  {
    title: 'Engineering suite on Linux',
    description: 'Our engineering laptops are moving to Linux.',
    kind: 'feature-request',
    line: 'Engineering Suite Licence',
  },
  {
    title: 'Remote access without a VPN client',
    description: 'Our IT does not allow VPN clients on contractor laptops.',
    kind: 'feature-request',
    line: 'Remote Access Subscription',
  },
  {
    title: 'Maintenance contract with weekend coverage',
    description: 'We run seven days a week and need support on Saturdays and Sundays.',
    kind: 'need',
    line: 'Maintenance Contract',
  },
  {
    title: 'Maintenance reports in German',
    description: 'The service reports should be written in German for our works council.',
    kind: 'need',
    line: 'Maintenance Contract',
  },
  {
    title: 'Wireless option for the vibration sensor',
    description: 'Cabling rotating equipment is expensive; a wireless sensor would pay off quickly.',
    kind: 'feature-request',
    line: 'Vibration Sensor',
  },
  {
    title: 'Proximity sensor misses aluminium parts',
    description: 'Aluminium brackets are only detected at half the rated distance.',
    kind: 'problem',
    line: 'Proximity Sensor',
  },
  {
    title: 'Relay module labels wear off',
    description: 'The printed labels are unreadable after a year in an oily environment.',
    kind: 'problem',
    line: 'Relay Module',
  },
  {
    title: 'Fuse kit is missing the 2 A fuses',
    description: 'The kits we received had no 2 A fuses although the list says they should.',
    kind: 'problem',
    line: 'Fuse Kit',
  },
  {
    title: 'Safety PLC with PROFIsafe over wireless',
    description: 'Our automated guided vehicles need safe communication over Wi-Fi.',
    kind: 'feature-request',
    line: 'Safety PLC',
  },
  {
    title: 'Electronic cam profiles on the motion controller',
    description: 'Our packaging machine needs cam profiles for the cross sealer.',
    kind: 'feature-request',
    line: 'Motion Controller',
  },
  {
    title: 'Successor for the discontinued level sensor',
    description: 'We have forty of these installed and need a drop-in successor.',
    kind: 'need',
    line: 'Level Sensor',
  },
  {
    title: 'Emergency stop button with a protective collar',
    description: 'The buttons on our walkways get pressed by accident.',
    kind: 'need',
    line: 'Emergency Stop Button',
  },
  {
    title: 'Dark mode for the operator screens',
    description: 'Night shift operators find the bright screens tiring.',
    kind: 'feature-request',
    line: 'SCADA Licence',
  },
  {
    title: 'Flow meter for higher viscosities',
    description: 'We want to measure syrups up to 5,000 mPa·s.',
    kind: 'need',
    line: 'Flow Meter',
  },
  {
    title: 'Fibre connectors break when pulled through conduits',
    description: 'Two of five pre-assembled cables broke at the connector during installation.',
    kind: 'problem',
    line: 'Fibre Optic Cable',
  },
  {
    title: 'Frequency inverter in an IP66 housing',
    description: 'Wash-down areas need drives without an extra enclosure.',
    kind: 'need',
    line: 'Frequency Inverter',
  },
  {
    title: 'Quieter replacement fan',
    description: 'The new fans are noticeably louder than the originals.',
    kind: 'need',
    line: 'Replacement Fan',
  },
  {
    title: 'Operator training on our premises',
    description: 'Sending twelve operators to the training centre is too expensive; please train on site.',
    kind: 'need',
    line: 'Operator Training',
  },
  {
    title: 'Laser scanner with a longer range',
    description: 'Our new loading area needs protective fields of up to 7 m.',
    kind: 'need',
    line: 'Laser Scanner',
  },
  {
    title: 'Soft starter trips on a cold start',
    description: 'In winter the soft starter faults on the first start of the day.',
    kind: 'problem',
    line: 'Soft Starter',
  },
];

/** Optional sentences that make two demands in the same words still read like different people. */
const contextSentences = [
  'This comes up in every quarterly review with us.',
  'Several of our sites are affected.',
  'Our plant manager asked us to raise this again.',
  'We would be happy to test a beta version.',
  'This blocks the roll-out to our second plant.',
  'A workaround exists but costs us time every week.',
  'Please let us know whether this is on the roadmap.',
];

const companyNames = [
  'Hansa Kühltechnik GmbH',
  'Rheinmetallbau Schulte GmbH',
  'Alpenmilch Molkerei eG',
  'Baltic Cold Storage AB',
  'Elbe Wasserwerke GmbH',
  'Isartal Brauerei AG',
  'Weser Logistik GmbH',
  'Donau Chemie AG',
  'Nordsee Fischverarbeitung GmbH',
  'Schwarzwald Verpackung GmbH',
  'Harz Metallguss GmbH',
  'Saale Papierfabrik AG',
  'Mosel Kellerei eG',
  'Lausitz Energie Service GmbH',
  'Eifel Kunststofftechnik GmbH',
  'Spreewald Konserven GmbH',
  'Bodensee Pharma GmbH',
  'Ruhr Fördertechnik AG',
  'Allgäu Käserei GmbH',
  'Oder Stahlbau GmbH',
  'Taunus Getränke GmbH',
  'Main Druckerei GmbH',
  'Havel Recycling GmbH',
  'Erzgebirge Holzwerk GmbH',
  'Vogtland Textil GmbH',
  'Teutoburger Backwaren GmbH',
  'Sauerland Armaturen GmbH',
  'Odenwald Kältetechnik GmbH',
  'Rhön Mineralbrunnen GmbH',
  'Fichtel Glaswerk AG',
  'Kieler Hafenbetriebe GmbH',
  'Lübecker Marzipanfabrik GmbH',
  'Bremer Kaffeerösterei GmbH',
  'Dresdner Halbleiter Service GmbH',
  'Münchner Verkehrstechnik AG',
  'Kölner Zuckerraffinerie GmbH',
  'Stuttgarter Präzisionsteile GmbH',
  'Leipziger Stadtwerke Technik GmbH',
  'Hamburger Tanklager GmbH',
  'Aarhus Feed Mills A/S',
  'Tyrol Seilbahntechnik GmbH',
  'Zürcher Lebensmittel AG',
  'Gdańsk Shipyard Services Sp. z o.o.',
  'Rotterdam Bulk Terminals B.V.',
];

const firstNames = [
  'Anna',
  'Lukas',
  'Sophie',
  'Jonas',
  'Marie',
  'Felix',
  'Laura',
  'Maximilian',
  'Julia',
  'Paul',
  'Lea',
  'Tobias',
  'Katharina',
  'Stefan',
  'Sandra',
  'Michael',
  'Claudia',
  'Thomas',
  'Nina',
  'Daniel',
  'Sarah',
  'Markus',
  'Eva',
  'Jan',
  'Petra',
  'Florian',
  'Miriam',
  'Oliver',
  'Hannah',
  'Sebastian',
  'Ayşe',
  'Mehmet',
  'Piotr',
  'Agnieszka',
  'Lars',
  'Ingrid',
  'Marco',
  'Giulia',
  'Pierre',
  'Camille',
];

const lastNames = [
  'Müller',
  'Schmidt',
  'Schneider',
  'Fischer',
  'Weber',
  'Meyer',
  'Wagner',
  'Becker',
  'Schulz',
  'Hoffmann',
  'Koch',
  'Richter',
  'Klein',
  'Wolf',
  'Schröder',
  'Neumann',
  'Schwarz',
  'Zimmermann',
  'Braun',
  'Krüger',
  'Hartmann',
  'Lange',
  'Werner',
  'Krause',
  'Lehmann',
  'Köhler',
  'Yılmaz',
  'Nowak',
  'Kowalski',
  'Jensen',
  'Rossi',
  'Dubois',
  'Novák',
];

/** German landline area codes; every seeded phone number is German, as the sales team is. */
const areaCodes = ['30', '40', '89', '221', '69', '711', '341', '351', '421', '431', '211', '511'];

interface SegmentProfile {
  segment: SeedAccount['segment'];
  weight: number;
  /** Annual value range in EUR and the step it is rounded to. */
  value: readonly [number, number, number];
  /** Relative number of orders an account of this segment places. */
  orderWeight: number;
}

const segments: readonly SegmentProfile[] = [
  { segment: 'enterprise', weight: 8, value: [400_000, 2_000_000, 10_000], orderWeight: 5 },
  { segment: 'mid-market', weight: 14, value: [60_000, 400_000, 5_000], orderWeight: 3 },
  { segment: 'smb', weight: 18, value: [5_000, 60_000, 500], orderWeight: 1 },
];

/** Typical order quantity range per product category. */
const quantities: Record<string, readonly [number, number]> = {
  Cabling: [10, 500],
  'Spare Parts': [2, 100],
  Sensors: [1, 40],
  Safety: [1, 20],
  Controllers: [1, 10],
  Drives: [1, 15],
  'Software Licences': [1, 25],
  Services: [1, 5],
};

const accountCount = 40;
const oneOffCount = 30;
const orderCount = 200;
const demandHistory = [Date.UTC(2024, 0, 1), Date.UTC(2025, 5, 30)] as const;
const orderHistory = [Date.UTC(2024, 6, 1), Date.UTC(2025, 5, 30)] as const;

const pad4 = (n: number): string => String(n).padStart(4, '0');

/** "Müller" → "mueller", "Gdańsk" → "gdansk": how German companies spell names in addresses. */
function asciiFold(text: string): string {
  return text
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/Ä/g, 'Ae')
    .replace(/Ö/g, 'Oe')
    .replace(/Ü/g, 'Ue')
    .replace(/ß/g, 'ss')
    .replace(/ı/g, 'i')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '');
}

/** "Hansa Kühltechnik GmbH" → "hansa-kuehltechnik.example" (.example never resolves). */
export function companyDomain(name: string): string {
  const withoutLegalForm = name.replace(/\s+(GmbH|AG|eG|AB|A\/S|B\.V\.|Sp\. z o\.o\.)$/, '');
  const slug = asciiFold(withoutLegalForm)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  return `${slug}.example`;
}

/** The product line of a generated product: its name is "<brand> <model> <line>". */
const productLine = (product: PmsProduct): string => product.name.split(' ').slice(2).join(' ');

/** The catalogue's SKUs per product line, active products first, each list by product number. */
function skusByLine(catalogue: readonly PmsProduct[]): Map<string, string[]> {
  const byLine = new Map<string, string[]>();
  const ordered = [...catalogue.filter((p) => p.lifecycle === 'active'), ...catalogue.filter((p) => p.lifecycle !== 'active')];
  for (const product of ordered) byLine.set(productLine(product), [...(byLine.get(productLine(product)) ?? []), product.sku]);
  return byLine;
}

function isoBetween(prng: Prng, [fromMs, toMs]: readonly [number, number]): string {
  const day = new Date(fromMs + Math.floor(prng.next() * (toMs - fromMs)));
  // Working hours, to the minute: CRM entries are made by people during the day.
  day.setUTCHours(prng.int(7, 17), prng.int(0, 59), prng.int(0, 59), 0);
  return day.toISOString();
}

function generateAccounts(prng: Prng): SeedAccount[] {
  return prng.sample(companyNames, accountCount).map((name, i) => {
    const profile = weighted(prng, segments);
    const [min, max, step] = profile.value;
    return { id: `A-${pad4(i + 1)}`, name, segment: profile.segment, annualValue: Math.round(prng.int(min, max) / step) * step };
  });
}

function generateContacts(prng: Prng, accounts: readonly SeedAccount[]): SeedContact[] {
  const contacts: SeedContact[] = [];
  for (const account of accounts) {
    const domain = companyDomain(account.name);
    const count = prng.int(2, 3);
    const lasts = prng.sample(lastNames, count);
    for (const last of lasts) {
      const first = prng.pick(firstNames);
      const phone = `+49 ${prng.pick(areaCodes)} ${prng.int(100_000, 9_999_999)}`;
      contacts.push({
        id: `C-${pad4(contacts.length + 1)}`,
        accountId: account.id,
        name: `${first} ${last}`,
        email: `${asciiFold(first).toLowerCase()}.${asciiFold(last).toLowerCase()}@${domain}`,
        phone,
      });
    }
  }
  return contacts;
}

const priorityWeights: Record<DemandKind, ReadonlyArray<{ value: DemandPriority; weight: number }>> = {
  problem: [
    { value: 'low', weight: 1 },
    { value: 'medium', weight: 3 },
    { value: 'high', weight: 4 },
    { value: 'critical', weight: 2 },
  ],
  'feature-request': [
    { value: 'low', weight: 3 },
    { value: 'medium', weight: 5 },
    { value: 'high', weight: 3 },
    { value: 'critical', weight: 1 },
  ],
  need: [
    { value: 'low', weight: 2 },
    { value: 'medium', weight: 5 },
    { value: 'high', weight: 3 },
    { value: 'critical', weight: 1 },
  ],
};

/** A demand before it gets its id (ids follow creation order, assigned once all exist). */
type DraftDemand = Omit<SeedDemand, 'id'>;

/**
 * Builds demands for one account. Contact data never goes into titles or descriptions: the bridge
 * copies those into the PMS, and personal data must stay in the CRM.
 */
function demandFor(
  prng: Prng,
  account: SeedAccount,
  contacts: readonly SeedContact[],
  request: Wording & { kind: DemandKind; skus: string[]; since?: string },
): DraftDemand {
  const own = contacts.filter((contact) => contact.accountId === account.id);
  const context = prng.chance(0.5) ? ` ${prng.pick(contextSentences)}` : '';
  const from = request.since === undefined ? demandHistory[0] : Math.max(demandHistory[0], Date.parse(request.since));
  return {
    title: request.title,
    description: `${request.description}${context}`,
    kind: request.kind,
    skus: request.skus,
    priority: weighted(prng, priorityWeights[request.kind]).value,
    accountId: account.id,
    contactId: own.length === 0 || prng.chance(0.1) ? null : prng.pick(own).id,
    status: prng.chance(0.12) ? 'closed' : 'open',
    createdAt: isoBetween(prng, [from, demandHistory[1]]),
  };
}

function generateDemands(
  prng: Prng,
  accounts: readonly SeedAccount[],
  contacts: readonly SeedContact[],
  lines: Map<string, string[]>,
  fallbackSku: string,
): SeedDemand[] {
  const skusOf = (line: string): string[] => lines.get(line) ?? [fallbackSku];
  const drafts: DraftDemand[] = [];
  for (const theme of demandThemes) {
    const [primary, secondary] = skusOf(theme.line);
    const askers = prng.sample(accounts, prng.int(theme.askedBy[0], theme.askedBy[1]));
    // Wordings go round in a shuffled order, so every theme is asked in at least three wordings.
    const wordings = prng.sample(theme.wordings, theme.wordings.length);
    askers.forEach((account, i) => {
      const wording = wordings[i % wordings.length] as Wording;
      const skus = [primary ?? fallbackSku, ...(secondary !== undefined && prng.chance(0.2) ? [secondary] : [])];
      drafts.push(demandFor(prng, account, contacts, { ...wording, kind: theme.kind, skus, since: theme.since }));
    });
  }
  for (const oneOff of prng.sample(oneOffs, oneOffCount)) {
    const sku = prng.pick(skusOf(oneOff.line));
    drafts.push(demandFor(prng, prng.pick(accounts), contacts, { ...oneOff, skus: [sku] }));
  }
  const sensorSku = prng.pick(skusOf('Proximity Sensor'));
  drafts.push(
    demandFor(prng, prng.pick(accounts), contacts, {
      title: 'Replacement display for the old XR-200 terminal',
      description: 'We still run two XR-200 terminals and need spare displays; the article number is from an old price list.',
      kind: 'need',
      skus: [unknownSku],
    }),
    demandFor(prng, prng.pick(accounts), contacts, {
      title: 'Bundle price for sensors with mounting kit',
      description: 'We always order the proximity sensors together with the old mounting kit article and would like one bundle price.',
      kind: 'need',
      skus: [sensorSku, unknownSku],
    }),
  );
  // Ids in creation order, as a CRM numbers records: the clusters end up interleaved in time.
  return drafts.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((draft, i) => ({ id: `D-${pad4(i + 1)}`, ...draft }));
}

function generateOrders(prng: Prng, accounts: readonly SeedAccount[], catalogue: readonly PmsProduct[]): SeedOrder[] {
  const orderable = catalogue.filter((product) => product.lifecycle === 'active');
  const buyers = accounts.map((account) => ({
    account,
    weight: segments.find((profile) => profile.segment === account.segment)?.orderWeight ?? 1,
  }));
  const drafts = Array.from({ length: orderCount }, () => {
    const lines = prng.sample(orderable, prng.int(1, 4)).map((product) => {
      const [min, max] = quantities[product.category] ?? [1, 10];
      return { sku: product.sku, quantity: prng.int(min, max) };
    });
    return { accountId: weighted(prng, buyers).account.id, orderedAt: isoBetween(prng, orderHistory), lines };
  });
  return drafts.sort((a, b) => a.orderedAt.localeCompare(b.orderedAt)).map((draft, i) => ({ id: `O-${pad4(i + 1)}`, ...draft }));
}

/**
 * Generates the sandbox CRM's customers: 40 accounts with 2-3 contacts each, about 110 demands
 * (twelve themes each asked by several accounts in different words, 30 one-off requests and two
 * naming the unknown SKU-999999) and 200 orders. The same seed always gives the same customers.
 * Every SKU named, except SKU-999999, is one of the first 60 products of the default catalogue.
 */
export function generateCustomers(seed: number = defaultCustomerSeed): CustomerSeed {
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be a whole number, got ${seed}`);
  const prng = createPrng(seed);
  const catalogue = generateProducts(referencedProductCount, defaultCatalogueSeed);
  const lines = skusByLine(catalogue);
  const fallbackSku = catalogue.find((product) => product.lifecycle === 'active')?.sku ?? 'SKU-000001';
  const accounts = generateAccounts(prng);
  const contacts = generateContacts(prng, accounts);
  const demands = generateDemands(prng, accounts, contacts, lines, fallbackSku);
  const orders = generateOrders(prng, accounts, catalogue);
  return { accounts, contacts, demands, orders };
}
