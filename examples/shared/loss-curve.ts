/**
 * The loss chart the browser examples draw while training: a grid with axis labels, the raw
 * losses faint and a running mean bold, scaled to the first steps' losses (later spikes are
 * clipped rather than squashing the curve).
 */
export function drawLossCurve(canvas: HTMLCanvasElement, losses: readonly number[], total: number): void {
  const ctx = canvas.getContext('2d')!;
  const { width, height } = canvas;
  const left = 48, right = 12, top = 14, bottom = 32;
  ctx.clearRect(0, 0, width, height);
  ctx.font = '12px system-ui, sans-serif';
  const maxLoss = Math.max(2.5, ...losses.slice(0, 5));
  const x = (step: number) => left + ((width - left - right) * step) / Math.max(1, total);
  const y = (loss: number) => top + (height - top - bottom) * (1 - Math.min(loss, maxLoss) / maxLoss);

  // Grid and axis labels.
  ctx.strokeStyle = '#e3e6ec';
  ctx.fillStyle = '#5b6478';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (maxLoss * i) / ticks;
    ctx.beginPath();
    ctx.moveTo(left, y(v));
    ctx.lineTo(width - right, y(v));
    ctx.stroke();
    ctx.fillText(v.toFixed(1), left - 6, y(v));
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (let i = 0; i <= 4; i++) {
    const s = Math.round((total * i) / 4);
    ctx.fillText(String(s), x(s), height - bottom + 6);
  }
  ctx.fillText('step', (left + width - right) / 2, height - 14);
  ctx.save();
  ctx.translate(12, (top + height - bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('loss', 0, -6);
  ctx.restore();

  // Raw losses (faint) and a running mean (bold).
  const line = (points: number[], color: string, widthPx: number) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = widthPx;
    ctx.beginPath();
    points.forEach((l, i) => (i === 0 ? ctx.moveTo(x(i + 1), y(l)) : ctx.lineTo(x(i + 1), y(l))));
    ctx.stroke();
  };
  line([...losses], 'rgba(47, 111, 222, 0.3)', 1);
  const smooth: number[] = [];
  losses.forEach((l, i) => smooth.push(i === 0 ? l : 0.9 * smooth[i - 1] + 0.1 * l));
  line(smooth, '#2f6fde', 2.5);
}
