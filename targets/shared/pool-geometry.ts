import { EdgecError, getAttr, type Node } from '../../ir/index.js';
import { windowGeometry, type WindowGeometry } from '../../ir/ops/nn.js';

/**
 * The static window geometry of a 1-D or 2-D MaxPool / AveragePool (NCHW), 1-D seen as 2-D of height 1, for
 * the pool kernels of every code-generating target. PH/PW are the begin pads, EH/EW the end pads.
 */
export interface PoolPlan {
  planes: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  SH: number;
  SW: number;
  DH: number;
  DW: number;
  PH: number;
  PW: number;
  /** End pads (they only matter for count_include_pad divisors). */
  EH: number;
  EW: number;
}

export function poolPlan(node: Node): PoolPlan {
  const x = node.inputs[0]!;
  const shape = x.type.shape as number[];
  const spatial = shape.slice(2);
  const fail = (m: string): never => {
    throw new EdgecError('VERIFY', m);
  };
  const g: WindowGeometry = windowGeometry({ attr: (name) => getAttr(node, name) }, spatial, fail);
  const out = node.outputs[0]!.type.shape as number[];
  const two = spatial.length === 2;
  const n = spatial.length;
  const pick = (values: readonly number[], i2: number, fill: number) => (two ? values[i2]! : i2 === 0 ? fill : values[0]!);
  return {
    planes: shape[0]! * shape[1]!,
    H: two ? spatial[0]! : 1,
    W: two ? spatial[1]! : spatial[0]!,
    OH: two ? out[2]! : 1,
    OW: two ? out[3]! : out[2]!,
    KH: pick(g.kernel, 0, 1),
    KW: pick(g.kernel, 1, 1),
    SH: pick(g.strides, 0, 1),
    SW: pick(g.strides, 1, 1),
    DH: pick(g.dilations, 0, 1),
    DW: pick(g.dilations, 1, 1),
    PH: pick(g.pads.slice(0, n), 0, 0),
    PW: pick(g.pads.slice(0, n), 1, 0),
    EH: pick(g.pads.slice(n), 0, 0),
    EW: pick(g.pads.slice(n), 1, 0),
  };
}


/**
 * Whether every output position along one axis has a window holding at least one input tap (a window wholly in
 * padding, possible with ceil_mode or large pads, has no value to give on 8-bit maps).
 */
export function everyWindowHoldsATap(outSize: number, kernel: number, dilation: number, stride: number, padBegin: number, size: number): boolean {
  return Array.from({ length: outSize }, (_, o) => o * stride - padBegin).every((first) =>
    Array.from({ length: kernel }, (_, t) => first + t * dilation).some((at) => at >= 0 && at < size),
  );
}

/**
 * The geometry of a pool over 1 to 3 spatial axes as a 3-D one (leading size-1 axes), for the plain-loop
 * kernels (3-D pools, MaxPool with Indices) of the wasm and webgpu targets.
 */
export interface PoolNdPlan {
  planes: number;
  /** Input, output, kernel, strides, dilations, begin / end pads: [depth, height, width]. */
  dims: number[];
  out: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  padBegin: number[];
  padEnd: number[];
}

/** Pads a per-axis list to 3 axes with `fill` in front. */
const to3 = (values: readonly number[], fill: number): number[] => [...new Array<number>(3 - values.length).fill(fill), ...values];

export function poolNdPlan(node: Node): PoolNdPlan {
  const shape = node.inputs[0]!.type.shape as number[];
  const spatial = shape.slice(2);
  const n = spatial.length;
  const fail = (m: string): never => {
    throw new EdgecError('VERIFY', m);
  };
  const g = windowGeometry({ attr: (name) => getAttr(node, name) }, spatial, fail);
  const out = (node.outputs[0]!.type.shape as number[]).slice(2);
  return {
    planes: shape[0]! * shape[1]!,
    dims: to3(spatial, 1),
    out: to3(out, 1),
    kernel: to3(g.kernel, 1),
    strides: to3(g.strides, 1),
    dilations: to3(g.dilations, 1),
    padBegin: to3(g.pads.slice(0, n), 0),
    padEnd: to3(g.pads.slice(n), 0),
  };
}
