/**
 * A small YAML subset, enough for contract files without a dependency: block mappings and sequences by
 * indentation (spaces only), `- key: value` items, flow sequences of scalars (`[a, "b c"]`), `{}` / `[]`,
 * single- and double-quoted strings, `#` comments, null / true / false / numbers. Dates stay strings.
 * Anchors, tags, multi-line scalars and multiple documents are rejected with the line number.
 */
export class YamlError extends Error {}

interface Line {
  indent: number;
  text: string;
  number: number;
}

export function parseYaml(source: string): unknown {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    if (/^\t| \t/.test(raw.match(/^[\t ]*/)![0])) throw new YamlError(`line ${i + 1}: tabs are not allowed for indentation`);
    const text = stripComment(raw).trimEnd();
    if (text.trim() === '' || text.trim() === '---') return;
    if (text.trim() === '...') return;
    lines.push({ indent: text.length - text.trimStart().length, text: text.trimStart(), number: i + 1 });
  });
  if (lines.length === 0) return null;
  const state = { at: 0 };
  const value = parseBlock(lines, state, lines[0]!.indent);
  if (state.at < lines.length) throw new YamlError(`line ${lines[state.at]!.number}: unexpected indentation`);
  return value;
}

function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"') i++;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i);
  }
  return line;
}

const isItem = (text: string) => text === '-' || text.startsWith('- ');

function parseBlock(lines: Line[], state: { at: number }, indent: number): unknown {
  const first = lines[state.at]!;
  return isItem(first.text) ? parseSequence(lines, state, indent) : parseMapping(lines, state, indent);
}

function parseSequence(lines: Line[], state: { at: number }, indent: number): unknown[] {
  const out: unknown[] = [];
  while (state.at < lines.length && lines[state.at]!.indent === indent && isItem(lines[state.at]!.text)) {
    const line = lines[state.at]!;
    const rest = line.text.slice(1).trimStart();
    if (rest === '') {
      state.at++;
      out.push(childOf(lines, state, indent));
    } else if (keyOf(rest) !== null) {
      // "- key: value": a mapping whose keys line up with the text after the dash.
      lines[state.at] = { indent: indent + (line.text.length - rest.length), text: rest, number: line.number };
      out.push(parseMapping(lines, state, lines[state.at]!.indent));
    } else {
      out.push(scalar(rest, line.number));
      state.at++;
    }
  }
  return out;
}

function parseMapping(lines: Line[], state: { at: number }, indent: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  while (state.at < lines.length && lines[state.at]!.indent === indent && !isItem(lines[state.at]!.text)) {
    const line = lines[state.at]!;
    const split = keyOf(line.text);
    if (split === null) throw new YamlError(`line ${line.number}: expected 'key: value'`);
    const [key, rest] = split;
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new YamlError(`line ${line.number}: duplicate key '${key}'`);
    state.at++;
    out[key] = rest === '' ? childOf(lines, state, indent, true) : scalar(rest, line.number);
  }
  return out;
}

/** The block under a `key:` or `-` line: deeper lines, or (for a key) a sequence at the same indent; else null. */
function childOf(lines: Line[], state: { at: number }, indent: number, sameIndentSequence = false): unknown {
  const next = lines[state.at];
  if (next && next.indent > indent) return parseBlock(lines, state, next.indent);
  if (next && sameIndentSequence && next.indent === indent && isItem(next.text)) return parseSequence(lines, state, indent);
  return null;
}

/** Splits "key: rest" (key plain or quoted); null when the text is not a mapping entry. */
function keyOf(text: string): [string, string] | null {
  let key: string;
  let after: number;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text, 0);
    if (end < 0) return null;
    key = unquote(text.slice(0, end + 1), 0);
    after = end + 1;
    if (text[after] !== ':') return null;
  } else {
    const m = /^([^:\s[\]{},#&*!|>'"%@`][^:]*?)\s*:(\s|$)/.exec(text);
    if (!m) return null;
    key = m[1]!;
    after = m[1]!.length + (text.slice(m[1]!.length).indexOf(':'));
  }
  return [key, text.slice(after + 1).trim()];
}

function closingQuote(text: string, start: number): number {
  const q = text[start]!;
  for (let i = start + 1; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

function unquote(text: string, line: number): string {
  if (text.startsWith('"')) {
    try {
      return JSON.parse(text) as string;
    } catch {
      throw new YamlError(`line ${line}: bad double-quoted string ${text}`);
    }
  }
  return text.slice(1, -1).replace(/''/g, "'");
}

function scalar(text: string, line: number): unknown {
  if (/^[&*!|>%@`]/.test(text)) throw new YamlError(`line ${line}: unsupported YAML feature '${text[0]}' (edgec reads a YAML subset; use JSON for more)`);
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = closingQuote(text, 0);
    if (end !== text.length - 1) throw new YamlError(`line ${line}: unterminated or trailing text after quoted string`);
    return unquote(text, line);
  }
  if (text.startsWith('[')) {
    if (!text.endsWith(']')) throw new YamlError(`line ${line}: flow sequences must be on one line`);
    const inner = text.slice(1, -1).trim();
    if (inner === '') return [];
    return splitFlow(inner, line).map((item) => scalar(item, line));
  }
  if (text.startsWith('{')) {
    if (text.replace(/\s/g, '') === '{}') return {};
    throw new YamlError(`line ${line}: flow mappings are not supported (use an indented block)`);
  }
  if (/^(null|Null|NULL|~)$/.test(text)) return null;
  if (/^(true|True|TRUE)$/.test(text)) return true;
  if (/^(false|False|FALSE)$/.test(text)) return false;
  if (/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(text)) return Number(text);
  return text;
}

function splitFlow(inner: string, line: number): string[] {
  const items: string[] = [];
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i]!;
    if (c === '"' || c === "'") {
      const end = closingQuote(inner, i);
      if (end < 0) throw new YamlError(`line ${line}: unterminated string`);
      i = end;
    } else if (c === '[' || c === '{') throw new YamlError(`line ${line}: nested flow collections are not supported`);
    else if (c === ',') {
      items.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  items.push(inner.slice(start).trim());
  if (items.some((s) => s === '')) throw new YamlError(`line ${line}: empty item in a flow sequence`);
  return items;
}
