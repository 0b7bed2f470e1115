import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/onnx/index.js';
import { parseGraph, printGraph, verifyGraph } from '../../ir/index.js';
import { modelPath, SHARED_MODELS } from '../support/shared.js';

describe('IR text round trip on the shared models', () => {
  for (const name of SHARED_MODELS) {
    it(`${name}: print -> parse -> print is identical, and the parsed graph verifies`, () => {
      const graph = importOnnxFile(modelPath(name));
      const text = printGraph(graph);
      const parsed = parseGraph(text);
      verifyGraph(parsed);
      expect(parsed.nodes.length).toBe(graph.nodes.length);
      expect(parsed.constants.length).toBe(graph.constants.length);
      // Compare as strings of equal length first: a 60 MB diff in a failure message helps nobody.
      const again = printGraph(parsed);
      expect(again.length).toBe(text.length);
      expect(again === text).toBe(true);
    });
  }
});
