/**
 * CRC-16 of Dynamixel Protocol 2.0: polynomial 0x8005, initial value 0, neither input nor
 * output reflected (the CRC-16/BUYPASS variant). It covers every byte from the first FF of
 * the header up to the last parameter and is sent low byte first.
 */
const CRC_TABLE: Uint16Array = buildTable();

function buildTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x8005) & 0xffff : (crc << 1) & 0xffff;
    }
    table[i] = crc;
  }
  return table;
}

export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    const index = ((crc >> 8) ^ bytes[i]!) & 0xff;
    crc = ((crc << 8) ^ CRC_TABLE[index]!) & 0xffff;
  }
  return crc;
}
