// The map page (/map/): every embedded paper as a dot on a <canvas>, in plain JS.
// Points come from points.bin (see papertide/pages/atlas.py for its layout); titles are fetched on hover,
// in batches of the points near the pointer. A uniform grid over the map finds the point under the pointer.
// Drag to pan, wheel or pinch (or the buttons) to zoom, hover for the title, click to open the paper.
// window.mapDrawnAt: performance.now() at the first full draw (points and labels), for tests and bench/map.py.
(function () {
  "use strict";
  const canvas = document.getElementById("map");
  const metaNode = document.getElementById("map-meta");
  if (!canvas || !metaNode) return;
  const meta = JSON.parse(metaNode.textContent);
  const ctx = canvas.getContext("2d");
  const tip = document.querySelector(".map-tip");
  const WORLD = 65536, GRID = 256, CELL = WORLD / GRID;
  let n = 0, ids, xs, ys, regions, cellStart, cellItems, rowOf = new Map();
  let scale = 1, cx = WORLD / 2, cy = WORLD / 2, width = 0, height = 0, dpr = 1;
  let hovered = -1, drawQueued = false;
  const highlighted = new Set(meta.highlight || []);
  const titles = new Map(), asked = new Set();

  function colour(region) {
    const hue = (region * 137.508) % 360;
    return [hue, 55, 52];
  }
  function rgb(h, s, l) {
    s /= 100; l /= 100;
    const k = (m) => (m + h / 30) % 12, a = s * Math.min(l, 1 - l);
    const f = (m) => Math.round(255 * (l - a * Math.max(-1, Math.min(k(m) - 3, 9 - k(m), 1))));
    return [f(0), f(8), f(4)];
  }
  const palette = [];
  for (let r = 0; r < 256; r++) palette.push(rgb(...colour(r)));

  function resize() {
    dpr = window.devicePixelRatio || 1;
    const box = canvas.getBoundingClientRect();
    width = Math.max(1, Math.round(box.width));
    height = Math.max(1, Math.round(box.height));
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
  }
  function fit() {
    scale = Math.min(width, height) / WORLD * 0.95;
    cx = WORLD / 2; cy = WORLD / 2;
  }
  const toScreenX = (x) => (x - cx) * scale + width / 2;
  const toScreenY = (y) => (y - cy) * scale + height / 2;
  const toWorldX = (sx) => (sx - width / 2) / scale + cx;
  const toWorldY = (sy) => (sy - height / 2) / scale + cy;

  function draw() {
    drawQueued = false;
    const started = performance.now();
    const W = canvas.width, H = canvas.height;
    const image = ctx.createImageData(W, H);
    const pixels = new Uint32Array(image.data.buffer);
    pixels.fill(0xfff9f7f6); // ABGR: #f6f7f9
    const size = Math.max(1, Math.min(4, Math.round(dpr * (scale * WORLD > 4 * Math.min(width, height) ? 3 : 2))));
    const packed = palette.map(([r, g, b]) => (0xff << 24) | (b << 16) | (g << 8) | r);
    const dim = highlighted.size > 0;
    const faded = palette.map(([r, g, b]) => (0xff << 24) | ((b + 2 * 246) / 3 << 16) | ((g + 2 * 247) / 3 << 8) | ((r + 2 * 249) / 3));
    const k = scale * dpr, ox = (width / 2 - cx * scale) * dpr, oy = (height / 2 - cy * scale) * dpr;
    for (let i = 0; i < n; i++) {
      const px = (xs[i] * k + ox) | 0, py = (ys[i] * k + oy) | 0;
      if (px < 0 || py < 0 || px >= W - size || py >= H - size) continue;
      const c = dim ? faded[regions[i]] : packed[regions[i]];
      for (let dy = 0; dy < size; dy++) {
        const row = (py + dy) * W + px;
        for (let dx = 0; dx < size; dx++) pixels[row + dx] = c;
      }
    }
    ctx.putImageData(image, 0, 0);
    ctx.save();
    ctx.scale(dpr, dpr);
    for (const id of highlighted) dot(rowOf.get(id), 4, "#d1361b");
    if (meta.focus != null) ring(rowOf.get(meta.focus));
    labels();
    if (hovered >= 0) ring(hovered, "#111");
    ctx.restore();
    window.mapFrameMs = performance.now() - started;
    if (window.mapDrawnAt === undefined && n > 0) {
      window.mapDrawnAt = performance.now();
      canvas.dataset.drawn = "1";
    }
  }
  function dot(row, r, fill) {
    if (row === undefined) return;
    ctx.beginPath();
    ctx.arc(toScreenX(xs[row]), toScreenY(ys[row]), r, 0, 2 * Math.PI);
    ctx.fillStyle = fill; ctx.fill();
    ctx.lineWidth = 1; ctx.strokeStyle = "#fff"; ctx.stroke();
  }
  function ring(row, stroke) {
    if (row === undefined || row < 0) return;
    ctx.beginPath();
    ctx.arc(toScreenX(xs[row]), toScreenY(ys[row]), 8, 0, 2 * Math.PI);
    ctx.lineWidth = 2.5; ctx.strokeStyle = stroke || "#d1361b"; ctx.stroke();
  }
  function labels() {
    ctx.font = "600 12px system-ui, sans-serif";
    ctx.textAlign = "center"; ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    const taken = [];
    const regionsByPapers = (meta.regions || []).slice().sort((a, b) => b.papers - a.papers);
    for (const region of regionsByPapers) {
      const x = toScreenX(region.at[0]), y = toScreenY(region.at[1]);
      if (x < 0 || y < 0 || x > width || y > height || !region.label) continue;
      const w = ctx.measureText(region.label).width;
      const box = [x - w / 2 - 3, y - 9, x + w / 2 + 3, y + 9];
      if (taken.some((b) => box[0] < b[2] && box[2] > b[0] && box[1] < b[3] && box[3] > b[1])) continue;
      taken.push(box);
      ctx.lineWidth = 4; ctx.strokeStyle = "rgba(255,255,255,0.9)"; ctx.strokeText(region.label, x, y);
      ctx.fillStyle = "#1d2733"; ctx.fillText(region.label, x, y);
    }
  }
  function redraw() {
    if (!drawQueued) { drawQueued = true; requestAnimationFrame(draw); }
  }

  function index() {
    // Counting sort of the points into GRID x GRID cells: cellItems[cellStart[c] .. cellStart[c + 1]).
    cellStart = new Uint32Array(GRID * GRID + 1);
    const cells = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const c = (ys[i] >> 8) * GRID + (xs[i] >> 8);
      cells[i] = c; cellStart[c + 1]++;
    }
    for (let c = 0; c < GRID * GRID; c++) cellStart[c + 1] += cellStart[c];
    const fill = cellStart.slice(0, GRID * GRID);
    cellItems = new Uint32Array(n);
    for (let i = 0; i < n; i++) cellItems[fill[cells[i]]++] = i;
  }
  function near(sx, sy, radius) {
    // The nearest point within radius (screen pixels) of the pointer, and the rows seen on the way.
    const wx = toWorldX(sx), wy = toWorldY(sy), wr = radius / scale;
    const c0 = Math.max(0, Math.floor((wx - wr) / CELL)), c1 = Math.min(GRID - 1, Math.floor((wx + wr) / CELL));
    const r0 = Math.max(0, Math.floor((wy - wr) / CELL)), r1 = Math.min(GRID - 1, Math.floor((wy + wr) / CELL));
    let best = -1, bestD = wr * wr;
    const seen = [];
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * GRID + c;
        for (let j = cellStart[cell]; j < cellStart[cell + 1]; j++) {
          const i = cellItems[j], dx = xs[i] - wx, dy = ys[i] - wy, d = dx * dx + dy * dy;
          if (seen.length < 200) seen.push(i);
          if (d <= bestD) { bestD = d; best = i; }
        }
      }
    }
    return [best, seen];
  }

  function fetchTitles(rows) {
    const want = rows.map((i) => ids[i]).filter((id) => !asked.has(id)).slice(0, 200);
    if (!want.length) return Promise.resolve();
    want.forEach((id) => asked.add(id));
    return fetch(canvas.dataset.titles + "?ids=" + want.join(","))
      .then((reply) => reply.json())
      .then((found) => { for (const [id, value] of Object.entries(found)) titles.set(Number(id), value); });
  }
  function showTip(row, sx, sy) {
    if (row < 0) { tip.hidden = true; return; }
    const id = ids[row];
    const known = titles.get(id);
    tip.textContent = known ? known[0] : "…";
    tip.dataset.paper = String(id);
    tip.hidden = false;
    tip.style.left = Math.min(sx + 14, width - 260) + "px";
    tip.style.top = sy + 14 + "px";
    if (!known) {
      fetchTitles([row, ...near(sx, sy, 60)[1]]).then(() => {
        if (hovered === row && titles.has(id)) tip.textContent = titles.get(id)[0];
      });
    }
  }
  function hover(sx, sy) {
    const [row] = near(sx, sy, 6);
    if (row !== hovered) { hovered = row; redraw(); }
    canvas.style.cursor = row >= 0 ? "pointer" : "grab";
    showTip(row, sx, sy);
  }

  function zoomAt(sx, sy, factor) {
    const wx = toWorldX(sx), wy = toWorldY(sy);
    scale = Math.max(Math.min(width, height) / WORLD * 0.5, Math.min(scale * factor, 2));
    cx = wx - (sx - width / 2) / scale; cy = wy - (sy - height / 2) / scale;
    redraw();
  }
  const pointers = new Map();
  let dragged = 0, pinch = 0;
  function local(event) {
    const box = canvas.getBoundingClientRect();
    return [event.clientX - box.left, event.clientY - box.top];
  }
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    pointers.set(event.pointerId, local(event));
    dragged = 0;
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = Math.hypot(a[0] - b[0], a[1] - b[1]);
    }
  });
  canvas.addEventListener("pointermove", (event) => {
    const [sx, sy] = local(event);
    const last = pointers.get(event.pointerId);
    if (!last) { hover(sx, sy); return; }
    if (pointers.size === 2) {
      pointers.set(event.pointerId, [sx, sy]);
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
      if (pinch > 0) zoomAt((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, d / pinch);
      pinch = d; dragged += 10;
      return;
    }
    dragged += Math.abs(sx - last[0]) + Math.abs(sy - last[1]);
    cx -= (sx - last[0]) / scale; cy -= (sy - last[1]) / scale;
    pointers.set(event.pointerId, [sx, sy]);
    if (dragged > 4) { tip.hidden = true; canvas.style.cursor = "grabbing"; redraw(); }
  });
  function release(event) {
    const wasDrag = dragged > 4;
    pointers.delete(event.pointerId);
    if (pointers.size < 2) pinch = 0;
    if (event.type === "pointerup" && !wasDrag && pointers.size === 0) {
      const [sx, sy] = local(event);
      const [row] = near(sx, sy, 8);
      if (row >= 0) window.location.href = canvas.dataset.open.replace("/0/", "/" + ids[row] + "/");
    }
  }
  canvas.addEventListener("pointerup", release);
  canvas.addEventListener("pointercancel", release);
  canvas.addEventListener("pointerleave", () => { if (!pointers.size) { tip.hidden = true; hovered = -1; redraw(); } });
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const [sx, sy] = local(event);
    zoomAt(sx, sy, Math.exp(-event.deltaY * 0.0015));
  }, { passive: false });
  document.querySelectorAll(".map-buttons button").forEach((button) => {
    button.addEventListener("click", () => {
      const how = button.dataset.zoom;
      if (how === "reset") { fit(); redraw(); } else zoomAt(width / 2, height / 2, how === "in" ? 1.6 : 1 / 1.6);
    });
  });
  window.addEventListener("resize", () => { resize(); redraw(); });

  // For tests: where a paper's point is on the screen (client coordinates), or null.
  window.mapScreenOf = (id) => {
    const row = rowOf.get(id);
    if (row === undefined) return null;
    const box = canvas.getBoundingClientRect();
    return [box.left + toScreenX(xs[row]), box.top + toScreenY(ys[row])];
  };
  window.mapIds = () => Array.from(ids || []);

  resize(); fit();
  fetch(canvas.dataset.points)
    .then((reply) => reply.arrayBuffer())
    .then((buffer) => {
      n = new DataView(buffer).getUint32(0, true);
      const deltas = new Uint32Array(buffer, 4, n);
      ids = new Uint32Array(n);
      let id = 0;
      for (let i = 0; i < n; i++) { id += deltas[i]; ids[i] = id; rowOf.set(id, i); }
      xs = new Uint16Array(buffer, 4 + 4 * n, n);
      ys = new Uint16Array(buffer, 4 + 6 * n, n);
      regions = new Uint8Array(buffer, 4 + 8 * n, n);
      index();
      const focus = rowOf.get(meta.focus);
      if (focus !== undefined) { scale *= 6; cx = xs[focus]; cy = ys[focus]; }
      window.mapPoints = n;
      draw();
    });
})();
