/**
 * A one-node ONNX model (Identity on a float32 [1, 4] tensor) encoded by hand, so an execution
 * provider can be probed without a file. Only the few protobuf fields that ModelProto needs are
 * written: ONNX IR version 8, opset 17.
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

export function identityModelBytes(): Uint8Array {
  const node = [...field(1, 'x'), ...field(2, 'y'), ...field(3, 'identity'), ...field(4, 'Identity')];
  const graph = [...field(1, node), ...field(2, 'probe'), ...field(11, tensorValueInfo('x', [1, 4])), ...field(12, tensorValueInfo('y', [1, 4]))];
  const opset = [...field(1, ''), ...intField(2, 17)];
  return Uint8Array.from([...intField(1, 8), ...field(7, graph), ...field(8, opset)]);
}
