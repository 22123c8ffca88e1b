// Option checks shared by the package's entry points.

/** Throw, naming the option, when `options` holds a key `known` lacks (a misspelling, or a feature such as beam search that is not there). */
export function rejectUnknownOptions(options: object, known: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new Error(`${where}: unsupported option '${key}' (supported: ${[...known].join(', ')})`);
  }
}
