// corrlearn studio, run page: a finished benchmark run's per-sequence scores (worst first), its plots, and
// for DAVIS runs each frame's prediction beside the ground truth (Left / Right step through the frames).
"use strict";

const $ = (id) => document.getElementById(id);
const R = { run: null, seq: null, frames: [], t: 0 };

async function api(path) {
  const r = await fetch(path);
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    if ((r.headers.get("content-type") || "").includes("json")) msg = (await r.json()).error || msg;
    throw new Error(msg);
  }
  return r;
}
const say = (msg, error = false) => { $("message").textContent = msg; $("message").className = error ? "error" : "note"; };
const fmt = (v) => (v === null || v === undefined ? "n/a" : (100 * v).toFixed(1));

async function openSequence(seq) {
  R.seq = seq;
  document.querySelectorAll("#scores tbody tr").forEach((tr) => tr.classList.toggle("active", tr.dataset.seq === seq));
  if (!R.run.frames_shown) {
    say(R.run.kind === "davis" ? "start the studio with --root DAVIS to see the frames" : "OTB runs: scores and plots only");
    return;
  }
  R.frames = (await (await api(`/api/run/${encodeURIComponent(seq)}`)).json()).frames;
  $("scrubber").max = Math.max(0, R.frames.length - 1);
  await showFrame(0);
}

async function loadInto(img, url) {
  const blob = await (await api(url)).blob();
  const old = img.src;
  img.src = URL.createObjectURL(blob);
  await img.decode();
  if (old.startsWith("blob:")) URL.revokeObjectURL(old);
}

async function showFrame(t) {
  if (!R.frames.length) { say(`${R.seq}: no predicted masks in the run`, true); return; }
  t = Math.max(0, Math.min(R.frames.length - 1, t));
  R.t = t;
  $("scrubber").value = t;
  const base = `/api/run/${encodeURIComponent(R.seq)}/${t}`;
  await Promise.all([loadInto($("pred"), `${base}/pred`), loadInto($("gt"), `${base}/gt`)]);
  $("frame-label").textContent = `${R.seq}: frame ${t} / ${R.frames.length - 1} (${R.frames[t]})`;
}

const guard = (fn) => async (...a) => { try { await fn(...a); } catch (e) { say(e.message, true); } };

async function init() {
  const run = (R.run = await (await api("/api/run")).json());
  $("run-name").textContent = `${run.kind} run: ${run.run}`;
  const g = run.global || {};
  $("global").textContent = run.kind === "davis" && g["J&F-Mean"] !== undefined
    ? `J&F ${fmt(g["J&F-Mean"])}  J ${fmt(g["J-Mean"])}  F ${fmt(g["F-Mean"])}` : "";
  const extra = run.kind === "davis" ? ["J", "F"] : ["precision@20"];
  $("scores").querySelector("thead").innerHTML =
    `<tr><th>sequence</th><th>${run.metric}</th>${extra.map((k) => `<th>${k}</th>`).join("")}</tr>`;
  const body = $("scores").querySelector("tbody");
  for (const row of run.rows) {
    const tr = document.createElement("tr");
    tr.dataset.seq = row.sequence;
    tr.innerHTML = `<td></td><td>${fmt(row.score)}</td>${extra.map((k) => `<td>${fmt(row[k])}</td>`).join("")}`;
    tr.firstChild.textContent = row.name;
    tr.onclick = guard(() => openSequence(row.sequence));
    body.appendChild(tr);
  }
  for (const p of run.plots) {
    const img = document.createElement("img");
    img.src = `/files/${p.split("/").map(encodeURIComponent).join("/")}`;
    img.alt = p;
    $("plots").appendChild(img);
  }
  $("scrubber").addEventListener("input", guard((e) => showFrame(Number(e.target.value))));
  document.addEventListener("keydown", (e) => {
    if (!R.seq) return;
    const step = { ArrowLeft: -1, ArrowRight: 1 }[e.key];
    if (step) { guard(showFrame)(R.t + step * (e.shiftKey ? 10 : 1)); e.preventDefault(); }
  });
  if (run.rows.length) await openSequence(run.rows[0].sequence);
  document.body.dataset.ready = "1";
}

init().catch((e) => { say(e.message, true); document.body.dataset.ready = "1"; });
