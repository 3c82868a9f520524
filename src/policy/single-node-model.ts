/**
 * One-node ONNX models encoded by hand, so an execution provider can be probed (and a machine's
 * matmul throughput measured) without a model file or the onnx Python package. Only the few
 * protobuf fields of ModelProto that such a model needs are written: ONNX IR version 8, opset 17.
 */

function varint(value: number): number[] {
  const bytes: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    bytes.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  bytes.push(rest);
  return bytes;
}

function field(number: number, payload: number[] | string): number[] {
  const bytes = typeof payload === 'string' ? [...Buffer.from(payload, 'utf8')] : payload;
  return [...varint((number << 3) | 2), ...varint(bytes.length), ...bytes];
}

function intField(number: number, value: number): number[] {
  return [...varint(number << 3), ...varint(value)];
}

const FLOAT = 1;

function tensorValueInfo(name: string, shape: number[]): number[] {
  const dims = shape.flatMap((size) => field(1, intField(1, size)));
  const tensorType = [...intField(1, FLOAT), ...field(2, dims)];
  return [...field(1, name), ...field(2, field(1, tensorType))];
}

/** Tensor name and fixed shape of a float32 graph input or output. */
export interface FloatValueInfo {
  name: string;
  shape: number[];
}

/**
 * Encodes a model of one node `opType` on float32 tensors with fixed shapes. The node reads
 * `nodeInputs` (default: every graph input), so a graph may carry inputs that it ignores.
 */
export function singleNodeModelBytes(
  opType: string,
  inputs: FloatValueInfo[],
  outputs: FloatValueInfo[],
  nodeInputs: string[] = inputs.map((input) => input.name),
): Uint8Array {
  const node = [...nodeInputs.flatMap((name) => field(1, name)), ...outputs.flatMap((output) => field(2, output.name)), ...field(3, 'node'), ...field(4, opType)];
  const graph = [
    ...field(1, node),
    ...field(2, opType.toLowerCase()),
    ...inputs.flatMap((input) => field(11, tensorValueInfo(input.name, input.shape))),
    ...outputs.flatMap((output) => field(12, tensorValueInfo(output.name, output.shape))),
  ];
  const opset = [...field(1, ''), ...intField(2, 17)];
  return Uint8Array.from([...intField(1, 8), ...field(7, graph), ...field(8, opset)]);
}

export function identityModelBytes(): Uint8Array {
  return singleNodeModelBytes('Identity', [{ name: 'x', shape: [1, 4] }], [{ name: 'y', shape: [1, 4] }]);
}
