/**
 * Ecwid's `responseFields`: names separated by commas, each optionally followed by a parenthesised selection of its
 * own fields, e.g. `total,items(id,email,items(sku,price))`. The names map to the selections below them (none: the
 * whole value).
 */
export type EcwidFieldSelection = Map<string, EcwidFieldSelection | undefined>;

/** Parses `responseFields`; a TypeError names the position of a syntax error. */
export function parseResponseFields(text: string): EcwidFieldSelection {
  let at = 0;
  const fail = (what: string): TypeError =>
    new TypeError(`responseFields ${JSON.stringify(text.slice(0, 200))}: ${what} at position ${at}`);

  const list = (): EcwidFieldSelection => {
    const fields: EcwidFieldSelection = new Map();
    for (;;) {
      const start = at;
      while (at < text.length && !',()'.includes(text[at])) at++;
      const name = text.slice(start, at).trim();
      if (name === '') throw fail('a field name is missing');
      let inner: EcwidFieldSelection | undefined;
      if (text[at] === '(') {
        at++;
        inner = list();
        if (text[at] !== ')') throw fail('")" is missing');
        at++;
        while (text[at] === ' ') at++;
      }
      fields.set(name, inner);
      if (text[at] !== ',') return fields;
      at++;
    }
  };

  const selection = list();
  if (at !== text.length) throw fail(`unexpected "${text[at]}"`);
  return selection;
}

/** What `selection` keeps of `value`; arrays are selected element by element, and absent fields stay absent. */
export function selectFields(value: unknown, selection: EcwidFieldSelection): unknown {
  if (Array.isArray(value)) return value.map((element) => selectFields(element, selection));
  if (value === null || typeof value !== 'object') return value;
  const picked: Record<string, unknown> = {};
  for (const [name, inner] of selection) {
    if (!Object.prototype.hasOwnProperty.call(value, name)) continue;
    const field = (value as Record<string, unknown>)[name];
    picked[name] = inner ? selectFields(field, inner) : field;
  }
  return picked;
}

/** `selection` written as `responseFields`. */
function formatResponseFields(selection: EcwidFieldSelection): string {
  return [...selection].map(([name, inner]) => (inner ? `${name}(${formatResponseFields(inner)})` : name)).join(',');
}

/**
 * `responseFields` for a page walk: on a search it selects from the page (`total`, `items(...)`), so it must keep
 * `items`. `total` is added for the walk to know where to stop, and the items' `id` to know what it already yielded.
 */
export function pagingResponseFields(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const selection = parseResponseFields(text);
  if (!selection.has('items')) {
    throw new TypeError(
      `responseFields ${JSON.stringify(text.slice(0, 200))} keeps no items: on a search it selects from the page, so write items(id,email) rather than id,email`,
    );
  }
  const items = selection.get('items');
  if (selection.has('total') && (items === undefined || items.has('id'))) return text;
  if (items && !items.has('id')) items.set('id', undefined);
  if (!selection.has('total')) selection.set('total', undefined);
  return formatResponseFields(selection);
}
