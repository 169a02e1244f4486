/*! Pivra chat widget.
 * <script src="https://YOUR-PIVRA-HOST/widget.js" data-key="pivra_pk_…" async></script>
 * No dependencies. The UI lives in an open shadow root, so the page's CSS cannot break it and
 * its CSS cannot leak into the page. Messages are shown as text, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript || document.querySelector('script[data-key][src*="widget.js"]');
  var key = script && script.getAttribute("data-key");
  if (!key || !window.fetch || !Element.prototype.attachShadow) return;
  var marker = "__pivraWidget_" + key;
  if (window[marker]) return; // the snippet pasted twice
  window[marker] = true;

  var API = new URL(script.src, location.href).origin + "/widget/v1";
  var CONVERSATION_KEY = "pivra:conversation:" + key;
  var VISITOR_KEY = "pivra:visitor";
  var LEAD_FIELDS = ["name", "email", "phone"];

  // A custom element name, so that the page's `div { … }` rules cannot reach the host element.
  var host = document.createElement("pivra-chat");
  var root = host.attachShadow({ mode: "open" });
  var CSS =
    ":host{all:initial}" +
    "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',sans-serif}" +
    "[hidden]{display:none!important}" +
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "button{font-weight:600;font-size:14px;line-height:1.2;border:0;border-radius:8px;padding:9px 14px;cursor:pointer;background:#4f46e5;color:#fff}" +
    "button:disabled{opacity:.6;cursor:default}" +
    "button.quiet{background:#eef2ff;color:#3730a3}" +
    "button:focus-visible,input:focus-visible{outline:3px solid #a5b4fc;outline-offset:2px}" +
    ".bubble{position:fixed;right:20px;bottom:20px;z-index:2147483000;border-radius:999px;padding:13px 20px;font-size:15px;box-shadow:0 6px 20px rgba(0,0,0,.2)}" +
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:min(370px,calc(100vw - 40px));height:min(580px,calc(100vh - 40px));display:flex;flex-direction:column;background:#fff;color:#1d2433;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.25);overflow:hidden;font-size:14px;line-height:1.45}" +
    "header{display:flex;align-items:center;justify-content:space-between;gap:8px;padding:10px 12px 10px 16px;background:#4f46e5;color:#fff}" +
    "h2{margin:0;font-size:16px}h3{margin:0 0 6px;font-size:14px}" +
    ".close{background:transparent;font-size:22px;line-height:1;padding:4px 10px}" +
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px}" +
    ".msg{max-width:88%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".msg p{margin:0}.assistant{background:#f1f5f9;align-self:flex-start}" +
    ".user{background:#4f46e5;color:#fff;align-self:flex-end}" +
    ".notice{background:#fef2f2;color:#991b1b;align-self:stretch;max-width:none}" +
    ".sources{margin-top:4px!important;font-size:12px;color:#475569}" +
    ".compose{display:flex;gap:6px;padding:10px 12px;border-top:1px solid #e5e7eb}" +
    "input{font:inherit;color:inherit;padding:8px 10px;border:1px solid #94a3b8;border-radius:8px;width:100%;min-width:0;background:#fff}" +
    "input[aria-invalid=true]{border-color:#b91c1c}" +
    ".actions{padding:0 12px 10px}" +
    ".lead{padding:12px;border-top:1px solid #e5e7eb;background:#f8fafc;overflow-y:auto;max-height:60%}" +
    ".lead label{display:block;font-weight:600;margin:6px 0 2px}" +
    ".lead .buttons{display:flex;gap:6px;margin-top:10px}" +
    ".error{color:#b91c1c;margin:6px 0 0}";
  // A constructed style sheet where the browser has them: a page's Content-Security-Policy that
  // forbids inline <style> (Pivra's own Preview page does) does not apply to it.
  var constructable = "adoptedStyleSheets" in root && "replaceSync" in CSSStyleSheet.prototype;
  if (constructable) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  }
  root.innerHTML =
    (constructable ? "" : "<style>" + CSS + "</style>") +
    '<button type="button" class="bubble" aria-controls="panel" aria-expanded="false">Open chat</button>' +
    '<section class="panel" id="panel" role="dialog" aria-labelledby="title" hidden>' +
    '<header><h2 id="title">Chat</h2><button type="button" class="close" aria-label="Close chat">×</button></header>' +
    '<div class="log" role="log" aria-live="polite" aria-label="Conversation" tabindex="0"></div>' +
    '<form class="compose">' +
    '<label class="sr" for="message">Message</label>' +
    '<input id="message" name="message" type="text" autocomplete="off" maxlength="2000" placeholder="Ask a question…" required>' +
    '<button type="submit">Send</button>' +
    "</form>" +
    '<div class="actions"><button type="button" class="quiet lead-open" aria-controls="lead" hidden>Leave your details</button></div>' +
    '<form class="lead" id="lead" aria-labelledby="lead-title" hidden>' +
    '<h3 id="lead-title">Your contact details</h3>' +
    '<div data-field="name"><label for="lead-name">Name</label><input id="lead-name" name="name" autocomplete="name" maxlength="200"></div>' +
    '<div data-field="email"><label for="lead-email">Email</label><input id="lead-email" name="email" type="email" autocomplete="email" maxlength="254"></div>' +
    '<div data-field="phone"><label for="lead-phone">Phone</label><input id="lead-phone" name="phone" type="tel" autocomplete="tel" maxlength="50"></div>' +
    '<p class="error" role="alert" id="lead-error"></p>' +
    '<div class="buttons"><button type="submit">Send details</button><button type="button" class="quiet lead-cancel">Cancel</button></div>' +
    "</form>" +
    "</section>";

  function $(selector) { return root.querySelector(selector); }
  var bubble = $(".bubble"), panel = $(".panel"), title = $("#title"), log = $(".log");
  var compose = $(".compose"), input = $("#message"), sendButton = $(".compose button");
  var leadOpen = $(".lead-open"), leadForm = $(".lead"), leadError = $("#lead-error");

  var conversationId = null, loading = null, creating = null, leadCapture = { enabled: false, fields: [] };

  function storage(kind) {
    try { return window[kind]; } catch (e) { return null; } // blocked in some sandboxed frames
  }
  function remember(kind, name, value) {
    var store = storage(kind);
    try { if (store) { value === null ? store.removeItem(name) : store.setItem(name, value); } } catch (e) { /* full or blocked */ }
  }
  function recall(kind, name) {
    var store = storage(kind);
    try { return store ? store.getItem(name) : null; } catch (e) { return null; }
  }
  function visitorId() {
    var id = recall("localStorage", VISITOR_KEY);
    if (!id) {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
      remember("localStorage", VISITOR_KEY, id);
    }
    return id;
  }

  // POST `body` as JSON, or GET when there is none; resolves with the JSON answer, rejects
  // with an Error whose message can be shown to the visitor.
  function call(path, body) {
    var headers = { "X-Pivra-Embed-Key": key };
    if (body) headers["Content-Type"] = "application/json";
    return fetch(API + path, {
      method: body ? "POST" : "GET",
      mode: "cors",
      credentials: "omit",
      headers: headers,
      body: body ? JSON.stringify(body) : undefined,
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          var error = new Error(data.detail || "Something went wrong. Please try again.");
          error.status = response.status;
          error.data = data;
          throw error;
        }
        return data;
      });
    }, function () {
      throw new Error("The chat could not be reached. Check your connection and try again.");
    });
  }

  function addMessage(role, text, sources) {
    var item = document.createElement("div");
    item.className = "msg " + role;
    var who = document.createElement("span");
    who.className = "sr";
    who.textContent = role === "user" ? "You: " : role === "assistant" ? title.textContent + ": " : "";
    var body = document.createElement("p");
    body.append(who, document.createTextNode(text));
    item.append(body);
    if (sources && sources.length) {
      var cited = document.createElement("p");
      cited.className = "sources";
      cited.textContent = "Sources: " + sources.map(function (s) { return s.title || "Untitled"; }).join(", ");
      item.append(cited);
    }
    log.append(item);
    log.scrollTop = log.scrollHeight;
  }

  function showChatbot(chatbot, messages) {
    title.textContent = chatbot.name;
    leadCapture = chatbot.lead_capture;
    leadOpen.hidden = !leadCapture.enabled;
    LEAD_FIELDS.forEach(function (name) {
      var wanted = leadCapture.fields.indexOf(name) !== -1;
      var field = leadForm.elements[name];
      leadForm.querySelector('[data-field="' + name + '"]').hidden = !wanted;
      field.required = wanted;
      field.disabled = !wanted;
    });
    log.textContent = "";
    addMessage("assistant", chatbot.welcome_message);
    messages.forEach(function (m) { addMessage(m.role, m.content, m.cited_sources); });
  }

  function startConversation(continueId) {
    return call("/conversations", { conversation_id: continueId || "", visitor_id: visitorId() }).then(function (data) {
      conversationId = data.conversation.id;
      remember("sessionStorage", CONVERSATION_KEY, conversationId);
      return data;
    });
  }

  // When the panel first opens: continue this tab's conversation, or just show the chatbot.
  // Opening the chat creates no conversation; the first message (or lead form) does.
  function load() {
    if (!loading) {
      var saved = recall("sessionStorage", CONVERSATION_KEY);
      loading = (saved ? startConversation(saved) : call("/chatbot")).then(function (data) {
        showChatbot(data.chatbot, data.messages || []);
      }, function (error) {
        loading = null; // let the next attempt try again
        throw error;
      });
    }
    return loading;
  }

  function conversation() {
    return load().then(function () {
      if (conversationId) return conversationId;
      if (!creating) { // one conversation, even if the message and the lead form race
        creating = startConversation().then(function () { creating = null; return conversationId; },
          function (error) { creating = null; throw error; });
      }
      return creating;
    });
  }

  function forgetConversation() {
    remember("sessionStorage", CONVERSATION_KEY, null);
    conversationId = null;
  }

  function openPanel() {
    panel.hidden = false;
    bubble.hidden = true;
    bubble.setAttribute("aria-expanded", "true");
    input.focus();
    load().catch(function (error) { addMessage("notice", error.message); });
  }

  function closePanel() {
    panel.hidden = true;
    bubble.hidden = false;
    bubble.setAttribute("aria-expanded", "false");
    bubble.focus();
  }

  function showLeadForm() {
    if (!leadCapture.enabled) return;
    leadForm.hidden = false;
    leadOpen.hidden = true;
    log.scrollTop = log.scrollHeight;
    var first = leadForm.querySelector("input:not([disabled])");
    if (first) first.focus();
  }

  function hideLeadForm(focusButton) {
    leadForm.hidden = true;
    leadOpen.hidden = !leadCapture.enabled;
    if (focusButton) leadOpen.focus();
  }

  bubble.addEventListener("click", openPanel);
  $(".close").addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closePanel();
  });
  leadOpen.addEventListener("click", showLeadForm);
  $(".lead-cancel").addEventListener("click", function () { hideLeadForm(true); });

  compose.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text || sendButton.disabled) return;
    sendButton.disabled = true;
    log.setAttribute("aria-busy", "true");
    conversation().then(function (id) {
      addMessage("user", text);
      input.value = "";
      return call("/conversations/" + id + "/messages", { content: text });
    }).then(function (data) {
      addMessage("assistant", data.reply.content, data.reply.cited_sources);
      if (data.offer_lead_form) showLeadForm();
    }).catch(function (error) {
      if (error.status === 404) forgetConversation();
      if (!input.value) input.value = text;
      addMessage("notice", error.message);
    }).then(function () {
      sendButton.disabled = false;
      log.removeAttribute("aria-busy");
      if (leadForm.hidden) input.focus();
    });
  });

  leadForm.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!leadForm.reportValidity()) return;
    var button = leadForm.querySelector('button[type="submit"]');
    var details = {};
    leadCapture.fields.forEach(function (name) {
      details[name] = leadForm.elements[name].value.trim();
      leadForm.elements[name].removeAttribute("aria-invalid");
    });
    leadError.textContent = "";
    button.disabled = true;
    conversation().then(function (id) {
      return call("/conversations/" + id + "/lead", details);
    }).then(function (data) {
      hideLeadForm(false);
      addMessage("assistant", data.detail);
      input.focus();
    }).catch(function (error) {
      if (error.status === 404) forgetConversation();
      var errors = (error.data && error.data.errors) || {};
      Object.keys(errors).forEach(function (name) {
        var field = leadForm.elements[name];
        if (field) {
          field.setAttribute("aria-invalid", "true");
          field.setAttribute("aria-describedby", "lead-error");
        }
      });
      leadError.textContent = error.message;
    }).then(function () {
      button.disabled = false;
    });
  });

  if (document.body) document.body.appendChild(host);
  else document.addEventListener("DOMContentLoaded", function () { document.body.appendChild(host); });
})();
