// erre's web chat. Text from the model, the writings or the user is put in the page with
// textContent; the only HTML inserted is the answer the server rendered with raw HTML disabled.
"use strict";

const STRINGS = {
  en: { newChat: "New chat", send: "Send", placeholder: "Ask {name} something…", copy: "Copy", copied: "Copied",
        del: "Delete", sources: "Sources", note: "Answers come from {name}'s writings; check the sources.",
        key: "API key for this twin", save: "Save", busy: "Busy: retry in a few seconds.", style: "style",
        reading: "Reading", writing: "writing…", failed: "Something went wrong:", untitled: "New conversation",
        confirmDelete: "Delete this conversation?" },
  it: { newChat: "Nuova chat", send: "Invia", placeholder: "Chiedi qualcosa a {name}…", copy: "Copia",
        copied: "Copiato", del: "Elimina", sources: "Fonti",
        note: "Le risposte vengono dagli scritti di {name}; controlla le fonti.",
        key: "Chiave API di questo gemello", save: "Salva", busy: "Occupato: riprova tra qualche secondo.",
        style: "stile", reading: "Sto leggendo", writing: "scrivo…", failed: "Qualcosa è andato storto:",
        untitled: "Nuova conversazione",
        confirmDelete: "Eliminare questa conversazione?" },
};
const lang = (navigator.language || "en").slice(0, 2) === "it" ? "it" : "en";
const T = STRINGS[lang];
const $ = (id) => document.getElementById(id);
const state = { name: "erre", current: null, busy: false };

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = text;
  return node;
}

function headers(extra = {}) {
  const key = localStorage.getItem("erre_key");
  return key ? { ...extra, Authorization: "Bearer " + key } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers || {}) });
  if (response.status === 401) { askKey(); throw new Error("401"); }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).error.message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

function askKey() {
  const dialog = $("key");
  if (!dialog.open) dialog.showModal();
}

$("key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  localStorage.setItem("erre_key", $("key-input").value.trim());
  $("key").close();
  start();
});

// -- conversations ----------------------------------------------------------------

async function listConversations() {
  const items = await (await api("/api/conversations")).json();
  const nav = $("conversations");
  nav.replaceChildren();
  for (const c of items) {
    const row = el("div", { class: "conv" + (c.id === state.current ? " active" : ""), "data-id": c.id });
    const link = el("a", { href: "#c=" + c.id }, c.title || T.untitled);
    link.addEventListener("click", (event) => { event.preventDefault(); openConversation(c.id); });
    const del = el("button", { type: "button", title: T.del, "aria-label": T.del }, "×");
    del.addEventListener("click", () => remove(c.id));
    row.append(link, del);
    nav.append(row);
  }
}

async function openConversation(id) {
  const data = await (await api("/api/conversations/" + encodeURIComponent(id))).json();
  state.current = id;
  location.hash = "c=" + id;
  $("messages").replaceChildren();
  for (const turn of data.turns) {
    if (turn.role === "user") addUser(turn.text);
    else finish(addAssistant(), turn);
  }
  document.body.classList.remove("menu-open");
  await listConversations();
}

async function remove(id) {
  if (!confirm(T.confirmDelete)) return;
  await api("/api/conversations/" + encodeURIComponent(id), { method: "DELETE" });
  if (id === state.current) newChat();
  await listConversations();
}

function newChat() {
  state.current = null;
  history.replaceState(null, "", location.pathname);
  $("messages").replaceChildren();
  $("question").focus();
  document.body.classList.remove("menu-open");
  listConversations();
}

// -- messages -----------------------------------------------------------------------

function addUser(text) {
  const msg = el("div", { class: "msg user" });
  msg.append(el("div", { class: "body" }, text));
  $("messages").append(msg);
  msg.scrollIntoView({ block: "end" });
}

function addAssistant() {
  const msg = el("div", { class: "msg assistant" });
  msg.append(el("div", { class: "body streaming" }));
  $("messages").append(msg);
  return msg;
}

// what the twin is reading while the model processes its passages (the longest part of the
// wait): the titles and dates, until the first words arrive
function reading(msg, sources) {
  const names = sources.map((c) => "«" + c.title + "»" + (c.date ? " (" + c.date.slice(0, 4) + ")" : ""));
  const note = el("div", { class: "reading", role: "status" },
    T.reading + ": " + names.join(", ") + " — " + T.writing);
  msg.insertBefore(note, msg.querySelector(".body"));
}

function clearReading(msg) {
  const note = msg.querySelector(".reading");
  if (note) note.remove();
}

function finish(msg, answer) {
  clearReading(msg);
  const body = msg.querySelector(".body");
  body.classList.remove("streaming");
  body.innerHTML = answer.html;  // rendered by the server with raw HTML disabled
  const notes = el("ol", { class: "footnotes", "aria-label": T.sources });
  for (const c of answer.citations || []) {
    const item = el("li", { "data-n": String(c.n) });
    item.append(document.createTextNode("[" + c.n + "] "));
    const label = c.title + (c.page ? ", p. " + c.page : "");
    if (c.url) {
      item.append(el("a", { href: c.url, target: "_blank", rel: "noopener noreferrer" }, label));
    } else {
      const button = el("button", { type: "button", class: "open" }, label);
      button.addEventListener("click", () => showSource(c));
      item.append(button);
    }
    item.append(document.createTextNode(" — " + c.source + (c.date ? ", " + c.date : "")));
    notes.append(item);
  }
  if (notes.children.length) msg.append(notes);
  for (const link of body.querySelectorAll("a.cite")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const item = notes.querySelector('li[data-n="' + link.dataset.n + '"]');
      if (!item) return;
      item.classList.add("flash");
      setTimeout(() => item.classList.remove("flash"), 1200);
      const target = item.querySelector("a, button");
      if (target) target.click();
    });
  }
  const tools = el("div", { class: "tools" });
  const copy = el("button", { type: "button", class: "copy" }, T.copy);
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(answer.text); copy.textContent = T.copied; } catch (e) { /* denied */ }
    setTimeout(() => { copy.textContent = T.copy; }, 1500);
  });
  tools.append(copy);
  if (answer.style && typeof answer.style.score === "number") {
    tools.append(el("span", { class: "style" }, T.style + " " + Math.round(answer.style.score * 100) + "%"));
  }
  msg.append(tools);
}

async function showSource(c) {
  const params = new URLSearchParams({ doc: c.source, start: c.start || 0, end: c.end || 0 });
  const data = await (await api("/api/source?" + params)).json();
  $("source-title").textContent = data.title;
  $("source-where").textContent = data.source;
  const text = $("source-text");
  const mark = el("mark", {}, data.quote);
  text.replaceChildren(document.createTextNode(data.before), mark, document.createTextNode(data.after));
  $("source").showModal();
  mark.scrollIntoView({ block: "center" });
}

// -- asking ---------------------------------------------------------------------------

async function ask(question) {
  if (!state.current) {
    const made = await (await api("/api/conversations", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" })).json();
    state.current = made.id;
    location.hash = "c=" + made.id;
  }
  addUser(question);
  const msg = addAssistant();
  const body = msg.querySelector(".body");
  let response;
  try {
    response = await api("/api/conversations/" + encodeURIComponent(state.current) + "/messages", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ question }) });
  } catch (e) {
    body.classList.add("error");
    body.textContent = e.message.includes("etry") ? T.busy : T.failed + " " + e.message;
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const name = (block.match(/^event: (.*)$/m) || [])[1];
      const data = JSON.parse((block.match(/^data: (.*)$/m) || [null, "{}"])[1]);
      if (name === "reading") {
        reading(msg, data.sources || []);
        msg.scrollIntoView({ block: "end" });
      } else if (name === "token") {
        clearReading(msg);
        body.textContent += data.text;
        msg.scrollIntoView({ block: "end" });
      } else if (name === "done") {
        finish(msg, data);
      } else if (name === "error") {
        clearReading(msg);
        body.classList.add("error");
        body.textContent = T.failed + " " + data.message;
      }
    }
  }
  await listConversations();
}

$("ask").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = $("question");
  const question = input.value.trim();
  if (!question || state.busy) return;
  state.busy = true;
  $("send").disabled = true;
  input.value = "";
  try { await ask(question); } finally { state.busy = false; $("send").disabled = false; input.focus(); }
});

$("question").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("ask").requestSubmit(); }
});
$("new-chat").addEventListener("click", newChat);
$("menu").addEventListener("click", () => document.body.classList.toggle("menu-open"));

// -- start ------------------------------------------------------------------------------

async function start() {
  document.documentElement.lang = lang;
  $("new-chat").textContent = "+ " + T.newChat;
  $("send").textContent = T.send;
  $("key-label").textContent = T.key;
  $("key-save").textContent = T.save;
  let info;
  try { info = await (await api("/api/info")).json(); } catch (e) { return; }
  state.name = info.name;
  document.title = info.name;
  $("twin-name").textContent = info.name;
  const avatar = $("avatar");
  if (info.avatar) avatar.replaceChildren(el("img", { src: "/avatar", alt: "" }));
  else avatar.textContent = info.initials;
  $("question").placeholder = T.placeholder.replace("{name}", info.name);
  $("note").textContent = T.note.replace("{name}", info.name);
  const wanted = (location.hash.match(/c=([\w-]+)/) || [])[1];
  if (wanted) {
    try { await openConversation(wanted); return; } catch (e) { history.replaceState(null, "", location.pathname); }
  }
  await listConversations();
}

start();
