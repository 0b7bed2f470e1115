import { arrayToBytes, dtypeBytes, EdgecError, numel, type Graph, type Node, type Value } from '../../ir/index.js';
import { ELF_SEAL_NOTE_BYTES, ELF_SEAL_NOTE_TYPE, ELF_SEAL_OWNER, ELF_SEAL_SECTION } from '../../runtime/formats/elf-seal-note.js';
import { encodeRvvIoTable, RVV_IO_SECTION, type RvvIoEntry } from '../../runtime/formats/rvv-io.js';
import { checkCompilable, unsupportedBy } from '../shared/compilable.js';
import { ConstantPool } from '../shared/constant-pool.js';
import { C_TYPES, type CEmitContext, type RvvKernel } from './kernel.js';
import { checkNode } from '../shared/kernel.js';
import { planKey } from '../shared/plan-key.js';
import { rvvKernelFor, RVV_KERNELS } from './kernels/index.js';
import { PRELUDE } from './prelude.js';

/**
 * C code generation for RISC-V Vector 1.0. A compiled model is four generated sources:
 *
 *   model.c         the kernels (RVV intrinsics, VLEN-agnostic), one noinline function per node, a static
 *                   arena planned by plan-memory, a static scratch area, and edgec_model_run()
 *   edgec_model.h   the C API and the I/O descriptors
 *   weights.bin     every constant and packed weight panel, 64-byte aligned, linked by weights.S (.incbin),
 *                   so tens of MB of weights never go through the C compiler as text
 *   main.c          a static test program: reads each input from a file, checks its size, runs, writes outputs
 *
 * model.c also reserves the seal: an ELF note `.note.edgec.seal` (owner "edgec") whose descriptor the
 * compiler fills after linking (layout: runtime/formats/elf-seal-note.ts), and carries the I/O signature in an
 * ELF section `.edgec.io` (runtime/formats/rvv-io.ts).
 */
export type { RvvIoEntry };

const WEIGHT_ALIGN = 64;
const align = (n: number, a: number) => Math.ceil(n / a) * a;

export interface RvvSources {
  modelC: string;
  header: string;
  mainC: string;
  weightsS: string;
  weights: Uint8Array;
  inputs: RvvIoEntry[];
  outputs: RvvIoEntry[];
  arenaBytes: number;
  scratchBytes: number;
  /** One entry per node function: its C name, the node's label and op (for per-kernel reports). */
  nodes: { symbol: string; label: string; op: string }[];
}

/** The reason a node cannot be compiled for rvv, or null. */
const checkRvv = (node: Node): string | null => RVV_KERNELS.check(node);

/** Every node the rvv target cannot compile, with the reason, reported together before any code is made. */
export function unsupportedByRvv(graph: Graph): { node: Node; reason: string }[] {
  return unsupportedBy(graph, checkRvv);
}

const cString = (s: string): string => JSON.stringify(s).replace(/\?/g, '\\?');
const cType = (v: Value): string => C_TYPES[v.type.dtype] ?? 'uint8_t';

/**
 * Writes the C of one or more graphs into one translation unit: the prelude and every helper once, each
 * graph's nodes as functions named with its prefix, one arena and one scratch area sized for the largest graph
 * (graphs run one after another), and one weights blob.
 */
export class ModelWriter {
  /** The weights blob: 64-byte aligned entries (a cache line, and any vector load), placed once per key. */
  private readonly blob = new ConstantPool(0, WEIGHT_ALIGN);
  private readonly helpers: string[] = [];
  private readonly helperKeys = new Set<string>();
  /** C name → plan key of each planned helper, so two plans cannot share one C function name. */
  private readonly helperNames = new Map<string, string>();
  private readonly bodies: string[] = [];
  private arenaBytes = 64;
  private scratchBytes = 64;
  private scratchAllowed = 0;
  private keyPrefix = '';
  readonly ctx: CEmitContext;

  /** `kernelFor` picks each node's kernel family (the benchmarks swap in plain-C baselines). */
  constructor(private readonly kernelFor: (op: string) => RvvKernel | undefined = rvvKernelFor) {
    const blob = this.blob;
    this.ctx = {
      ptr(v) {
        if (v.arenaOffset !== undefined) return `((${cType(v)} *)(edgec_arena + ${v.arenaOffset}))`;
        if (!v.data) throw new EdgecError('VERIFY', `%${v.name} is neither placed in the arena nor a constant`);
        const at = blob.place(`const:${v.name}:${blob.identity(v.data.data)}`, arrayToBytes(v.data.dtype, v.data.data));
        return `((${cType(v)} *)(edgec_weights + ${at}))`;
      },
      // Keys name values and nodes of one graph: the graph's prefix keeps bundled graphs apart.
      weightsF32: (key, data) => `((float *)(edgec_weights + ${this.blob.place(this.keyPrefix + key, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))}))`,
      weightsBytes: (key, bytes) => `((uint8_t *)(edgec_weights + ${this.blob.place(this.keyPrefix + key, bytes)}))`,
      scratch: (bytes) => {
        if (bytes > this.scratchAllowed) throw new EdgecError('VERIFY', `an rvv kernel asked for ${bytes} scratch bytes but declared ${this.scratchAllowed}`);
        return '((float *)edgec_scratch)';
      },
      helper: (key, code) => {
        if (this.helperKeys.has(key)) return;
        this.helperKeys.add(key);
        this.helpers.push(code());
      },
      planHelper: (kind, plan, name, code) => {
        const key = planKey(kind, plan);
        const cName = name(plan);
        const owner = this.helperNames.get(cName);
        if (owner !== undefined && owner !== key) throw new EdgecError('VERIFY', `rvv helpers ${owner} and ${key} share the C name ${cName}`);
        this.helperNames.set(cName, key);
        if (!this.helperKeys.has(key)) {
          this.helperKeys.add(key);
          this.helpers.push(code(cName, plan));
        }
        return cName;
      },
    };
  }

  /** Adds a graph (after plan-memory); returns its node functions and the statements of its run function. */
  addGraph(graph: Graph, prefix: string): { nodes: RvvSources['nodes']; inputs: RvvIoEntry[]; outputs: RvvIoEntry[]; run: string[] } {
    checkCompilable(graph, 'rvv', (node) => checkNode(node, 'rvv', this.kernelFor(node.op)));
    this.keyPrefix = prefix;
    this.arenaBytes = Math.max(this.arenaBytes, align(Number(graph.metadata['edgec.arena_bytes'] ?? 0), 64));
    const nodes = graph.nodes.map((node, i) => ({ symbol: `${prefix}node_${i}`, label: node.label, op: node.op }));
    graph.nodes.forEach((node, i) => {
      const kernel = this.kernelFor(node.op)!;
      this.scratchAllowed = kernel.scratchBytes?.(node) ?? 0;
      this.scratchBytes = Math.max(this.scratchBytes, align(this.scratchAllowed, 64));
      const body = kernel.emit(node, this.ctx);
      const comment = `/* ${node.op} '${node.label}' */`.replace(/\*\/(?!$)/g, '* /');
      this.bodies.push(`${comment}\nstatic __attribute__((noinline)) void ${nodes[i]!.symbol}(void) {\n${indent(body)}\n}\n`);
    });
    const entry = (v: Value): RvvIoEntry => ({ name: v.name, dtype: v.type.dtype, shape: v.type.shape as number[], bytes: numel(v.type.shape as number[]) * dtypeBytes(v.type.dtype) });
    const inputs = graph.inputs.map(entry);
    const outputs = graph.outputs.map(entry);
    const run = [
      ...graph.inputs.map((v, i) => `  memcpy(${this.ctx.ptr(v)}, inputs[${i}], ${inputs[i]!.bytes});`),
      ...nodes.map((n) => `  ${n.symbol}();`),
      ...graph.outputs.map((v, i) => `  memcpy(outputs[${i}], ${this.ctx.ptr(v)}, ${outputs[i]!.bytes});`),
    ];
    return { nodes, inputs, outputs, run };
  }

  /** The C before the run functions: includes, arena, scratch, prelude, helpers and node functions. */
  source(extra: string[] = []): string {
    return [
      '/* Generated by edgec for RISC-V Vector 1.0 (VLEN-agnostic). Do not edit. */',
      '#include <math.h>',
      '#include <stddef.h>',
      '#include <stdint.h>',
      '#include <string.h>',
      '#include <riscv_vector.h>',
      '#include "edgec_model.h"',
      '',
      'extern const uint8_t edgec_weights[];',
      `static uint8_t edgec_arena[${this.arenaBytes}] __attribute__((aligned(64)));`,
      `static uint8_t edgec_scratch[${this.scratchBytes}] __attribute__((aligned(64)));`,
      ...extra,
      PRELUDE,
      ...this.helpers,
      ...this.bodies,
    ].join('\n');
  }

  get sizes(): { arenaBytes: number; scratchBytes: number } {
    return { arenaBytes: this.arenaBytes, scratchBytes: this.scratchBytes };
  }

  weights(): Uint8Array {
    return this.blob.bytes(Math.max(this.blob.size, 1));
  }
}

export function generateRvvSources(graph: Graph, kernelFor?: (op: string) => RvvKernel | undefined): RvvSources {
  const writer = new ModelWriter(kernelFor);
  const { nodes, inputs, outputs, run } = writer.addGraph(graph, 'edgec_');
  const seal = [
    '',
    '/* The provenance seal: filled in the linked ELF by the compiler (u32 length, payload, zeros). */',
    `__attribute__((section("${ELF_SEAL_SECTION}"), aligned(4), used))`,
    `static const struct { uint32_t namesz, descsz, type; char name[8]; uint8_t desc[${ELF_SEAL_NOTE_BYTES}]; } edgec_seal_note =`,
    `    { ${ELF_SEAL_OWNER.length + 1}, ${ELF_SEAL_NOTE_BYTES}, ${ELF_SEAL_NOTE_TYPE}u, "${ELF_SEAL_OWNER}", { 0 } };`,
    '/* The I/O signature as JSON, so tools can run the ELF without its sources. */',
    `__attribute__((section("${RVV_IO_SECTION}"), used)) static const char edgec_io_table[] = ${cString(encodeRvvIoTable(inputs, outputs))};`,
  ];
  const modelC = [
    writer.source(seal),
    ioTables('inputs', inputs),
    ioTables('outputs', outputs),
    'int edgec_model_run(const void *const *inputs, void *const *outputs) {',
    ...run,
    '  return 0;',
    '}',
    '',
  ].join('\n');
  return {
    modelC,
    header: headerSource(inputs, outputs),
    mainC: mainSource(inputs, outputs),
    weightsS: WEIGHTS_S,
    weights: writer.weights(),
    inputs,
    outputs,
    ...writer.sizes,
    nodes,
  };
}

const indent = (code: string): string => code.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');

function ioTables(kind: 'inputs' | 'outputs', entries: RvvIoEntry[]): string {
  const shapes = entries.map((e, i) => `static const long edgec_${kind}_shape_${i}[${Math.max(e.shape.length, 1)}] = { ${e.shape.length ? e.shape.join(', ') : '0'} };`);
  const infos = entries.map((e, i) => `  { ${cString(e.name)}, ${cString(e.dtype)}, ${e.shape.length}, edgec_${kind}_shape_${i}, ${e.bytes} },`);
  return [...shapes, `const edgec_tensor_info edgec_model_${kind}[${Math.max(entries.length, 1)}] = {`, ...(infos.length ? infos : ['  { 0 },']), '};', ''].join('\n');
}

function headerSource(inputs: RvvIoEntry[], outputs: RvvIoEntry[]): string {
  const describe = (e: RvvIoEntry, i: number, kind: string) => ` *   ${kind}[${i}] ${e.name}: ${e.dtype}[${e.shape.join(', ')}], ${e.bytes} bytes`;
  return [
    '/* Generated by edgec: the C API of one compiled model. */',
    '#ifndef EDGEC_MODEL_H',
    '#define EDGEC_MODEL_H',
    '#include <stddef.h>',
    '',
    `#define EDGEC_MODEL_NUM_INPUTS ${inputs.length}`,
    `#define EDGEC_MODEL_NUM_OUTPUTS ${outputs.length}`,
    ...inputs.map((e, i) => `#define EDGEC_MODEL_INPUT_${i}_BYTES ${e.bytes}`),
    ...outputs.map((e, i) => `#define EDGEC_MODEL_OUTPUT_${i}_BYTES ${e.bytes}`),
    '',
    '/* One input or output: name, element type (edgec dtype name), shape and size in bytes (row-major). */',
    'typedef struct {',
    '  const char *name;',
    '  const char *dtype;',
    '  int rank;',
    '  const long *shape;',
    '  size_t bytes;',
    '} edgec_tensor_info;',
    '',
    'extern const edgec_tensor_info edgec_model_inputs[];',
    'extern const edgec_tensor_info edgec_model_outputs[];',
    '',
    '/*',
    ' * Runs the model. inputs[i] points to edgec_model_inputs[i].bytes bytes, outputs[i] to room for',
    ' * edgec_model_outputs[i].bytes bytes:',
    ...inputs.map((e, i) => describe(e, i, 'inputs')),
    ...outputs.map((e, i) => describe(e, i, 'outputs')),
    ' * Uses one static arena and allocates nothing, so it is not reentrant. Returns 0.',
    ' */',
    'int edgec_model_run(const void *const *inputs, void *const *outputs);',
    '',
    '#endif',
    '',
  ].join('\n');
}

export const WEIGHTS_S = `/* Generated by edgec: links weights.bin (constants and packed weights) as edgec_weights. */
  .section .rodata.edgec_weights,"a",@progbits
  .balign 64
  .globl edgec_weights
  .type edgec_weights, @object
edgec_weights:
  .incbin "weights.bin"
  .size edgec_weights, . - edgec_weights
  .section .note.GNU-stack,"",@progbits
`;

function mainSource(inputs: RvvIoEntry[], outputs: RvvIoEntry[]): string {
  const buffer = (kind: string, e: RvvIoEntry, i: number) => `static uint8_t ${kind}_${i}[${Math.max(e.bytes, 1)}] __attribute__((aligned(64)));`;
  const buffers = [...inputs.map((e, i) => buffer('input', e, i)), ...outputs.map((e, i) => buffer('output', e, i))].join('\n');
  const list = (kind: string, n: number) => Array.from({ length: n }, (_, i) => `${kind}_${i}`).join(', ') || '0';
  return `/* Generated by edgec: a static test program. Usage: model.elf input0.bin ... output0.bin ... */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "edgec_model.h"

${buffers}

static void usage(void) {
  fprintf(stderr, "usage: model.elf");
  for (int i = 0; i < EDGEC_MODEL_NUM_INPUTS; i++) fprintf(stderr, " %s.bin", edgec_model_inputs[i].name);
  for (int i = 0; i < EDGEC_MODEL_NUM_OUTPUTS; i++) fprintf(stderr, " %s.out", edgec_model_outputs[i].name);
  fprintf(stderr, "\\n");
}

/* Reads exactly info->bytes bytes, failing on a file of another size. */
static int read_input(const char *path, const edgec_tensor_info *info, void *dst) {
  FILE *f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "edgec: cannot open input '%s' (%s)\\n", path, info->name); return 1; }
  size_t got = fread(dst, 1, info->bytes, f);
  int extra = fgetc(f) != EOF;
  fclose(f);
  if (got != info->bytes || extra) {
    fprintf(stderr, "edgec: input '%s' (%s) must hold exactly %zu bytes\\n", path, info->name, info->bytes);
    return 1;
  }
  return 0;
}

static int write_output(const char *path, const edgec_tensor_info *info, const void *src) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(src, 1, info->bytes, f) != info->bytes) { fprintf(stderr, "edgec: cannot write output '%s'\\n", path); if (f) fclose(f); return 1; }
  return fclose(f) != 0;
}

int main(int argc, char **argv) {
  if (argc != 1 + EDGEC_MODEL_NUM_INPUTS + EDGEC_MODEL_NUM_OUTPUTS) { usage(); return 2; }
  const void *inputs[] = { ${list('input', inputs.length)} };
  void *outputs[] = { ${list('output', outputs.length)} };
  for (int i = 0; i < EDGEC_MODEL_NUM_INPUTS; i++)
    if (read_input(argv[1 + i], &edgec_model_inputs[i], (void *)inputs[i])) return 1;
  if (edgec_model_run(inputs, outputs) != 0) { fprintf(stderr, "edgec: the model failed\\n"); return 1; }
  for (int i = 0; i < EDGEC_MODEL_NUM_OUTPUTS; i++)
    if (write_output(argv[1 + EDGEC_MODEL_NUM_INPUTS + i], &edgec_model_outputs[i], outputs[i])) return 1;
  return 0;
}
`;
}
