/**
 * The Orama stemmer and stop word packages publish their languages as package "exports"
 * (`@orama/stemmers/german`); this project's TypeScript resolution (moduleResolution "node") does not
 * read "exports", so each language used is declared here from the package's own type file.
 */
declare module '@orama/stemmers/english' {
  export * from '@orama/stemmers/dist/en';
}
declare module '@orama/stemmers/german' {
  export * from '@orama/stemmers/dist/de';
}
declare module '@orama/stemmers/french' {
  export * from '@orama/stemmers/dist/fr';
}
declare module '@orama/stemmers/spanish' {
  export * from '@orama/stemmers/dist/es';
}
declare module '@orama/stopwords/english' {
  export * from '@orama/stopwords/dist/en';
}
declare module '@orama/stopwords/german' {
  export * from '@orama/stopwords/dist/de';
}
declare module '@orama/stopwords/french' {
  export * from '@orama/stopwords/dist/fr';
}
declare module '@orama/stopwords/spanish' {
  export * from '@orama/stopwords/dist/es';
}
