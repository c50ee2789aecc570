import type { EcwidConfigProblem } from './ecwid-config.error';
import { OTHER_TOP_LEVEL_OPTIONS } from './ecwid-config.fields';
import { isPlainObject } from './ecwid-config.view';

/** Nested options not read through the resolver's field table. */
const OTHER_NESTED = ['webhooks.decorators', 'polling.startFrom'];
/** Groups a Cloud Elements instance JSON may fill with fields of its own, so unknown keys there are not mistakes. */
const FREE_FORM_GROUPS = new Set(['element']);

/** Edits (insert, delete, substitute) between two short names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The known name `name` is most likely a slip for: the same but for case, or one edit away (two, for long names). */
function nearest(name: string, known: Iterable<string>): string | undefined {
  const allowed = name.length > 5 ? 2 : 1;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === name.toLowerCase() ? 0 : distance(name, candidate);
    if (d <= allowed && d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

/**
 * Option names that are slips: a top-level name one edit from a known one (`clientSecrett`, `hydrat`, `webhook`),
 * which would otherwise be ignored and leave its setting at the default, and any unknown name inside a group the
 * module owns (`webhooks.enable`). Other top-level names are let through, as a Cloud Elements instance JSON given
 * verbatim carries fields of its own.
 */
export function misspeltOptions(options: object, canonicalPaths: readonly (readonly string[])[]): EcwidConfigProblem[] {
  const paths = [...canonicalPaths.map((path) => path.join('.')), ...OTHER_TOP_LEVEL_OPTIONS, ...OTHER_NESTED];
  const topLevel = new Set(paths.map((path) => path.split('.')[0]));
  const nested = new Map<string, Set<string>>();
  for (const path of paths) {
    const [group, name] = path.split('.');
    if (name === undefined || FREE_FORM_GROUPS.has(group)) continue;
    nested.set(group, (nested.get(group) ?? new Set()).add(name));
  }
  const problems: EcwidConfigProblem[] = [];
  for (const [name, value] of Object.entries(options)) {
    if (!topLevel.has(name)) {
      const meant = nearest(name, topLevel);
      if (meant !== undefined) problems.push({ key: name, message: `is not an option; did you mean "${meant}"?` });
      continue;
    }
    const known = nested.get(name);
    if (known === undefined || !isPlainObject(value)) continue;
    for (const inner of Object.keys(value)) {
      if (known.has(inner)) continue;
      const meant = nearest(inner, known);
      const hint = meant === undefined ? `; its options are ${[...known].join(', ')}` : `; did you mean "${meant}"?`;
      problems.push({ key: `${name}.${inner}`, message: `is not an option of ${name}${hint}` });
    }
  }
  return problems;
}
