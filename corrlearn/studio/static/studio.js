// corrlearn studio page: one frame at a time, its mask as object ids (one byte per pixel) edited here and
// saved to the server after each stroke. No framework, no network beyond the local server.
"use strict";

const $ = (id) => document.getElementById(id);
const S = {
  info: null, n: 0, W: 0, H: 0, palette: [],
  t: 0, want: 0, img: null, ids: null, kind: "none", loadSeq: 0,
  tool: "brush", obj: 1, objects: [1], opacity: 0.55,
  playing: false, drawing: false, last: null, poly: [], box: null, proposal: null,
  job: null, events: null,
};
const view = $("view");
const ctx = view.getContext("2d");
const ovl = document.createElement("canvas");
const octx = ovl.getContext("2d");
let ovlData = null;

// ------------------------------------------------------------------------------------------ server calls
async function api(path, opts = {}) {
  const r = await fetch(path, opts);
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    if ((r.headers.get("content-type") || "").includes("json")) msg = (await r.json()).error || msg;
    throw new Error(msg);
  }
  return r;
}
const postJSON = (path, body) =>
  api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}) });

function say(msg, error = false) {
  $("message").textContent = msg;
  $("message").className = error ? "error" : "note";
}
const guard = (fn) => async (...args) => {
  try { await fn(...args); } catch (e) { say(e.message, true); }
};

async function refreshInfo() {
  S.info = await (await api("/api/info")).json();
  $("export-link").innerHTML = S.info.exported
    ? `exported: <a href="/files/export/overlay.mp4" target="_blank">overlay.mp4</a> and PNGs in ${escapeHtml(S.info.out)}/export`
    : "";
  drawTimeline();
  updateLabels();
}
const escapeHtml = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

// ------------------------------------------------------------------------------------------ showing a frame
async function show(t) {
  // S.want is the frame asked for, S.t the frame shown (and edited): it changes only once t has loaded
  t = Math.max(0, Math.min(S.n - 1, t));
  const seq = ++S.loadSeq;
  S.want = t;
  $("scrubber").value = t;
  let img, buf, r;
  try {
    [img, r] = await Promise.all([loadFrame(t), api(`/api/ids/${t}`)]);
    buf = new Uint8Array(await r.arrayBuffer());
  } catch (e) {
    if (seq === S.loadSeq) { S.want = S.t; $("scrubber").value = S.t; }
    throw e;
  }
  if (seq !== S.loadSeq) return; // a later request won
  S.t = t;
  S.img = img;
  S.kind = r.headers.get("X-Mask-Kind") || "none";
  S.ids = buf.length === S.W * S.H ? buf : new Uint8Array(S.W * S.H);
  S.poly = []; S.box = null; setProposal(null);
  noteObjects(S.ids);
  render();
  updateLabels();
  drawTimeline();
}

async function loadFrame(t) {
  const blob = await (await api(`/api/frame/${t}`)).blob();
  const url = URL.createObjectURL(blob);
  const img = new Image();
  img.src = url;
  try { await img.decode(); } finally { URL.revokeObjectURL(url); }
  return img;
}

function colour(id) { return S.palette.slice(3 * id, 3 * id + 3); }

function render() {
  if (!S.img) return;
  ctx.globalAlpha = 1;
  ctx.drawImage(S.img, 0, 0);
  const d = ovlData.data, ids = S.ids, a = Math.round(255 * S.opacity), pal = S.palette;
  for (let i = 0, j = 0; i < ids.length; i++, j += 4) {
    const id = ids[i];
    if (id === 0 || id === 255) { d[j + 3] = 0; continue; }
    d[j] = pal[3 * id]; d[j + 1] = pal[3 * id + 1]; d[j + 2] = pal[3 * id + 2]; d[j + 3] = a;
  }
  if (S.proposal) {
    for (let i = 0, j = 0; i < ids.length; i++, j += 4) {
      if (S.proposal[i]) { d[j] = 255; d[j + 1] = 230; d[j + 2] = 40; d[j + 3] = 150; }
    }
  }
  octx.putImageData(ovlData, 0, 0);
  ctx.drawImage(ovl, 0, 0);
  const lw = Math.max(1, S.W / 400);
  if (S.poly.length) {
    ctx.strokeStyle = "#ffe628"; ctx.lineWidth = lw;
    ctx.beginPath();
    S.poly.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
  }
  if (S.box) {
    const [x0, y0, x1, y1] = S.box;
    ctx.strokeStyle = "#ffe628"; ctx.lineWidth = lw; ctx.setLineDash([6 * lw, 4 * lw]);
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    ctx.setLineDash([]);
  }
}

function updateLabels() {
  if (!S.info) return;
  const name = S.info.names[S.t];
  $("frame-label").textContent = `frame ${S.t} / ${S.n - 1}  (${name})`;
  const bad = S.info.bad.includes(S.t);
  const tag = $("mask-kind");
  tag.textContent = bad ? `${S.kind} · marked bad` : { annotation: "annotated", propagated: "propagated", none: "no mask" }[S.kind];
  tag.className = `tag ${bad ? "bad" : S.kind}`;
  $("mark-bad").textContent = bad ? "Unmark bad" : "Mark bad";
  $("clear-annotation").disabled = S.kind !== "annotation";
  const job = S.job && S.job.status === "running";
  $("status").textContent = job ? `${S.job.job}…` : S.info.annotated.length === 0
    ? "draw a mask on any frame to start" : S.info.stale ? "annotations changed: propagate" : "masks up to date";
}

function fitView() {
  // the frame as large as the space allows, at its own aspect ratio (small clips are scaled up)
  const r = $("canvas-wrap").getBoundingClientRect();
  const k = Math.max(0.05, Math.min(r.width / S.W, r.height / S.H));
  view.style.width = `${Math.floor(S.W * k)}px`;
  view.style.height = `${Math.floor(S.H * k)}px`;
}

function drawTimeline() {
  const c = $("timeline");
  c.width = c.clientWidth || 800;
  const g = c.getContext("2d"), w = c.width, h = c.height, n = S.n;
  g.fillStyle = "#111"; g.fillRect(0, 0, w, h);
  const x = (t) => Math.floor((t * w) / n), bw = Math.max(1, Math.ceil(w / n));
  g.fillStyle = "#2c7a4b";
  for (const t of S.info.propagated) g.fillRect(x(t), h - 8, bw, 8);
  g.fillStyle = "#a33";
  for (const t of S.info.bad) g.fillRect(x(t), 0, bw, h - 8);
  g.fillStyle = "#5b9be0";
  for (const t of S.info.annotated) g.fillRect(x(t), 0, Math.max(bw, 3), h);
  g.fillStyle = "#fff";
  g.fillRect(x(S.t), 0, Math.max(1, Math.min(bw, 3)), h);
}

// ------------------------------------------------------------------------------------------ objects
function noteObjects(ids) {
  const seen = new Set(S.objects);
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i];
    if (v && v !== 255 && !seen.has(v)) { seen.add(v); S.objects.push(v); }
  }
  S.objects.sort((a, b) => a - b);
  drawObjects();
}

function drawObjects() {
  const box = $("objects");
  box.innerHTML = "";
  for (const id of S.objects) {
    const b = document.createElement("button");
    b.className = `obj${id === S.obj ? " active" : ""}`;
    b.dataset.obj = id;
    b.title = `paint object ${id}${id < 10 ? ` (${id})` : ""}`;
    const [r, g, bl] = colour(id);
    b.innerHTML = `<span class="swatch" style="background: rgb(${r},${g},${bl})"></span>${id}`;
    b.onclick = () => selectObject(id);
    box.appendChild(b);
  }
}

function selectObject(id) {
  if (!S.objects.includes(id)) S.objects.push(id);
  S.obj = id;
  if (S.tool === "eraser") setTool("brush");
  drawObjects();
}

// ------------------------------------------------------------------------------------------ editing
function setTool(tool) {
  S.tool = tool; S.poly = []; S.box = null;
  document.querySelectorAll(".tool").forEach((b) => b.classList.toggle("active", b.dataset.tool === tool));
  render();
}

function imagePoint(e) {
  const r = view.getBoundingClientRect();
  return [((e.clientX - r.left) * S.W) / r.width, ((e.clientY - r.top) * S.H) / r.height];
}

function paintDisk(cx, cy, radius, value) {
  const ids = S.ids, W = S.W, H = S.H, r2 = radius * radius;
  const y0 = Math.max(0, Math.floor(cy - radius)), y1 = Math.min(H - 1, Math.ceil(cy + radius));
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy, span = r2 - dy * dy;
    if (span < 0) continue;
    const dx = Math.sqrt(span);
    const x0 = Math.max(0, Math.ceil(cx - dx - 0.5)), x1 = Math.min(W - 1, Math.floor(cx + dx - 0.5));
    for (let x = x0; x <= x1; x++) ids[y * W + x] = value;
  }
}

function paintLine(p, q, radius, value) {
  const steps = Math.max(1, Math.ceil(Math.hypot(q[0] - p[0], q[1] - p[1]) / Math.max(0.5, radius / 2)));
  for (let k = 1; k <= steps; k++) {
    paintDisk(p[0] + ((q[0] - p[0]) * k) / steps, p[1] + ((q[1] - p[1]) * k) / steps, radius, value);
  }
}

function fillPolygon(points, value) {
  // even-odd scanline fill at pixel centres
  const ids = S.ids, W = S.W, H = S.H;
  for (let y = 0; y < H; y++) {
    const yc = y + 0.5, xs = [];
    for (let k = 0; k < points.length; k++) {
      const [x0, y0] = points[k], [x1, y1] = points[(k + 1) % points.length];
      if ((y0 <= yc && y1 > yc) || (y1 <= yc && y0 > yc)) xs.push(x0 + ((yc - y0) * (x1 - x0)) / (y1 - y0));
    }
    xs.sort((a, b) => a - b);
    for (let k = 0; k + 1 < xs.length; k += 2) {
      const a = Math.max(0, Math.ceil(xs[k] - 0.5)), b = Math.min(W - 1, Math.floor(xs[k + 1] - 0.5));
      for (let x = a; x <= b; x++) ids[y * W + x] = value;
    }
  }
}

const paintValue = () => (S.tool === "eraser" ? 0 : S.obj);
const brushRadius = () => Number($("brush-size").value) / 2;

async function saveAnnotation() {
  const t = S.t;
  await api(`/api/annotation/${t}`, {
    method: "PUT", headers: { "Content-Type": "application/octet-stream" }, body: S.ids,
  });
  if (t === S.t) S.kind = S.ids.some((v) => v !== 0 && v !== 255) ? "annotation" : "none";
  await refreshInfo();
}

function setProposal(p) {
  S.proposal = p;
  $("proposal-bar").hidden = !p;
}

const acceptProposal = guard(async () => {
  if (!S.proposal) return;
  for (let i = 0; i < S.ids.length; i++) if (S.proposal[i]) S.ids[i] = S.obj;
  setProposal(null);
  render();
  await saveAnnotation();
  say(`object ${S.obj} set on frame ${S.t} from the GrabCut proposal`);
});

const closePolygon = guard(async () => {
  if (S.poly.length >= 3) {
    fillPolygon(S.poly, paintValue());
    S.poly = [];
    render();
    await saveAnnotation();
  }
  S.poly = [];
  render();
});

view.addEventListener("mousedown", guard(async (e) => {
  if (!S.img || e.button !== 0) return;
  const p = imagePoint(e);
  if (S.tool === "brush" || S.tool === "eraser") {
    S.drawing = true; S.last = p;
    paintDisk(p[0], p[1], brushRadius(), paintValue());
    render();
  } else if (S.tool === "box") {
    S.drawing = true; S.box = [p[0], p[1], p[0], p[1]]; setProposal(null);
  } else if (S.tool === "polygon") {
    if (e.detail > 1) return; // the second click of a double-click closes (dblclick below)
    const first = S.poly[0];
    if (first && S.poly.length >= 3 && Math.hypot(p[0] - first[0], p[1] - first[1]) < S.W / 100) {
      await closePolygon();
      return;
    }
    S.poly.push(p);
    render();
  }
}));

view.addEventListener("dblclick", () => { if (S.tool === "polygon") closePolygon(); });

window.addEventListener("mousemove", (e) => {
  if (!S.drawing) return;
  const p = imagePoint(e);
  if (S.tool === "box") { S.box[2] = p[0]; S.box[3] = p[1]; render(); return; }
  paintLine(S.last, p, brushRadius(), paintValue());
  S.last = p;
  render();
});

window.addEventListener("mouseup", guard(async () => {
  if (!S.drawing) return;
  S.drawing = false;
  if (S.tool === "box") {
    const box = S.box.map((v) => Math.round(v));
    say("GrabCut is working on the box…");
    const r = await postJSON(`/api/grabcut/${S.t}`, { box });
    const fg = new Uint8Array(await r.arrayBuffer());
    S.box = null;
    setProposal(fg);
    render();
    say("GrabCut proposal shown in yellow: Accept (Enter) or Reject (Esc)");
  } else {
    await saveAnnotation();
  }
}));

// ------------------------------------------------------------------------------------------ jobs
async function startJob(path) {
  const snap = await (await postJSON(path)).json();
  S.job = snap;
  follow(-1);
}

function follow(after) {
  if (S.events) S.events.close();
  $("cancel").disabled = false;
  $("propagate").disabled = $("export").disabled = true;
  const es = new EventSource(`/api/events?after=${after}`);
  S.events = es;
  let pending = null, loading = false;
  const showLatest = async () => { // one frame request at a time; skip to the newest finished frame
    if (loading || pending === null) return;
    loading = true;
    const t = pending; pending = null;
    try { await show(t); } catch (err) { say(err.message, true); }
    loading = false;
    showLatest();
  };
  es.onmessage = (m) => {
    const e = JSON.parse(m.data);
    if (e.kind === "progress") {
      $("progress").max = Math.max(1, e.total);
      $("progress").value = e.done;
      $("progress-label").textContent = `${S.job.job}: ${e.done} / ${e.total} frames`;
    } else if (e.kind === "stage") {
      $("progress-label").textContent = `${S.job.job}: writing the ${e.stage}…`;
    } else if (e.kind === "frame") {
      if (!S.info.propagated.includes(e.frame)) S.info.propagated.push(e.frame);
      drawTimeline();
      const editing = S.drawing || S.poly.length || S.proposal;
      if (!editing && ($("follow").checked || e.frame === S.t)) { pending = e.frame; showLatest(); }
    } else if (e.kind === "end") {
      es.close();
      S.events = null;
      S.job.status = e.status;
      $("cancel").disabled = true;
      $("propagate").disabled = $("export").disabled = false;
      if (e.status === "done") {
        const s = e.summary;
        say(`${S.job.job} done: ${s.segments_run} of ${s.segments} stretches run, ${s.frames_computed} frames computed` +
            (s.export ? `; written to ${s.export}` : ""));
      } else {
        say(e.message, e.status === "error");
      }
      refreshInfo().then(() => show(S.t)).catch((err) => say(err.message, true));
    }
  };
  es.onerror = () => { if (es.readyState === EventSource.CLOSED) S.events = null; };
}

// ------------------------------------------------------------------------------------------ playback
async function togglePlay() {
  S.playing = !S.playing;
  $("play").textContent = S.playing ? "Pause" : "Play";
  const dt = 1000 / (S.info.fps || 24);
  while (S.playing) {
    const t0 = performance.now();
    try { await show((S.t + 1) % S.n); } catch (e) { say(e.message, true); S.playing = false; }
    await new Promise((r) => setTimeout(r, Math.max(0, dt - (performance.now() - t0))));
  }
  $("play").textContent = "Play";
}

const step = guard((k) => show(S.want + k));

// ------------------------------------------------------------------------------------------ wiring
function wire() {
  $("scrubber").addEventListener("input", (e) => step(Number(e.target.value) - S.want));
  $("timeline").addEventListener("click", (e) => {
    const r = e.target.getBoundingClientRect();
    step(Math.floor(((e.clientX - r.left) / r.width) * S.n) - S.want);
  });
  $("prev").onclick = () => step(-1);
  $("next").onclick = () => step(1);
  $("play").onclick = () => togglePlay();
  $("opacity").addEventListener("input", (e) => { S.opacity = e.target.value / 100; render(); });
  $("brush-size").addEventListener("input", (e) => { $("brush-size-label").textContent = e.target.value; });
  document.querySelectorAll(".tool[data-tool]").forEach((b) => (b.onclick = () => setTool(b.dataset.tool)));
  $("add-object").onclick = () => selectObject(Math.max(0, ...S.objects) + 1);
  $("accept").onclick = acceptProposal;
  $("reject").onclick = () => { setProposal(null); render(); };
  $("mark-bad").onclick = guard(async () => {
    await postJSON(`/api/bad/${S.t}`, { bad: !S.info.bad.includes(S.t) });
    await refreshInfo();
  });
  $("clear-annotation").onclick = guard(async () => {
    await api(`/api/annotation/${S.t}`, { method: "DELETE" });
    await refreshInfo();
    await show(S.t);
  });
  $("load-mask").addEventListener("change", guard(async (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (!file) return;
    const form = new FormData();
    form.append("mask", file, file.name);
    await api(`/api/annotation/${S.t}/file`, { method: "POST", body: form });
    await refreshInfo();
    await show(S.t);
    say(`${file.name} is now the annotation of frame ${S.t}`);
  }));
  $("propagate").onclick = guard(() => startJob("/api/propagate"));
  $("export").onclick = guard(() => startJob("/api/export"));
  $("cancel").onclick = guard(() => postJSON("/api/cancel"));
  window.addEventListener("resize", () => { fitView(); drawTimeline(); });
  document.addEventListener("keydown", (e) => {
    const el = e.target;
    if (el.tagName === "INPUT" && !["range", "checkbox"].includes(el.type)) return;
    const digit = /^[1-9]$/.test(e.key) ? Number(e.key) : null;
    const keys = {
      ArrowLeft: () => step(e.shiftKey ? -10 : -1), ArrowRight: () => step(e.shiftKey ? 10 : 1),
      Home: () => step(-S.want), End: () => step(S.n - 1 - S.want), " ": () => togglePlay(),
      b: () => setTool("brush"), e: () => setTool("eraser"), p: () => setTool("polygon"), g: () => setTool("box"),
      m: () => $("mark-bad").click(),
      Enter: () => (S.proposal ? acceptProposal() : closePolygon()),
      Escape: () => { S.poly = []; S.box = null; setProposal(null); render(); },
    };
    if (digit !== null) { selectObject(digit); e.preventDefault(); return; }
    if (keys[e.key]) { keys[e.key](); e.preventDefault(); }
  });
}

async function init() {
  S.info = await (await api("/api/info")).json();
  S.n = S.info.names.length; S.W = S.info.width; S.H = S.info.height; S.palette = S.info.palette;
  view.width = ovl.width = S.W;
  view.height = ovl.height = S.H;
  ovlData = octx.createImageData(S.W, S.H);
  $("scrubber").max = S.n - 1;
  $("video-name").textContent = `${S.info.video} → ${S.info.out}`;
  wire();
  fitView();
  drawObjects();
  await refreshInfo();
  await show(S.info.annotated.length ? S.info.annotated[0] : 0);
  if (S.info.job && S.info.job.status === "running") { S.job = S.info.job; follow(-1); }
  document.body.dataset.ready = "1"; // for tests: the page has drawn its first frame
}

init().catch((e) => { say(e.message, true); document.body.dataset.ready = "1"; });
