/**
 * Decoding image files for ImageFolder, to RGB as torchvision's default loader
 * (`PIL.Image.open(path).convert('RGB')`) does: PNG (every colour type; 1-16 bits, not
 * interlaced), BMP (uncompressed 8, 24 and 32 bits) and PPM/PGM (binary and ASCII). Alpha is
 * dropped, gray is repeated over three channels, 16-bit samples keep their high byte. Other
 * formats (JPEG, WebP, TIFF) need a `loader`.
 */
import { inflateSync } from 'node:zlib';
import type { PixelArray } from './functional.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let crcTable: Uint32Array | null = null;
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** What kind of image `bytes` holds, from its first bytes. */
export function sniff(bytes: Uint8Array): 'png' | 'bmp' | 'pnm' | 'jpeg' | 'webp' | 'tiff' | 'gif' | null {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  if (bytes[0] === 0x50 && bytes[1] >= 0x31 && bytes[1] <= 0x36 && /\s/.test(String.fromCharCode(bytes[2]))) return 'pnm';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x46 && bytes[8] === 0x57) return 'webp';
  if ((bytes[0] === 0x49 && bytes[1] === 0x49) || (bytes[0] === 0x4d && bytes[1] === 0x4d)) return 'tiff';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'gif';
  return null;
}

/**
 * Decode `bytes` (read from `file`) to RGB pixels, H x W x 3.
 *
 * @example
 * ```ts
 * const pixels = decodeImage('cat.png', readFileSync('cat.png')); // { data, width, height, channels: 3 }
 * ```
 */
export function decodeImage(file: string, bytes: Uint8Array): PixelArray & { channels: 3 } {
  const kind = sniff(bytes);
  if (kind === 'png') return decodePng(file, bytes);
  if (kind === 'bmp') return decodeBmp(file, bytes);
  if (kind === 'pnm') return decodePnm(file, bytes);
  const what = kind ? `a ${kind.toUpperCase()} file` : 'not an image format Tensile recognises';
  throw new Error(
    `${file}: cannot decode: ${what}. Tensile decodes PNG, BMP and PPM/PGM itself; for other formats pass a loader, ` +
      `e.g. new ImageFolder(root, { loader: (path) => decodeWithYourLibrary(path) }) returning { data, width, height, channels }`,
  );
}

function rgbOut(width: number, height: number): PixelArray & { channels: 3; data: Uint8Array } {
  return { data: new Uint8Array(width * height * 3), width, height, channels: 3 };
}

function decodePng(file: string, bytes: Uint8Array): PixelArray & { channels: 3 } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colorType = -1;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (at + 12 <= bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    const start = at + 8;
    if (start + length + 4 > bytes.length) throw new Error(`${file}: truncated data: PNG chunk ${type} runs past the end of the file`);
    if (crc32(bytes, at + 4, start + length) !== view.getUint32(start + length)) throw new Error(`${file}: corrupt PNG: bad CRC in chunk ${type}`);
    const data = bytes.subarray(start, start + length);
    if (type === 'IHDR') {
      width = view.getUint32(start);
      height = view.getUint32(start + 4);
      depth = data[8];
      colorType = data[9];
      if (data[10] !== 0 || data[11] !== 0) throw new Error(`${file}: unsupported PNG: compression ${data[10]}, filter method ${data[11]}`);
      if (data[12] !== 0) throw new Error(`${file}: unsupported PNG: interlaced (Adam7) images are not decoded; pass a loader, or save it without interlacing`);
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    at = start + length + 4;
  }
  if (colorType < 0) throw new Error(`${file}: corrupt PNG: no IHDR chunk`);
  if (!ended) throw new Error(`${file}: truncated data: the PNG has no IEND chunk`);
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  if (!channels || ![1, 2, 4, 8, 16].includes(depth)) throw new Error(`${file}: corrupt PNG: colour type ${colorType} with bit depth ${depth}`);
  if (colorType === 3 && !palette) throw new Error(`${file}: corrupt PNG: a palette image without a PLTE chunk`);
  let raw: Uint8Array;
  try {
    raw = inflateSync(concatBytes(idat));
  } catch (error) {
    throw new Error(`${file}: corrupt PNG: ${(error as Error).message}`, { cause: error });
  }
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  if (raw.length < height * (stride + 1)) throw new Error(`${file}: truncated data: the PNG's image data is shorter than ${height} rows`);
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = rows.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= bpp ? prev[i - bpp] : 0;
      let v = src[i];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`${file}: corrupt PNG: unknown row filter ${filter} in row ${y}`);
      row[i] = v & 0xff;
    }
  }
  const out = rgbOut(width, height);
  const sample = (y: number, x: number, ch: number): number => {
    const row = y * stride;
    if (depth === 8) return rows[row + x * channels + ch];
    if (depth === 16) return rows[row + (x * channels + ch) * 2]; // the high byte
    const per = 8 / depth;
    const byte = rows[row + Math.floor(x / per)];
    return (byte >> (8 - depth * ((x % per) + 1))) & ((1 << depth) - 1);
  };
  const scale = colorType === 3 || depth >= 8 ? 1 : 255 / ((1 << depth) - 1);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (colorType === 3) {
        const idx = sample(y, x, 0);
        if (3 * idx + 2 >= palette!.length) throw new Error(`${file}: corrupt PNG: palette index ${idx} beyond the ${palette!.length / 3}-colour palette`);
        out.data[o] = palette![3 * idx];
        out.data[o + 1] = palette![3 * idx + 1];
        out.data[o + 2] = palette![3 * idx + 2];
      } else if (channels <= 2) {
        const v = Math.round(sample(y, x, 0) * scale);
        out.data[o] = out.data[o + 1] = out.data[o + 2] = v;
      } else {
        out.data[o] = sample(y, x, 0);
        out.data[o + 1] = sample(y, x, 1);
        out.data[o + 2] = sample(y, x, 2);
      }
    }
  }
  return out;
}

/** The bytes of `parts`, one after another, in one new array. */
export function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function decodeBmp(file: string, bytes: Uint8Array): PixelArray & { channels: 3 } {
  if (bytes.length < 54) throw new Error(`${file}: truncated data: ${bytes.length} bytes is shorter than a BMP header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offset = view.getUint32(10, true);
  const headerSize = view.getUint32(14, true);
  if (headerSize < 40) throw new Error(`${file}: unsupported BMP: OS/2 headers (${headerSize} bytes) are not decoded`);
  const width = view.getInt32(18, true);
  const rawHeight = view.getInt32(22, true);
  const bits = view.getUint16(28, true);
  const compression = view.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (!(compression === 0 || (compression === 3 && bits === 32))) throw new Error(`${file}: unsupported BMP: compression ${compression} (only uncompressed BMPs are decoded)`);
  if (![8, 24, 32].includes(bits)) throw new Error(`${file}: unsupported BMP: ${bits} bits per pixel (8, 24 and 32 are decoded)`);
  const stride = Math.ceil((width * bits) / 32) * 4;
  if (offset + stride * height > bytes.length) throw new Error(`${file}: truncated data: the BMP needs ${offset + stride * height} bytes, the file has ${bytes.length}`);
  let palette: Uint8Array | null = null;
  if (bits === 8) {
    const colors = view.getUint32(46, true) || 256;
    palette = bytes.subarray(14 + headerSize, 14 + headerSize + 4 * colors);
  }
  const out = rgbOut(width, height);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      if (bits === 8) {
        const idx = bytes[row + x];
        if (4 * idx + 2 >= palette!.length) throw new Error(`${file}: corrupt BMP: palette index ${idx} beyond the palette`);
        out.data[o] = palette![4 * idx + 2];
        out.data[o + 1] = palette![4 * idx + 1];
        out.data[o + 2] = palette![4 * idx];
      } else {
        const p = row + x * (bits >> 3);
        out.data[o] = bytes[p + 2];
        out.data[o + 1] = bytes[p + 1];
        out.data[o + 2] = bytes[p];
      }
    }
  }
  return out;
}

function decodePnm(file: string, bytes: Uint8Array): PixelArray & { channels: 3 } {
  const kind = bytes[1] - 0x30; // P1 .. P6
  let at = 2;
  const token = (): number => {
    for (;;) {
      while (at < bytes.length && /\s/.test(String.fromCharCode(bytes[at]))) at++;
      if (bytes[at] === 0x23) {
        while (at < bytes.length && bytes[at] !== 0x0a) at++; // comment
        continue;
      }
      break;
    }
    let text = '';
    while (at < bytes.length && !/\s/.test(String.fromCharCode(bytes[at]))) text += String.fromCharCode(bytes[at++]);
    const v = Number(text);
    if (text === '' || !Number.isInteger(v) || v < 0) throw new Error(`${file}: corrupt PNM header: expected a number, got '${text}'`);
    return v;
  };
  if (kind === 1 || kind === 4) throw new Error(`${file}: unsupported PNM: bitmaps (P${kind}) are not decoded; pass a loader`);
  const width = token();
  const height = token();
  const maxval = token();
  if (maxval < 1 || maxval > 65535) throw new Error(`${file}: corrupt PNM header: maxval ${maxval}`);
  at++; // the single whitespace after the header
  const channels = kind === 2 || kind === 5 ? 1 : 3;
  const count = width * height * channels;
  const values = new Uint16Array(count);
  if (kind === 5 || kind === 6) {
    const wide = maxval > 255;
    if (at + count * (wide ? 2 : 1) > bytes.length) throw new Error(`${file}: truncated data: the image needs ${count * (wide ? 2 : 1)} bytes after the header`);
    for (let i = 0; i < count; i++) values[i] = wide ? (bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1] : bytes[at + i];
  } else {
    at--;
    for (let i = 0; i < count; i++) values[i] = token();
  }
  const out = rgbOut(width, height);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) {
      const v = values[p * channels + (channels === 1 ? 0 : c)];
      out.data[p * 3 + c] = maxval === 255 ? v : Math.round((v * 255) / maxval);
    }
  }
  return out;
}
