// The inbox's keyboard: j/k move, Enter opens, r reply, n note, a assign, e resolve,
// / search, ? help. Keys typed into a field, or with a modifier, are never taken.
(function () {
  "use strict";

  function isTyping(target) {
    if (!target) { return false; }
    var tag = target.tagName;
    return target.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-conversation-list] [data-row]"));
  }

  function selectedIndex(list) {
    for (var i = 0; i < list.length; i++) {
      if (list[i].classList.contains("selected")) { return i; }
    }
    for (var j = 0; j < list.length; j++) {
      if (list[j].classList.contains("current")) { return j; }
    }
    return -1;
  }

  function move(step) {
    var list = rows();
    if (!list.length) { return; }
    var index = selectedIndex(list);
    var next = Math.min(Math.max(index + step, 0), list.length - 1);
    list.forEach(function (row) { row.classList.remove("selected"); });
    list[next].classList.add("selected");
    var link = list[next].querySelector("[data-open]");
    link.focus({ preventScroll: true });
    list[next].scrollIntoView({ block: "nearest" });
  }

  function focusFirst(selector) {
    var element = document.querySelector(selector);
    if (element) { element.focus(); return true; }
    return false;
  }

  var actions = {
    j: function () { move(1); },
    k: function () { move(-1); },
    Enter: function () {
      var list = rows();
      var index = selectedIndex(list);
      if (index >= 0) { list[index].querySelector("[data-open]").click(); return true; }
      return false;
    },
    r: function () { return focusFirst(".composer textarea"); },
    n: function () { return focusFirst("[data-shortcut-note]"); },
    a: function () { return focusFirst("[data-shortcut-assign]"); },
    e: function () {
      var button = document.querySelector("[data-shortcut-resolve]");
      if (button) { button.click(); return true; }
      return false;
    },
    "/": function () { return focusFirst("[data-shortcut-search]"); },
    "?": function () {
      var dialog = document.getElementById("shortcuts");
      if (dialog && !dialog.open) { dialog.showModal(); return true; }
      return false;
    },
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (isTyping(event.target)) {
      if (event.key === "Escape") { event.target.blur(); }
      return;
    }
    if (!document.querySelector("[data-inbox]")) { return; }
    var action = actions[event.key];
    if (!action) { return; }
    // Enter on a focused link already opens it; only take it when a row is selected.
    if (event.key === "Enter" && event.target.closest && event.target.closest("a, button")) { return; }
    if (action() !== false) { event.preventDefault(); }
  });
})();

// Live list: a refresh from the stream would drop a selection in progress; then the list
// says there is news instead, and the person refreshes when done. A refresh keeps the row
// the keyboard is on, and the focus if it was in the list.
(function () {
  "use strict";
  var kept = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.target.matches || !event.detail.target.matches("[data-live-results]")) { return; }
    var selected = event.detail.target.querySelector("[data-row].selected");
    kept = selected ? {
      row: selected.getAttribute("data-row"),
      focused: event.detail.target.contains(document.activeElement),
    } : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!kept) { return; }
    var row = document.querySelector('[data-live-results] [data-row="' + kept.row + '"]');
    if (row) {
      row.classList.add("selected");
      if (kept.focused) { row.querySelector("[data-open]").focus({ preventScroll: true }); }
    }
    kept = null;
  });
  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail.elt;
    var cause = event.detail.triggerEvent;
    if (!element.matches || !element.matches("[data-live-results]")) { return; }
    if (!cause || cause.type !== "sse:inbox") { return; }
    if (element.querySelector("input[name=conversation]:checked")) {
      event.preventDefault();
      var notice = element.querySelector("#new-activity");
      if (notice) { notice.hidden = false; }
    }
  });
})();

// Presence: while a conversation is open, say so every 10 s, and say "typing" while the
// reply is being written, so colleagues see it and nobody answers twice.
(function () {
  "use strict";
  var TYPING_PAUSE_MS = 4000;
  var lastTyped = 0;
  var lastTypingSent = 0;

  function csrfToken() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  }

  function presenceUrl() {
    var pane = document.querySelector("[data-presence-url]");
    return pane ? pane.getAttribute("data-presence-url") : null;
  }

  function send(typing) {
    var url = presenceUrl();
    if (!url || document.hidden) { return; }
    fetch(url, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: "typing=" + (typing ? "1" : "0"),
      credentials: "same-origin",
    }).catch(function () { /* presence is best effort */ });
  }

  function typingNow() { return Date.now() - lastTyped < TYPING_PAUSE_MS; }

  document.addEventListener("input", function (event) {
    if (!event.target.closest || !event.target.closest(".composer")) { return; }
    lastTyped = Date.now();
    if (Date.now() - lastTypingSent > 3000) {
      lastTypingSent = Date.now();
      send(true);
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "workspace") { send(false); }
  });
  document.addEventListener("DOMContentLoaded", function () { send(false); });
  setInterval(function () { send(typingNow()); }, 10000);
})();
