/*
 * IOP question assistant — embeddable chat widget (plain ES2017, no build step).
 *
 * Embed:  <div id="iop-chat"></div>
 *         <script src="/chat/widget.js" defer></script>
 * Optional attributes on the script tag: data-server="https://host" (server
 * origin), data-open="true" (open on load; used by the demo page),
 * data-lang="es" (the widget's language; else the page's <html lang>, else the
 * browser's). The widget's own texts then follow the conversation: each bot
 * message says the conversation's language, and each bot bubble gets its lang.
 *
 * Everything (styles, socket.io client, socket) comes from the server that
 * served this file; nothing is requested from anywhere else. All text coming
 * from the server or the visitor is inserted with text nodes, never as HTML.
 */
(function () {
  "use strict";
  if (window.IOPChat) return; // loaded twice on one page: keep the first instance

  // document.currentScript is only set while this file runs, so read it now.
  const script = document.currentScript || document.querySelector('script[src$="/chat/widget.js"]');
  const base = serverBase();
  const STORE_KEY = "iopchat.session";
  const MAX_LEN = 1000;
  const REPLY_TIMEOUT_MS = 20000;

  function serverBase() {
    const override = script && script.getAttribute("data-server");
    try {
      // Only the origin: socket.io would read any path as a namespace.
      return new URL(override || script.src, location.href).origin;
    } catch (e) {
      return location.origin;
    }
  }

  // ---- session id storage: localStorage (shared by tabs), memory if it is blocked
  let memoryId = null;
  let storageBroken = false;
  const store = {
    get() {
      if (storageBroken) return memoryId;
      try { return localStorage.getItem(STORE_KEY); } catch (e) { storageBroken = true; return memoryId; }
    },
    set(id) {
      memoryId = id;
      try { localStorage.setItem(STORE_KEY, id); } catch (e) { storageBroken = true; }
    },
    remove() {
      memoryId = null;
      try { localStorage.removeItem(STORE_KEY); } catch (e) { storageBroken = true; }
    },
  };

  // ---- small DOM helpers (text only; no innerHTML anywhere)
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => {
      if (k === "class") node.className = attrs[k];
      else if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach((c) => node.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    return node;
  }

  function icon(pathData) {
    const NS = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(NS, "svg");
    const path = document.createElementNS(NS, "path");
    const attrs = { viewBox: "0 0 24 24", width: "24", height: "24", "aria-hidden": "true", focusable: "false" };
    Object.keys(attrs).forEach((k) => svg.setAttribute(k, attrs[k]));
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }
  const CHAT_ICON = "M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zM6 9h12v2H6V9zm8 5H6v-2h8v2zm4-6H6V6h12v2z";
  const CLOSE_ICON = "M19 6.4 17.6 5 12 10.6 6.4 5 5 6.4 10.6 12 5 17.6 6.4 19 12 13.4 17.6 19 19 17.6 13.4 12z";
  const THUMB_UP_ICON = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";
  const THUMB_DOWN_ICON = "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z";
  // The widget's own texts, by language. Every bot message is the server's, already in the
  // conversation's language. reasons: what a thumbs down may give (bot/channels/feedback.py).
  const TEXTS = {
    en: {
      launcher: "Chat with us", title: "Questions about IOP", region: "Chat",
      disclaimer: ["General information, not medical advice. In an emergency call ", "911", ", or call/text ", "988", "."],
      clear: "Clear", clearLabel: "Clear conversation", closeLabel: "Close chat",
      confirmQuestion: "Clear this conversation? It can't be brought back.", confirmYes: "Clear", confirmNo: "Keep it",
      log: "Conversation", typing: "Assistant is typing…", input: "Type your question", send: "Send",
      choices: "Choices", botSaid: "Assistant said: ", youSaid: "You said: ",
      helpful: "Was this helpful?", up: "Yes, helpful", down: "No, not helpful",
      reasonsLabel: "What was wrong? (optional)", thanks: "Thanks for your feedback.",
      reasons: { wrong: "Wrong answer", incomplete: "Incomplete", too_long: "Too long", unclear: "Hard to understand",
        other: "Other" },
      noAnswer: "No answer yet — please try again.", connecting: "Connecting…", reconnecting: "Reconnecting…",
      unreachable: "Can't reach the assistant yet. Trying again…",
      cantLoad: "The chat can't load right now. Please try again later.",
    },
    es: {
      launcher: "Chatea con nosotros", title: "Preguntas sobre IOP", region: "Chat",
      disclaimer: ["Información general, no consejo médico. En una emergencia llama al ", "911",
        ", o llama o escribe al ", "988", "."],
      clear: "Borrar", clearLabel: "Borrar la conversación", closeLabel: "Cerrar el chat",
      confirmQuestion: "¿Borrar esta conversación? No se podrá recuperar.", confirmYes: "Borrar",
      confirmNo: "Conservarla",
      log: "Conversación", typing: "El asistente está escribiendo…", input: "Escribe tu pregunta", send: "Enviar",
      choices: "Opciones", botSaid: "El asistente dijo: ", youSaid: "Tú dijiste: ",
      helpful: "¿Te fue útil?", up: "Sí, me sirvió", down: "No me sirvió",
      reasonsLabel: "¿Qué estuvo mal? (opcional)", thanks: "Gracias por tu opinión.",
      reasons: { wrong: "Respuesta equivocada", incomplete: "Incompleta", too_long: "Demasiado larga",
        unclear: "Difícil de entender", other: "Otro" },
      noAnswer: "Todavía no hay respuesta. Inténtalo de nuevo.", connecting: "Conectando…",
      reconnecting: "Reconectando…", unreachable: "Aún no se puede contactar al asistente. Lo seguimos intentando…",
      cantLoad: "El chat no se puede cargar ahora. Inténtalo más tarde.",
    },
  };
  const REASONS = ["wrong", "incomplete", "too_long", "unclear", "other"];

  // "es-MX" -> "es"; anything not Spanish -> English.
  const languageOf = (tag) => (/^es\b/i.test(String(tag || "").trim()) ? "es" : "en");
  const known = (tag) => typeof tag === "string" && Object.prototype.hasOwnProperty.call(TEXTS, tag);
  function pageLanguage() {
    const chosen = (script && script.getAttribute("data-lang")) || document.documentElement.getAttribute("lang");
    return languageOf(chosen || (navigator.languages && navigator.languages[0]) || navigator.language);
  }
  let lang = pageLanguage();
  const t = (key) => TEXTS[lang][key];

  // Newlines become <br>; every piece of text is a text node.
  function appendText(node, text) {
    String(text == null ? "" : text).split(/\r\n|\r|\n/).forEach((line, i) => {
      if (i) node.appendChild(document.createElement("br"));
      node.appendChild(document.createTextNode(line));
    });
  }

  // ---- build the UI
  // Texts are filled in by applyTexts(), for the language the widget is in.
  const launcherText = el("span");
  const launcher = el("button", {
    type: "button", class: "iopchat-launcher", "aria-expanded": "false",
    "aria-controls": "iopchat-panel", "data-testid": "launcher",
  }, [icon(CHAT_ICON), launcherText]);

  const clearBtn = el("button", { type: "button", class: "iopchat-hbtn iopchat-clear", "data-testid": "clear" });
  const closeBtn = el("button", {
    type: "button", class: "iopchat-hbtn iopchat-close", "data-testid": "close",
  }, [icon(CLOSE_ICON)]);
  const title = el("h2", { id: "iopchat-title", class: "iopchat-title" });
  const disclaimer = el("p", { class: "iopchat-disclaimer" });
  const header = el("div", { class: "iopchat-header" }, [
    el("div", { class: "iopchat-heading" }, [title, disclaimer]),
    el("div", { class: "iopchat-hbtns" }, [clearBtn, closeBtn]),
  ]);

  const status = el("p", { class: "iopchat-status", role: "status", "data-testid": "status", hidden: "" });

  const confirmYes = el("button", { type: "button", class: "iopchat-btn iopchat-btn--danger", "data-testid": "clear-confirm" });
  const confirmNo = el("button", { type: "button", class: "iopchat-btn", "data-testid": "clear-cancel" });
  const confirmQuestion = el("p", { id: "iopchat-confirm-q" });
  const confirmBox = el("div", { class: "iopchat-confirm", role: "group", "aria-labelledby": "iopchat-confirm-q", hidden: "" }, [
    confirmQuestion, el("div", { class: "iopchat-confirm-btns" }, [confirmYes, confirmNo]),
  ]);

  // tabindex=0 lets keyboard users scroll the transcript; messages themselves are never focused.
  const log = el("div", {
    class: "iopchat-log", role: "log", "aria-live": "polite", "data-testid": "transcript", tabindex: "0",
  });
  const typingText = el("span", { class: "iopchat-sr" });
  const typing = el("div", { class: "iopchat-typing", "data-testid": "typing" }, [
    el("span", { class: "iopchat-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
    typingText,
  ]);

  const input = el("textarea", {
    id: "iopchat-input", class: "iopchat-input", rows: "1", maxlength: String(MAX_LEN),
    autocomplete: "off", "data-testid": "input",
  });
  const inputLabel = el("label", { for: "iopchat-input", class: "iopchat-sr" });
  const sendBtn = el("button", { type: "submit", class: "iopchat-send", "data-testid": "send", disabled: "" });
  const form = el("form", { class: "iopchat-form", novalidate: "" }, [inputLabel, input, sendBtn]);

  const panel = el("section", {
    id: "iopchat-panel", class: "iopchat-panel", "aria-labelledby": "iopchat-title", "data-testid": "panel", hidden: "",
  }, [header, status, confirmBox, log, form]);

  // A named region so the launcher is inside a landmark on any host page.
  const root = el("div", { class: "iopchat", role: "region" }, [launcher, panel]);

  // ---- state
  let socket = null;
  let loadingClient = false;
  let ready = false;            // connected AND the server confirmed a session
  let everConnected = false;
  let sessionId = store.get();
  let requestedId = null;       // the id we last asked the server for
  let pendingClear = null;      // a clear made while offline, sent on the next connect
  let activeGroup = null;       // the only choice group that may still be used
  let replyTimer = null;

  let statusKey = null;         // the status shown (a key of TEXTS), so a language switch rewrites it

  function setStatus(key) {
    statusKey = key || null;
    status.textContent = key ? t(key) : "";
    status.hidden = !key;
  }

  // Every text of the widget's own, in the current language; messages keep the server's words.
  function applyTexts() {
    root.setAttribute("lang", lang);
    root.setAttribute("aria-label", t("region"));
    launcherText.textContent = t("launcher");
    clearBtn.textContent = t("clear");
    clearBtn.setAttribute("aria-label", t("clearLabel"));
    closeBtn.setAttribute("aria-label", t("closeLabel"));
    title.textContent = t("title");
    // Crisis numbers are links so a phone can dial them in one tap.
    const [before, first, middle, second, after] = t("disclaimer");
    disclaimer.textContent = "";
    [before, el("a", { href: `tel:${first}`, text: first }), middle, el("a", { href: `tel:${second}`, text: second }),
      after].forEach((c) => disclaimer.appendChild(typeof c === "string" ? document.createTextNode(c) : c));
    confirmQuestion.textContent = t("confirmQuestion");
    confirmYes.textContent = t("confirmYes");
    confirmNo.textContent = t("confirmNo");
    log.setAttribute("aria-label", t("log"));
    typingText.textContent = t("typing");
    input.setAttribute("placeholder", t("input"));
    inputLabel.textContent = t("input");
    sendBtn.textContent = t("send");
    log.querySelectorAll(".iopchat-choices").forEach((g) => g.setAttribute("aria-label", t("choices")));
    log.querySelectorAll(".iopchat-msg").forEach((m) => {
      const said = m.querySelector(".iopchat-said");
      if (said) said.textContent = t(m.iopSender === "bot" ? "botSaid" : "youSaid");
    });
    log.querySelectorAll(".iopchat-rate").forEach(rateTexts);
    if (statusKey) setStatus(statusKey);
  }

  // The conversation's language changed (the server says so with each bot message).
  function setLanguage(tag) {
    if (!known(tag) || tag === lang) return;
    lang = tag;
    applyTexts();
  }

  function setReady(value) {
    ready = value;
    sendBtn.disabled = !value;
    if (activeGroup) activeGroup.querySelectorAll("button").forEach((b) => { b.disabled = !value; });
    log.querySelectorAll(".iopchat-rate button").forEach((b) => { b.disabled = !value; });
    if (value) setStatus("");
  }

  const scrollDown = () => { log.scrollTop = log.scrollHeight; };

  // New entries go above the typing indicator, which always stays last.
  function insert(node) {
    log.insertBefore(node, typing.parentNode === log ? typing : null);
    scrollDown();
  }

  function emptyLog() {
    Array.from(log.childNodes).forEach((n) => { if (n !== typing) log.removeChild(n); });
    activeGroup = null;
  }

  function retireChoices() {
    log.querySelectorAll(".iopchat-choices button").forEach((b) => { b.disabled = true; });
    activeGroup = null;
  }

  function markChosen(msg, btn, title) {
    btn.classList.add("chosen");
    btn.setAttribute("aria-pressed", "true");
    btn.insertBefore(el("span", { class: "iopchat-check", "aria-hidden": "true", text: "✓ " }), btn.firstChild);
    msg.iopChosen = title;
  }

  function choicesGroup(msg, buttons, chosen) {
    const group = el("div", { class: "iopchat-choices", role: "group", "aria-label": t("choices") });
    buttons.forEach((b) => {
      const title = String(b.title != null ? b.title : b.payload);
      const payload = String(b.payload != null ? b.payload : title);
      const btn = el("button", { type: "button", class: "iopchat-choice", disabled: "" }, [title]);
      if (chosen != null && chosen === title) markChosen(msg, btn, title);
      btn.addEventListener("click", () => {
        if (!ready || group !== activeGroup) return;
        markChosen(msg, btn, title);
        retireChoices();
        send(payload, title);
        // The pressed button is now disabled; put keyboard focus back where typing happens.
        input.focus();
      });
      group.appendChild(btn);
    });
    return group;
  }

  // ---- "Was this helpful?": one vote per answer, changeable; a thumbs down offers optional reasons.
  // A vote is sent as the /feedback payload; the server stores it and never answers it.
  let rateCount = 0;

  function showVote(control, vote) {
    const up = vote && vote.vote === "up";
    const down = vote && vote.vote === "down";
    control.iopUp.setAttribute("aria-pressed", String(!!up));
    control.iopDown.setAttribute("aria-pressed", String(!!down));
    control.iopReasons.hidden = !down;
    control.iopReasons.querySelectorAll("button").forEach((b) => {
      b.setAttribute("aria-pressed", String(!!down && vote.reason === b.getAttribute("data-reason")));
    });
    control.iopVote = vote || null;
  }

  function sendVote(control, vote, reason) {
    if (!ready) return;
    const data = { answer_key: control.iopKey, vote };
    if (vote === "down" && reason) data.reason = reason;
    showVote(control, data);
    control.iopThanks.textContent = "";
    socket.emit("user_uttered", { message: `/feedback${JSON.stringify(data)}`, session_id: sessionId });
  }

  // The control's texts in the current language (also when the language changes later).
  function rateTexts(control) {
    control.iopQuestion.textContent = t("helpful");
    control.iopUp.setAttribute("aria-label", t("up"));
    control.iopDown.setAttribute("aria-label", t("down"));
    control.iopReasons.setAttribute("aria-label", t("reasonsLabel"));
    control.iopReasons.querySelectorAll("button").forEach((b) => {
      b.textContent = t("reasons")[b.getAttribute("data-reason")];
    });
    if (control.iopThanks.textContent) control.iopThanks.textContent = t("thanks");
  }

  function rateControl(answerKey, vote) {
    const id = `iopchat-rate-${++rateCount}`;
    const upBtn = el("button", {
      type: "button", class: "iopchat-thumb", "aria-pressed": "false", "data-testid": "vote-up",
    }, [icon(THUMB_UP_ICON)]);
    const downBtn = el("button", {
      type: "button", class: "iopchat-thumb", "aria-pressed": "false", "data-testid": "vote-down",
    }, [icon(THUMB_DOWN_ICON)]);
    const reasons = el("div", {
      class: "iopchat-reasons", role: "group", hidden: "",
    }, REASONS.map((reason) => el("button", {
      type: "button", class: "iopchat-reason", "aria-pressed": "false", "data-reason": reason,
      "data-testid": `vote-reason-${reason}`,
    })));
    const thanks = el("span", { class: "iopchat-rate-thanks", "data-testid": "vote-thanks" });
    const question = el("span", { id, class: "iopchat-rate-q" });
    const control = el("div", { class: "iopchat-rate", role: "group", "aria-labelledby": id }, [
      question, upBtn, downBtn, thanks, reasons,
    ]);
    Object.assign(control, { iopKey: String(answerKey), iopUp: upBtn, iopDown: downBtn, iopReasons: reasons,
      iopThanks: thanks, iopQuestion: question });
    rateTexts(control);
    upBtn.addEventListener("click", () => sendVote(control, "up"));
    downBtn.addEventListener("click", () => {
      if (control.iopVote && control.iopVote.vote === "down") return; // already down: reasons are shown
      sendVote(control, "down");
    });
    reasons.querySelectorAll("button").forEach((b) => {
      b.addEventListener("click", () => sendVote(control, "down", b.getAttribute("data-reason")));
    });
    [upBtn, downBtn, ...reasons.querySelectorAll("button")].forEach((b) => { b.disabled = !ready; });
    showVote(control, vote);
    return control;
  }

  // The server kept a vote (this tab's or another tab's): show it on the latest answer with that key.
  function voteSaved(data) {
    if (!data || !data.answer_key) return;
    const controls = Array.from(log.querySelectorAll(".iopchat-rate")).filter((c) => c.iopKey === data.answer_key);
    const control = controls[controls.length - 1];
    if (!control) return;
    showVote(control, data);
    control.iopThanks.textContent = t("thanks");
  }

  // opts: {buttons, chosen, response, keepChoices, answerKey, feedback, vote, language}
  function addMessage(sender, text, opts) {
    opts = opts || {};
    const isBot = sender === "bot";
    const msg = el("div", { class: `iopchat-msg iopchat-msg--${isBot ? "bot" : "user"}` });
    if (isBot && opts.response) msg.setAttribute("data-response", String(opts.response));
    if (isBot && opts.answerKey) msg.setAttribute("data-answer-key", String(opts.answerKey));
    msg.iopSender = isBot ? "bot" : "user";
    msg.iopText = String(text == null ? "" : text);
    msg.iopChosen = null;
    msg.appendChild(el("span", { class: "iopchat-sr iopchat-said", text: t(isBot ? "botSaid" : "youSaid") }));
    const bubble = el("div", { class: "iopchat-bubble" });
    // The bot's words in their language, so a screen reader pronounces them right; the
    // widget's own texts around them keep the widget's language.
    const said = isBot ? (known(opts.language) ? opts.language : lang) : null;
    if (said) bubble.setAttribute("lang", said);
    appendText(bubble, msg.iopText);
    if (msg.iopText) msg.appendChild(bubble);
    if (isBot && !opts.keepChoices) retireChoices(); // a newer bot message retires older choices
    const buttons = Array.isArray(opts.buttons) ? opts.buttons.filter((b) => b && (b.title != null || b.payload != null)) : [];
    if (isBot && buttons.length) {
      const group = choicesGroup(msg, buttons, opts.chosen);
      if (said) group.setAttribute("lang", said);
      msg.appendChild(group);
      if (msg.iopChosen == null) {
        activeGroup = group;
        group.querySelectorAll("button").forEach((b) => { b.disabled = !ready; });
      }
    }
    if (isBot && opts.feedback && opts.answerKey && msg.iopText) msg.appendChild(rateControl(opts.answerKey, opts.vote));
    insert(msg);
    return msg;
  }

  function showTyping() {
    clearTimeout(replyTimer);
    log.appendChild(typing);
    scrollDown();
    replyTimer = setTimeout(() => {
      hideTyping();
      insert(el("p", { class: "iopchat-notice", text: t("noAnswer") }));
    }, REPLY_TIMEOUT_MS);
  }

  function hideTyping() {
    clearTimeout(replyTimer);
    replyTimer = null;
    if (typing.parentNode) typing.parentNode.removeChild(typing);
  }

  const signature = (sender, text, chosen) => `${sender}\u0000${text}\u0000${chosen == null ? "" : chosen}`;

  // History replaces the transcript. When what is shown is already the start of
  // it (a reconnect), only the missing messages are added, so screen readers do
  // not re-announce the whole conversation through the live log.
  function renderHistory(messages, language) {
    setLanguage(language);
    messages = (Array.isArray(messages) ? messages : []).filter((m) => m && typeof m === "object");
    const shown = Array.from(log.querySelectorAll(".iopchat-msg"));
    const isPrefix = shown.length <= messages.length && shown.every((m, i) => {
      const h = messages[i];
      return m.iopSender === (h.sender === "bot" ? "bot" : "user") &&
        signature(m.iopSender, m.iopText, m.iopChosen) === signature(m.iopSender, String(h.text == null ? "" : h.text), h.chosen);
    });
    if (!isPrefix) emptyLog();
    messages.slice(isPrefix ? shown.length : 0).forEach((m) => {
      addMessage(m.sender === "bot" ? "bot" : "user", m.text, {
        buttons: m.buttons, chosen: m.chosen, response: m.response, answerKey: m.answer_key, feedback: m.feedback,
        vote: m.vote, language: m.language,
      });
    });
    // A reply that arrived while we were offline ends the wait.
    if (messages.length && messages[messages.length - 1].sender === "bot") hideTyping();
    scrollDown();
  }

  function send(message, shown) {
    if (!ready) return false;
    addMessage("user", shown);
    socket.emit("user_uttered", { message, session_id: sessionId });
    showTyping();
    return true;
  }

  function submitInput() {
    const text = input.value.trim();
    if (text && ready && send(text.slice(0, MAX_LEN), text.slice(0, MAX_LEN))) {
      input.value = "";
      autosize();
    }
    input.focus();
  }

  function autosize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 128)}px`;
  }

  // ---- socket
  function connect() {
    // tryAllTransports: fall back to long-polling where a proxy blocks WebSocket
    // (without it socket.io 4.8 only ever retries the first transport).
    socket = window.io(base, { path: "/socket.io", transports: ["websocket", "polling"], tryAllTransports: true });

    socket.on("connect", () => {
      everConnected = true;
      setStatus("connecting");
      if (pendingClear) {
        socket.emit("clear_session", { session_id: pendingClear });
        pendingClear = null;
      }
      // Re-read: another tab may have started or cleared the conversation meanwhile.
      sessionId = store.get();
      requestedId = sessionId;
      // A new conversation is greeted in the widget's language.
      socket.emit("session_request", { session_id: sessionId || null, language: lang });
    });

    socket.on("session_confirm", (data) => {
      const id = typeof data === "string" ? data : data && data.session_id;
      if (!id) return;
      // The server could not resume the stored conversation: what is shown no longer applies.
      if (requestedId && id !== requestedId) emptyLog();
      sessionId = String(id);
      requestedId = sessionId;
      store.set(sessionId);
      setReady(true);
    });

    socket.on("history", (data) => renderHistory(data && data.messages, data && data.language));

    socket.on("bot_uttered", (data) => {
      if (!data) return;
      hideTyping();
      if (data.text == null && !(data.buttons && data.buttons.length)) return; // nothing we can show
      setLanguage(data.language); // before the message, so its rating control is in that language too
      addMessage("bot", data.text, {
        buttons: data.buttons, response: data.response, answerKey: data.answer_key, feedback: data.feedback,
        language: data.language,
      });
    });

    socket.on("feedback_saved", voteSaved);

    socket.on("user_echo", (data) => {
      if (data && data.text) addMessage("user", data.text);
    });

    // A transient fault (e.g. rate limited): shown as a bot message, but the
    // choices offered before stay usable.
    socket.on("error_message", (data) => {
      hideTyping();
      setLanguage(data && data.language);
      addMessage("bot", data && data.text, {
        response: data && data.response, keepChoices: true, language: data && data.language,
      });
    });

    socket.on("disconnect", (reason) => {
      setReady(false);
      setStatus("reconnecting");
      // socket.io does not retry after a server-side disconnect; do it gently.
      if (reason === "io server disconnect") setTimeout(() => socket.connect(), 3000);
    });

    socket.on("connect_error", () => {
      setReady(false);
      setStatus(everConnected ? "reconnecting" : "unreachable");
    });
  }

  // The socket.io client is loaded (and the socket opened) only when the panel is
  // first opened, so nothing is sent for visitors who never open the chat.
  function ensureSocket() {
    if (socket || loadingClient) return;
    if (typeof window.io === "function") { connect(); return; }
    loadingClient = true;
    setStatus("connecting");
    const tag = document.createElement("script");
    tag.src = `${base}/chat/vendor/socket.io.min.js`;
    tag.async = true;
    const failed = () => setStatus("cantLoad");
    tag.onload = () => { loadingClient = false; if (typeof window.io === "function") connect(); else failed(); };
    tag.onerror = () => { loadingClient = false; tag.remove(); failed(); }; // a later open tries again
    document.head.appendChild(tag);
  }

  // ---- open / close / clear
  function open(opts) {
    panel.hidden = false;
    root.classList.add("iopchat--open");
    launcher.setAttribute("aria-expanded", "true");
    ensureSocket();
    scrollDown();
    if (!opts || opts.focus !== false) {
      root.style.visibility = ""; // opened before the styles arrived: an unstyled panel beats an unfocusable one
      input.focus();
    }
  }

  function close() {
    const hadFocus = panel.contains(document.activeElement);
    hideConfirm();
    panel.hidden = true;
    root.classList.remove("iopchat--open");
    launcher.setAttribute("aria-expanded", "false");
    if (hadFocus) launcher.focus(); // focus must not stay inside a hidden panel
  }

  function clear() {
    const old = sessionId || store.get();
    store.remove();
    sessionId = null;
    requestedId = null;
    hideTyping();
    emptyLog();
    if (socket && socket.connected) {
      setReady(false); // until the server confirms the new session
      if (old) socket.emit("clear_session", { session_id: old });
      socket.emit("session_request", { session_id: null });
    } else if (old) {
      pendingClear = old; // socket.io would otherwise buffer it behind the reconnect
    }
  }

  const hideConfirm = () => { confirmBox.hidden = true; };

  applyTexts();

  // ---- events
  launcher.addEventListener("click", () => (panel.hidden ? open() : close()));
  closeBtn.addEventListener("click", close);
  clearBtn.addEventListener("click", () => { confirmBox.hidden = false; confirmNo.focus(); }); // focus the safe choice
  confirmNo.addEventListener("click", () => { hideConfirm(); clearBtn.focus(); });
  confirmYes.addEventListener("click", () => { hideConfirm(); clear(); input.focus(); });

  panel.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    e.preventDefault();
    if (!confirmBox.hidden) { hideConfirm(); clearBtn.focus(); } else close();
  });

  form.addEventListener("submit", (e) => { e.preventDefault(); submitInput(); });
  input.addEventListener("keydown", (e) => {
    // Enter sends, Shift+Enter is a new line; leave Enter alone while an IME is composing.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submitInput();
    }
  });
  input.addEventListener("input", autosize);

  // ---- mount
  function loadStyles() {
    const href = `${base}/chat/widget.css`;
    if (Array.from(document.querySelectorAll('link[rel="stylesheet"]')).some((l) => l.href === href)) return;
    // Hidden until styled, to avoid a flash of raw buttons; shown anyway after 3 s.
    root.style.visibility = "hidden";
    const reveal = () => { root.style.visibility = ""; };
    const link = el("link", { rel: "stylesheet", href });
    link.onload = reveal;
    link.onerror = reveal;
    setTimeout(reveal, 3000);
    document.head.appendChild(link);
  }

  function mount() {
    loadStyles();
    const host = document.getElementById("iop-chat") || document.body.appendChild(document.createElement("div"));
    host.appendChild(root);
    if (script && script.getAttribute("data-open") === "true") open({ focus: false });
  }

  window.IOPChat = { open: () => open(), close, clear, language: () => lang };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
