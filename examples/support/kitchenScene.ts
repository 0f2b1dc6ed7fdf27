import sharp from 'sharp';

/**
 * The demo's starting picture, drawn at run time from SVG so nothing is downloaded:
 * a kitchen counter with a bag of flour, a rolling pin and a window.
 */
export async function drawKitchenScene(width = 768, height = 512): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 768 512">
  <defs>
    <linearGradient id="wall" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#f3e6cf"/><stop offset="1" stop-color="#e2cfae"/></linearGradient>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#7fb8e8"/><stop offset="1" stop-color="#cfe7f7"/></linearGradient>
  </defs>
  <rect width="768" height="512" fill="url(#wall)"/>
  <rect x="470" y="50" width="220" height="170" rx="6" fill="url(#sky)" stroke="#8a6a45" stroke-width="10"/>
  <line x1="580" y1="50" x2="580" y2="220" stroke="#8a6a45" stroke-width="8"/>
  <circle cx="640" cy="100" r="24" fill="#ffe27a"/>
  <rect y="330" width="768" height="182" fill="#a8744a"/>
  <rect y="322" width="768" height="16" fill="#c98f5c"/>
  <path d="M120 330 L140 190 Q175 170 210 190 L230 330 Z" fill="#f7f4ee" stroke="#c9bfae" stroke-width="4"/>
  <text x="175" y="275" font-family="sans-serif" font-size="26" font-weight="bold" text-anchor="middle" fill="#7a5a36">FLOUR</text>
  <rect x="300" y="300" width="260" height="26" rx="13" fill="#d9b27c" stroke="#a67c47" stroke-width="3"/>
  <rect x="270" y="306" width="40" height="14" rx="7" fill="#b88a52"/>
  <rect x="550" y="306" width="40" height="14" rx="7" fill="#b88a52"/>
  <ellipse cx="400" cy="420" rx="120" ry="28" fill="#ffffff" opacity="0.85"/>
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
