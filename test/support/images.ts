import sharp from 'sharp';

/** A small asymmetric test picture (red left, blue right, a green block top-left). */
export async function testImage(width = 64, height = 48, format: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width / 2}" height="${height}" fill="#c03030"/><rect x="${width / 2}" width="${width / 2}" height="${height}" fill="#3040c0"/>
    <rect width="${width / 4}" height="${height / 4}" fill="#30c040"/></svg>`;
  const img = sharp(Buffer.from(svg));
  return format === 'png' ? img.png().toBuffer() : img.jpeg().toBuffer();
}
