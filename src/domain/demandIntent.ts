import { wordsOf } from './demandText';

/**
 * What a demand wants done, as far as words show it: which way data moves (import or export) and
 * whether something is to be there or not (add, enable, send / remove, disable, "do not").
 * "Import contacts" and "Export contacts", or "Send e-mail alerts" and "Do not send e-mail
 * alerts", share nearly every word and are opposite needs: the matcher never links across them.
 *
 * The words are fixed tables in the four languages the matcher stems, not tuning knobs: a word
 * belongs here because of what it means. Words are compared lower-case, as written; German
 * compounds count by their ending ("Rechnungsexport", "Kontaktimport").
 */

/** Words that move data in: import, upload, read in. */
const importWords: readonly string[] = [
  // English
  'import',
  'imports',
  'imported',
  'importing',
  'upload',
  'uploads',
  'uploaded',
  'uploading',
  // German
  'importieren',
  'importiert',
  'importierte',
  'importe',
  'einlesen',
  'einspielen',
  'hochladen',
  // French
  'importer',
  'importé',
  'importée',
  'importés',
  'importation',
  'importations',
  // Spanish
  'importar',
  'importación',
  'importaciones',
  'importado',
  'subir',
];

/** Words that move data out: export, download. */
const exportWords: readonly string[] = [
  // English
  'export',
  'exports',
  'exported',
  'exporting',
  'exportable',
  'download',
  'downloads',
  'downloaded',
  'downloading',
  // German
  'exportieren',
  'exportiert',
  'exportierte',
  'exporte',
  'herunterladen',
  'ausgeben',
  // French
  'exporter',
  'exporté',
  'exportée',
  'exportés',
  'exportation',
  'exportations',
  'télécharger',
  'téléchargement',
  // Spanish
  'exportar',
  'exportación',
  'exportaciones',
  'exportado',
  'descargar',
  'descarga',
];

/** German compound endings that carry a direction: "Rechnungsexport" exports, "Kontaktimport" imports. */
const compoundEndings: ReadonlyArray<{ ending: string; direction: Direction }> = [
  { ending: 'import', direction: 'import' },
  { ending: 'export', direction: 'export' },
];

/**
 * Words that ask for something to go away or stay off. A title with one of these wants the opposite
 * of one without: "Disable the alarm sound" is not "Add an alarm sound".
 */
const removalWords: readonly string[] = [
  // English
  'remove',
  'removed',
  'removing',
  'delete',
  'deleting',
  'disable',
  'disabled',
  'disabling',
  'deactivate',
  'exclude',
  'mute',
  'silence',
  'suppress',
  'drop',
  'unsubscribe',
  // German
  'entfernen',
  'löschen',
  'streichen',
  'deaktivieren',
  'deaktiviert',
  'abschalten',
  'ausschalten',
  'abschaltbar',
  'stummschalten',
  'unterdrücken',
  'weglassen',
  'herausnehmen',
  // French
  'supprimer',
  'retirer',
  'désactiver',
  'désactivé',
  'exclure',
  'enlever',
  'arrêter',
  // Spanish
  'quitar',
  'eliminar',
  'desactivar',
  'desactivado',
  'excluir',
  'silenciar',
  'suprimir',
];

/** Two-word phrases that ask for something to go away or stay off. */
const removalPhrases: readonly string[] = ['switch off', 'turn off', 'shut off', 'opt out', 'get rid'];

/** Words that say "not": a title with one wants the opposite of one without. */
const negationWords: readonly string[] = [
  // English
  'not',
  'no',
  "don't",
  'dont',
  'never',
  'without',
  'nor',
  // German
  'nicht',
  'kein',
  'keine',
  'keinen',
  'keiner',
  'keinesfalls',
  'nie',
  'niemals',
  'ohne',
  // French
  'ne',
  'pas',
  "n'",
  'jamais',
  'aucun',
  'aucune',
  'sans',
  // Spanish
  'nunca',
  'sin',
  'ningún',
  'ninguna',
  'ninguno',
];

/**
 * "Stop" orders something to end only when it opens the title ("Stop the report e-mails"); inside a
 * title it reports a symptom ("Laser scanner stops the line"), which is not an opposite intent.
 */
const removalOpeners: readonly string[] = ['stop', 'stoppen', 'cesser', 'detener', 'parar'];

type Direction = 'import' | 'export';

/** What the words of a title show: which way data moves, and whether something is to go away or not be done. */
export interface Intent {
  /** Undefined when the text names no direction, or both. */
  direction?: Direction;
  /** True when the text asks to remove, disable or not do something. */
  negative: boolean;
  /** The words that showed it, for the reason a product manager reads. */
  words: string[];
}

const importSet = new Set(importWords);
const exportSet = new Set(exportWords);
const removalSet = new Set(removalWords);
const negationSet = new Set(negationWords);

function directionOf(word: string): Direction | undefined {
  if (importSet.has(word)) return 'import';
  if (exportSet.has(word)) return 'export';
  // A compound: at least four letters before the ending, so "report" never reads as a compound of "port".
  return compoundEndings.find(({ ending }) => word.length >= ending.length + 4 && word.endsWith(ending))?.direction;
}

/**
 * The intent of a demand: from its title, which says what is asked; the direction from the
 * description too when the title names none ("Reports as spreadsheet download" / "... in Excel").
 * Negation is read in the title only: descriptions tell stories ("our technicians cannot read the
 * English reports") in which a "not" says nothing about what is asked.
 */
export function intentOf(text: { title: string; description: string }): Intent {
  const title = wordsOf(text.title);
  const words: string[] = [];
  const directions = new Set<Direction>();
  let negative = false;
  title.forEach((word, index) => {
    const direction = directionOf(word);
    if (direction) {
      directions.add(direction);
      words.push(word);
    }
    const phrase = `${word} ${title[index + 1] ?? ''}`;
    if (
      removalSet.has(word) ||
      negationSet.has(word) ||
      removalPhrases.includes(phrase) ||
      (index === 0 && removalOpeners.includes(word))
    ) {
      negative = true;
      words.push(removalPhrases.includes(phrase) ? phrase : word);
    }
  });
  if (directions.size === 0) {
    for (const word of wordsOf(text.description)) {
      const direction = directionOf(word);
      if (direction) directions.add(direction);
    }
  }
  return { ...(directions.size === 1 ? { direction: [...directions][0] } : {}), negative, words };
}

/** Why two intents are opposite needs, or undefined when they are not. */
export function oppositeIntent(a: Intent, b: Intent): string | undefined {
  if (a.direction && b.direction && a.direction !== b.direction) return `one asks to ${a.direction}, the other to ${b.direction}`;
  if (a.negative !== b.negative) {
    const [negative] = a.negative ? [a] : [b];
    return `one asks for the opposite ('${negative.words.filter((word) => !directionOf(word)).join("', '")}')`;
  }
  return undefined;
}
