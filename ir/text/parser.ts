import { allocArray, arrayFromBytes, isBigInt, isDType, roundToDType, type DType } from '../dtype.js';
import { EdgecError } from '../errors.js';
import { Graph, Node, Value, type AttrValue, type Attributes, type QuantParams } from '../graph.js';
import { getOpSchema, type AttrType } from '../ops/registry.js';
import { numel, type Tensor } from '../tensor.js';
import { UNKNOWN_DIM, type Dim, type TensorType } from '../types.js';
import { parseFloatLiteral } from './format.js';

/** Parses the IR text form written by printGraph (see printer.ts for the grammar by example). */

type TokenKind = 'punct' | 'ident' | 'number' | 'string' | 'value' | 'at' | 'eof';
interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  col: number;
}

const PUNCT = new Set(['(', ')', '[', ']', '{', '}', ',', '=', ':', '<', '>', '?']);
const BARE_CHAR = /[A-Za-z0-9_.\/-]/;
const IDENT_START = /[A-Za-z_]/;
const IDENT_CHAR = /[A-Za-z0-9_.]/;
const NUMBER = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (msg: string): never => {
    throw new EdgecError('IR_PARSE', `${line}:${i - lineStart + 1}: ${msg}`);
  };
  const readString = (): string => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      if (text[i] === '\n') fail('newline in string');
      i++;
    }
    if (i >= text.length) fail('unterminated string');
    i++;
    try {
      return JSON.parse(text.slice(start, i)) as string;
    } catch {
      return fail('bad string escape');
    }
  };
  while (i < text.length) {
    const c = text[i]!;
    const col = i - lineStart + 1;
    if (c === '\n') {
      line++;
      i++;
      lineStart = i;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '%' || c === '@') {
      i++;
      let name: string;
      if (text[i] === '"') name = readString();
      else {
        const start = i;
        while (i < text.length && BARE_CHAR.test(text[i]!)) i++;
        name = text.slice(start, i);
        if (!name) fail(`expected a name after '${c}'`);
      }
      tokens.push({ kind: c === '%' ? 'value' : 'at', text: name, line, col });
    } else if (c === '"') {
      tokens.push({ kind: 'string', text: readString(), line, col });
    } else if (/[-+0-9.]/.test(c) || text.startsWith('inf', i) || text.startsWith('nan', i)) {
      const m = NUMBER.exec(text.slice(i, i + 64));
      if (!m || (IDENT_START.test(c) && IDENT_CHAR.test(text[i + m[0].length] ?? ''))) {
        if (IDENT_START.test(c)) {
          const start = i;
          while (i < text.length && IDENT_CHAR.test(text[i]!)) i++;
          tokens.push({ kind: 'ident', text: text.slice(start, i), line, col });
          continue;
        }
        fail(`bad number`);
      }
      tokens.push({ kind: 'number', text: m![0], line, col });
      i += m![0].length;
    } else if (IDENT_START.test(c)) {
      const start = i;
      while (i < text.length && IDENT_CHAR.test(text[i]!)) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), line, col });
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: 'punct', text: c, line, col });
      i++;
    } else {
      fail(`unexpected character '${c}'`);
    }
  }
  tokens.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 });
  return tokens;
}

/** A graph attribute naming a subgraph block, resolved once every block is parsed. */
interface GraphReference {
  node: Node;
  attr: string;
  at: Token;
}

class Parser {
  private pos = 0;
  /** Values of the graph block being parsed: each block (the model graph, each subgraph) is its own scope. */
  private values = new Map<string, Value>();
  private readonly references: GraphReference[] = [];

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }
  private next(): Token {
    return this.tokens[this.pos++]!;
  }
  private fail(message: string, at: Token = this.peek()): never {
    throw new EdgecError('IR_PARSE', `${at.line}:${at.col}: ${message}`);
  }
  private isPunct(p: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === p;
  }
  private eatPunct(p: string): boolean {
    if (!this.isPunct(p)) return false;
    this.pos++;
    return true;
  }
  private expectPunct(p: string): void {
    if (!this.eatPunct(p)) this.fail(`expected '${p}', found '${this.peek().text || 'end of input'}'`);
  }
  private expectKind(kind: TokenKind, what: string): Token {
    const t = this.peek();
    if (t.kind !== kind) this.fail(`expected ${what}, found '${t.text || 'end of input'}'`);
    return this.next();
  }
  private expectKeyword(word: string): void {
    const t = this.peek();
    if (t.kind !== 'ident' || t.text !== word) this.fail(`expected '${word}', found '${t.text || 'end of input'}'`);
    this.pos++;
  }

  /** A comma-separated list between open and close. */
  private list<T>(open: string, close: string, item: () => T): T[] {
    this.expectPunct(open);
    const items: T[] = [];
    if (this.eatPunct(close)) return items;
    do items.push(item());
    while (this.eatPunct(','));
    this.expectPunct(close);
    return items;
  }

  /** The model graph, then its subgraph blocks; graph attributes are resolved to the blocks they name. */
  parseModule(): Graph {
    const blocks = new Map<string, { graph: Graph; at: Token }>();
    const order: Graph[] = [];
    while (this.peek().kind !== 'eof') {
      const at = this.peek();
      const graph = this.parseGraph();
      if (blocks.has(graph.name)) this.fail(`graph @${graph.name} is defined twice`, at);
      blocks.set(graph.name, { graph, at });
      order.push(graph);
    }
    if (order.length === 0) this.fail(`expected 'graph'`);
    const used = new Set<Graph>();
    for (const ref of this.references) {
      const block = blocks.get(ref.at.text);
      if (!block) this.fail(`graph @${ref.at.text} is not defined`, ref.at);
      if (block!.graph === order[0] || used.has(block!.graph)) this.fail(`graph @${ref.at.text} is used as a subgraph twice (or is the model graph)`, ref.at);
      used.add(block!.graph);
      ref.node.attrs[ref.attr] = block!.graph;
    }
    // Each block but the first is used once, so the blocks form a tree unless some hang in a cycle of their own.
    const reached = new Set<Graph>([order[0]!]);
    const work = [order[0]!];
    while (work.length > 0) {
      for (const node of work.pop()!.nodes) {
        for (const v of Object.values(node.attrs)) if (v instanceof Graph && !reached.has(v)) (reached.add(v), work.push(v));
      }
    }
    const stray = order.find((g) => !reached.has(g));
    if (stray) this.fail(`graph @${stray.name} is not reached from the model graph @${order[0]!.name}`, blocks.get(stray.name)!.at);
    return order[0]!;
  }

  private parseGraph(): Graph {
    this.values = new Map();
    this.expectKeyword('graph');
    const name = this.expectKind('at', 'a graph name (@name)').text;
    const graph = new Graph(name);
    const declaration = () => {
      const tok = this.expectKind('value', 'an input (%name)');
      this.expectPunct(':');
      const v = new Value(tok.text, this.parseType());
      this.parseQuant(v);
      this.parseArenaOffset(v);
      return this.define(tok, v);
    };
    graph.inputs = this.list('(', ')', declaration);
    if (this.peek().kind === 'ident' && this.peek().text === 'captures') {
      this.pos++;
      graph.captures = this.list('(', ')', declaration);
    }
    this.expectPunct('{');
    for (;;) {
      const t = this.peek();
      if (t.kind === 'ident' && t.text === 'meta') {
        this.pos++;
        const key = this.expectKind('string', 'a metadata key string').text;
        this.expectPunct('=');
        graph.metadata[key] = this.expectKind('string', 'a metadata value string').text;
      } else if (t.kind === 'ident' && t.text === 'return') {
        this.pos++;
        graph.outputs.push(this.use(this.expectKind('value', 'an output (%name)')));
        while (this.eatPunct(',')) graph.outputs.push(this.use(this.expectKind('value', 'an output (%name)')));
        break;
      } else if (t.kind === 'value') {
        this.parseDefinition(graph);
      } else {
        this.fail(`expected a definition, 'meta' or 'return', found '${t.text || 'end of input'}'`);
      }
    }
    this.expectPunct('}');
    if (this.peek().kind !== 'eof' && !(this.peek().kind === 'ident' && this.peek().text === 'graph')) this.fail('unexpected text after the graph');
    return graph;
  }

  private define(tok: Token, v: Value): Value {
    if (this.values.has(tok.text)) this.fail(`%${tok.text} is defined twice`, tok);
    this.values.set(tok.text, v);
    return v;
  }

  private use(tok: Token): Value {
    const v = this.values.get(tok.text);
    if (!v) this.fail(`%${tok.text} is not defined before this use`, tok);
    return v!;
  }

  private parseDefinition(graph: Graph): void {
    const results = [this.next()];
    while (this.eatPunct(',')) results.push(this.expectKind('value', 'a result (%name)'));
    this.expectPunct('=');
    const opTok = this.expectKind('ident', 'an op name or const');
    if (opTok.text === 'const') {
      if (results.length !== 1) this.fail('a const defines exactly one value', opTok);
      const type = this.parseType();
      const constant = new Value(results[0]!.text, type);
      this.parseQuant(constant);
      constant.data = this.parseTensorData(type);
      graph.constants.push(this.define(results[0]!, constant));
      return;
    }
    const schema = getOpSchema(opTok.text);
    if (!schema) this.fail(`unknown op '${opTok.text}'`, opTok);
    const inputs = this.list('(', ')', () => {
      const t = this.peek();
      if (t.kind === 'ident' && t.text === '_') {
        this.pos++;
        return null;
      }
      return this.use(this.expectKind('value', 'an operand (%name or _)'));
    });
    const attrs: Attributes = {};
    const subgraphs: [string, Token][] = [];
    if (this.isPunct('{')) {
      this.list('{', '}', () => {
        const key = this.expectKind('ident', 'an attribute name');
        const spec = schema!.attrs[key.text];
        if (!spec) this.fail(`op ${opTok.text} has no attribute '${key.text}'`, key);
        this.expectPunct('=');
        if (spec!.type === 'graph') subgraphs.push([key.text, this.expectKind('at', 'a subgraph name (@name)')]);
        else attrs[key.text] = this.parseAttr(spec!.type);
      });
    }
    this.expectPunct(':');
    const outputs: Value[] = [];
    do {
      const tok = results[outputs.length];
      if (!tok) this.fail(`more types than the ${results.length} results`, opTok);
      const v = new Value(tok!.text, this.parseType());
      this.parseQuant(v);
      this.parseArenaOffset(v);
      outputs.push(v);
    } while (this.eatPunct(','));
    if (outputs.length !== results.length) this.fail(`${results.length} results but ${outputs.length} types`, opTok);
    let name = '';
    if (this.peek().kind === 'at') name = this.next().text;
    const node = new Node(opTok.text, inputs, outputs, attrs, name);
    for (const [attr, at] of subgraphs) this.references.push({ node, attr, at });
    graph.nodes.push(node);
    results.forEach((tok, i) => this.define(tok, outputs[i]!));
  }

  /** The optional quantization parameters after a value's type: `q(scale, zp)` or `q[axis=A]([scales], [zps])`. */
  private parseQuant(v: Value): void {
    const t = this.peek();
    if (t.kind !== 'ident' || t.text !== 'q') return;
    this.pos++;
    const quant: QuantParams = { scale: [], zeroPoint: [] };
    if (this.eatPunct('[')) {
      this.expectKeyword('axis');
      this.expectPunct('=');
      quant.axis = this.parseNumber(false);
      this.expectPunct(']');
      this.expectPunct('(');
      quant.scale = this.list('[', ']', () => this.parseDouble());
      this.expectPunct(',');
      quant.zeroPoint = this.list('[', ']', () => this.parseNumber(false));
      if (quant.scale.length !== quant.zeroPoint.length) this.fail(`${quant.scale.length} scales but ${quant.zeroPoint.length} zero points`, t);
    } else {
      this.expectPunct('(');
      quant.scale = [this.parseDouble()];
      this.expectPunct(',');
      quant.zeroPoint = [this.parseNumber(false)];
    }
    this.expectPunct(')');
    v.quant = quant;
  }

  private parseDouble(): number {
    return parseFloatLiteral(this.expectKind('number', 'a number').text);
  }

  /** The optional `arena(N)` placement after a value's type. */
  private parseArenaOffset(v: Value): void {
    const t = this.peek();
    if (t.kind !== 'ident' || t.text !== 'arena') return;
    this.pos++;
    this.expectPunct('(');
    const offset = this.expectKind('number', 'an arena offset');
    if (!/^\d+$/.test(offset.text)) this.fail(`bad arena offset '${offset.text}'`, offset);
    v.arenaOffset = Number(offset.text);
    this.expectPunct(')');
  }

  private parseType(): TensorType {
    const tok = this.expectKind('ident', 'a dtype');
    if (!isDType(tok.text)) this.fail(`unknown dtype '${tok.text}'`, tok);
    const shape = this.list<Dim>('[', ']', () => {
      const t = this.next();
      if (t.kind === 'number' && /^\d+$/.test(t.text)) return Number(t.text);
      if (t.kind === 'ident' || t.kind === 'string') return t.text;
      if (t.kind === 'punct' && t.text === '?') return UNKNOWN_DIM;
      return this.fail(`bad dimension '${t.text}'`, t);
    });
    return { dtype: tok.text as DType, shape };
  }

  private parseNumber(float: boolean): number {
    const t = this.expectKind('number', 'a number');
    const x = parseFloatLiteral(t.text);
    if (!float && !Number.isInteger(x)) this.fail(`expected an integer, found ${t.text}`, t);
    return float ? Math.fround(x) : x;
  }

  private parseAttr(type: Exclude<AttrType, 'graph'>): AttrValue {
    switch (type) {
      case 'int':
        return this.parseNumber(false);
      case 'float':
        return this.parseNumber(true);
      case 'string':
        return this.expectKind('string', 'a string').text;
      case 'ints':
        return this.list('[', ']', () => this.parseNumber(false));
      case 'floats':
        return this.list('[', ']', () => this.parseNumber(true));
      case 'strings':
        return this.list('[', ']', () => this.expectKind('string', 'a string').text);
      case 'tensor': {
        this.expectKeyword('tensor');
        this.expectPunct('<');
        const type = this.parseType();
        const data = this.parseTensorData(type);
        this.expectPunct('>');
        return data;
      }
    }
  }

  private parseTensorData(type: TensorType): Tensor {
    const shape = type.shape;
    if (!shape.every((d): d is number => typeof d === 'number')) this.fail('constant tensors need a static shape');
    const n = numel(shape as number[]);
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '<') this.fail('constant data was elided when this IR was printed; it cannot be parsed back');
    if (t.kind === 'ident' && t.text === 'base64') {
      this.pos++;
      const body = this.expectKind('string', 'base64 data');
      const bytes = new Uint8Array(Buffer.from(body.text, 'base64'));
      const data = arrayFromBytes(type.dtype, bytes);
      if (data.length !== n) this.fail(`base64 data holds ${data.length} elements; the type needs ${n}`, body);
      return { dtype: type.dtype, shape: shape as number[], data };
    }
    const start = this.peek();
    const items = this.list('[', ']', () => this.parseElement(type.dtype));
    if (items.length !== n) this.fail(`literal holds ${items.length} elements; the type needs ${n}`, start);
    const data = allocArray(type.dtype, n);
    items.forEach((x, i) => ((data as unknown as (number | bigint)[])[i] = x));
    return { dtype: type.dtype, shape: shape as number[], data };
  }

  private parseElement(dtype: DType): number | bigint {
    const t = this.next();
    if (dtype === 'bool') {
      if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) return t.text === 'true' ? 1 : 0;
      return this.fail(`expected true or false, found '${t.text}'`, t);
    }
    if (t.kind !== 'number') return this.fail(`expected a number, found '${t.text}'`, t);
    if (isBigInt(dtype)) {
      if (!/^[-+]?\d+$/.test(t.text)) this.fail(`expected an integer, found ${t.text}`, t);
      return BigInt(t.text);
    }
    const x = parseFloatLiteral(t.text);
    return roundToDType(dtype, x);
  }
}

export function parseGraph(text: string): Graph {
  return new Parser(tokenize(text)).parseModule();
}
