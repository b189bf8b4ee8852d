// Tessera chat page: streams a turn from POST /v1/chat (Server-Sent Events read
// with fetch + ReadableStream), then renders the page's modules as cards.
// All catalog text goes through textContent; no HTML is built from strings.
// Engagement goes back to POST /v1/events under a random id kept in localStorage:
// a `click` when a card's link is opened, a `view` when a card has been at least
// half visible for a second (once per card and page).
"use strict";

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `u-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

function userId() {
  let id = null;
  try {
    id = localStorage.getItem("tessera.user");
    if (!id) {
      id = randomId();
      localStorage.setItem("tessera.user", id);
    }
  } catch {
    id = id || randomId();
  }
  return id;
}

const state = {
  threadId: sessionStorage.getItem("tessera.thread") || null,
  apiKey: sessionStorage.getItem("tessera.key") || null,
  userId: userId(),
  busy: false,
  pending: null,
};

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === "") continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function safeUrl(url) {
  if (!url) return null;
  try {
    const parsed = new URL(url, location.href);
    return ["http:", "https:"].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

// ---- formatting -------------------------------------------------------------

function money(value, currency) {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: currency || "USD" })
      .format(value);
  } catch {
    return `${value.toFixed(2)} ${currency || ""}`.trim();
  }
}

function clock(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function minutes(total) {
  if (total < 60) return `${total} min`;
  const h = Math.floor(total / 60);
  const m = total % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

const AVAILABILITY = {
  in_stock: ["In stock", "ok"],
  out_of_stock: ["Out of stock", "bad"],
  preorder: ["Pre-order", "warn"],
};
const VERTICAL_LABEL = { ideas: "Ideas", shopping: "Shopping", video: "Video", image: "Images" };

function hue(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)) % 360;
  return h;
}

// ---- cards and modules ------------------------------------------------------

function placeholder(item) {
  const h = hue(item.title);
  const box = el("div", { class: "placeholder", "aria-hidden": "true" },
    el("span", { class: "initial" }, [...item.title.trim()][0] || "?"));
  box.style.setProperty("--h", String(h));
  return box;
}

function media(item) {
  const frame = el("div", { class: "media" });
  const src = safeUrl(item.image_url);
  if (src) {
    const img = el("img", { src, alt: "", loading: "lazy", decoding: "async" });
    img.addEventListener("error", () => img.replaceWith(placeholder(item)), { once: true });
    frame.append(img);
  } else {
    frame.append(placeholder(item));
  }
  if (item.duration_s != null) frame.append(el("span", { class: "overlay" }, clock(item.duration_s)));
  if (item.total_time_min != null) frame.append(el("span", { class: "overlay" }, minutes(item.total_time_min)));
  return frame;
}

function facts(item) {
  const lines = [];
  if (item.price != null || item.availability) {
    const [label, tone] = AVAILABILITY[item.availability] || [item.availability, "muted"];
    lines.push(el("p", { class: "price-line" },
      item.price != null ? el("strong", { class: "price" }, money(item.price, item.currency)) : null,
      label ? el("span", { class: `pill ${tone}` }, label) : null));
  }
  const sub = [];
  if (item.brand) sub.push(item.brand);
  if (item.rating != null) sub.push(`★ ${item.rating.toFixed(1)}`);
  if (item.creator) sub.push(item.creator);
  if (item.year != null) sub.push(String(item.year));
  if (item.genre && item.genre.length) sub.push(item.genre.slice(0, 2).join(", "));
  if (item.diet && item.diet.length) sub.push(item.diet.slice(0, 2).join(", "));
  if (item.vertical === "ideas" && item.category) sub.push(item.category);
  if (sub.length) lines.push(el("p", { class: "sub" }, sub.join(" · ")));
  return lines;
}

// ---- engagement events ------------------------------------------------------

const VIEW_MS = 1000;
const EVENT_VERTICALS = new Set(["ideas", "shopping", "video"]);
const seen = new Set();
const viewTimers = new Map();
const shownCards = new WeakMap();

function sendEvent(kind, item, shown) {
  if (!EVENT_VERTICALS.has(item.vertical)) return;
  const body = { user_id: state.userId, item_id: item.id, vertical: item.vertical, kind };
  if (shown.pageId) {
    body.page_id = shown.pageId;
    body.module_id = shown.moduleId;
  }
  const h = { "Content-Type": "application/json" };
  if (state.apiKey) h.Authorization = `Bearer ${state.apiKey}`;
  fetch("/v1/events", { method: "POST", headers: h, body: JSON.stringify(body), keepalive: true })
    .catch(() => {});
}

const viewWatcher = "IntersectionObserver" in window
  ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const node = entry.target;
      if (entry.isIntersecting) {
        if (!viewTimers.has(node)) {
          viewTimers.set(node, setTimeout(() => {
            viewTimers.delete(node);
            viewWatcher.unobserve(node);
            const { item, shown } = shownCards.get(node);
            const key = `${shown.pageId}|${item.vertical}:${item.id}`;
            if (seen.has(key)) return;
            seen.add(key);
            sendEvent("view", item, shown);
          }, VIEW_MS));
        }
      } else if (viewTimers.has(node)) {
        clearTimeout(viewTimers.get(node));
        viewTimers.delete(node);
      }
    }
  }, { threshold: 0.5 })
  : null;

function card(item, shown) {
  const href = safeUrl(item.url);
  const opened = (event) => {
    if (event.type === "click" || event.button === 1) sendEvent("click", item, shown);
  };
  const title = href
    ? el("a", { href, target: "_blank", rel: "noopener noreferrer", onclick: opened, onauxclick: opened },
      item.title)
    : item.title;
  const node = el("li", { class: `card card--${item.vertical}` },
    media(item),
    el("div", { class: "card-body" }, el("h4", { class: "card-title" }, title), facts(item)));
  if (viewWatcher && shown.pageId && EVENT_VERTICALS.has(item.vertical)) {
    shownCards.set(node, { item, shown });
    viewWatcher.observe(node);
  }
  return node;
}

function moduleSection(mod, pageId) {
  const headingId = `m-${Math.random().toString(36).slice(2, 10)}`;
  return el("section", { class: `module module--${mod.vertical}`, "aria-labelledby": headingId },
    el("header", { class: "module-head" },
      el("div", {},
        el("h3", { id: headingId }, mod.title),
        mod.reason ? el("p", { class: "reason" }, mod.reason) : null),
      el("span", { class: `badge badge--${mod.vertical}` }, VERTICAL_LABEL[mod.vertical] || mod.vertical)),
    mod.items.length
      ? el("ul", { class: "grid" }, mod.items.map((item) => card(item, { pageId, moduleId: mod.id })))
      : el("p", { class: "empty" }, "Nothing matched here."));
}

function suggestionNav(suggestions) {
  if (!suggestions.length) return null;
  return el("nav", { class: "related", "aria-label": "Related searches" },
    el("h3", {}, "Related searches"),
    el("ul", { class: "chips" }, suggestions.map((text) =>
      el("li", {}, el("button", { type: "button", class: "chip", onclick: () => ask(text) }, text)))));
}

// ---- turns ------------------------------------------------------------------

function reveal(node) {
  const calm = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  node.scrollIntoView({ behavior: calm ? "auto" : "smooth", block: "start" });
}

function newTurn(query) {
  $("intro").hidden = true;
  const steps = el("ol", { class: "step-list" });
  const summary = el("summary", {}, el("span", { class: "spinner", "aria-hidden": "true" }), "Working…");
  const details = el("details", { class: "steps", open: true }, summary, steps);
  const answer = el("div", { class: "answer" }, details);
  const turn = el("li", { class: "turn", "aria-busy": "true" },
    el("div", { class: "you" }, el("p", { class: "bubble" }, query)), answer);
  $("turns").append(turn);
  reveal(turn);
  const early = el("div", { class: "early" });
  answer.append(early);
  return { turn, steps, summary, details, answer, early, started: performance.now() };
}

// A module streamed before the page: shown at once (items not yet clickable-logged);
// the page that follows replaces these with its final order.
function addEarlyModule(view, mod) {
  view.early.append(moduleSection(mod, null));
  $("status").textContent = `${view.early.children.length} modules so far…`;
}

function addStep(view, step) {
  view.steps.append(el("li", { class: step.ok ? "step" : "step failed" },
    el("span", { class: "step-name" }, step.name),
    el("span", { class: "step-detail" }, step.detail),
    el("span", { class: "step-ms" }, `${Math.round(step.elapsed_ms)} ms`)));
}

function showPage(view, page) {
  const seconds = ((performance.now() - view.started) / 1000).toFixed(2);
  view.summary.replaceChildren(`How this page was made · ${page.trace.steps.length} steps · ${seconds} s`);
  view.details.open = false;
  view.early.remove();
  if (page.trace.trace_id) {
    view.steps.append(el("li", { class: "step trace-id" },
      el("span", { class: "step-name" }, "trace id"),
      el("span", { class: "step-detail" }, page.trace.trace_id)));
  }
  view.details.append(el("p", { class: "planner" }, el("span", { class: "planner-label" }, "Planner"), page.trace.planner));
  if (page.trace.errors && page.trace.errors.length) {
    view.answer.append(el("p", { class: "notice" }, page.trace.errors.join("; ")));
  }
  if (page.spelling) view.answer.append(spellingNote(page.spelling));
  const abstained = (page.trace.notes || []).filter((note) => note.startsWith("no good matches"));
  for (const note of abstained) view.answer.append(el("p", { class: "abstain", role: "status" }, note[0].toUpperCase() + note.slice(1) + "."));
  if (!page.modules.length && !abstained.length) view.answer.append(el("p", { class: "empty" }, "No results: try other words."));
  for (const mod of page.modules) view.answer.append(moduleSection(mod, page.page_id));
  const nav = suggestionNav(page.suggestions || []);
  if (nav) view.answer.append(nav);
  view.turn.setAttribute("aria-busy", "false");
  $("status").textContent = `Page ready: ${page.modules.length} modules.`;
  reveal(view.turn);
}

/** "Showing results for <corrected>", with one click to search the words as typed. */
function spellingNote(spelling) {
  const again = el("button", { type: "button", class: "link", onclick: () => ask(spelling.original, false, null, true) },
    "Search instead for ", el("em", {}, spelling.original));
  return el("p", { class: "spelling", role: "status" },
    "Showing results for ", el("em", {}, spelling.corrected), ". ", again);
}

function failTurn(view, message) {
  view.summary.replaceChildren("Stopped");
  view.answer.append(el("p", { class: "notice bad" }, message));
  view.turn.setAttribute("aria-busy", "false");
}

function setThread(id) {
  state.threadId = id;
  if (id) sessionStorage.setItem("tessera.thread", id);
  else sessionStorage.removeItem("tessera.thread");
  const label = $("thread-label");
  label.hidden = !id;
  label.textContent = id ? `Conversation ${id.slice(0, 6)}` : "";
  label.title = id || "";
}

function showError(message) {
  const box = $("error");
  box.hidden = !message;
  box.textContent = message || "";
}

function setBusy(busy) {
  state.busy = busy;
  $("send").disabled = busy;
  document.querySelectorAll(".chip").forEach((chip) => { chip.disabled = busy; });
}

// ---- the stream -------------------------------------------------------------

async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer = (buffer + decoder.decode(value, { stream: true })).replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (data.length) yield { event, data: JSON.parse(data.join("\n")) };
    }
  }
}

function headers() {
  const h = { "Content-Type": "application/json", Accept: "text/event-stream" };
  if (state.apiKey) h.Authorization = `Bearer ${state.apiKey}`;
  return h;
}

/** Scale a picture to at most 320 px and encode it as a JPEG data URL (the model reads 224 px). */
async function pictureDataUrl(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 320 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", 0.85);
}

async function ask(query, retried = false, image = null, exact = false) {
  query = query.trim();
  if ((!query && !image) || state.busy) return;
  showError("");
  setBusy(true);
  const view = newTurn(query || "(picture)");
  try {
    const body = { query, user_id: state.userId };
    if (image) body.image = image;
    if (exact) body.exact = true;
    if (state.threadId) body.thread_id = state.threadId;
    const response = await fetch("/v1/chat", { method: "POST", headers: headers(), body: JSON.stringify(body) });
    if (!response.ok) {
      const err = await response.json().catch(() => ({ detail: response.statusText }));
      if (response.status === 401) {
        state.pending = query;
        $("key-box").hidden = false;
        $("api-key").focus();
      }
      if (response.status === 404 && state.threadId && !retried) {
        view.turn.remove();
        setThread(null);
        setBusy(false);
        showError("That conversation is no longer on the server; starting a new one.");
        return await ask(query, true, image, exact);
      }
      failTurn(view, err.detail || `error ${response.status}`);
      showError(err.detail || `error ${response.status}`);
      return;
    }
    let finished = false;
    for await (const { event, data } of readEvents(response)) {
      if (event === "thread") setThread(data.thread_id);
      else if (event === "step") addStep(view, data);
      else if (event === "module") addEarlyModule(view, data);
      else if (event === "page") {
        if (data.thread_id) setThread(data.thread_id);
        showPage(view, data);
        finished = true;
      } else if (event === "error") {
        failTurn(view, `${data.detail} (request ${data.request_id})`);
        finished = true;
      }
    }
    if (!finished) failTurn(view, "The connection closed before the page arrived; try again.");
  } catch (error) {
    failTurn(view, `Could not reach the server: ${error.message}`);
  } finally {
    setBusy(false);
  }
}

// ---- earlier turns of a stored thread ----------------------------------------

async function restoreThread() {
  if (!state.threadId) return;
  const auth = state.apiKey ? { Authorization: `Bearer ${state.apiKey}` } : {};
  const response = await fetch(`/v1/threads/${encodeURIComponent(state.threadId)}`, { headers: auth })
    .catch(() => null);
  if (!response || !response.ok) {
    if (response && response.status === 404) setThread(null);
    return;
  }
  const thread = await response.json();
  if (!thread.turns.length) return;
  $("intro").hidden = true;
  for (const turn of thread.turns) {
    $("turns").append(el("li", { class: "turn past" },
      el("div", { class: "you" }, el("p", { class: "bubble" }, turn.text)),
      el("p", { class: "past-modules" }, turn.modules.length ? `Showed: ${turn.modules.join(" · ")}` : "No modules")));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setThread(state.threadId);
  $("ask").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("q");
    const query = input.value;
    input.value = "";
    const picture = $("picture");
    const file = picture.files && picture.files[0];
    picture.value = "";
    $("picture-name").textContent = "";
    if (!file) { ask(query); return; }
    pictureDataUrl(file).then((image) => ask(query, false, image))
      .catch(() => showError("That picture could not be read; try a JPEG or PNG."));
  });
  $("picture").addEventListener("change", () => {
    const file = $("picture").files[0];
    $("picture-name").textContent = file ? file.name : "";
  });
  $("key-box").addEventListener("submit", (event) => {
    event.preventDefault();
    state.apiKey = $("api-key").value.trim() || null;
    if (state.apiKey) sessionStorage.setItem("tessera.key", state.apiKey);
    $("key-box").hidden = true;
    $("turns").lastElementChild?.remove();
    const query = state.pending;
    state.pending = null;
    if (query) ask(query);
  });
  $("new-thread").addEventListener("click", () => {
    setThread(null);
    $("turns").replaceChildren();
    $("intro").hidden = false;
    showError("");
    $("q").focus();
  });
  document.querySelectorAll("[data-example]").forEach((chip) => {
    chip.addEventListener("click", () => ask(chip.textContent));
  });
  restoreThread();
});
