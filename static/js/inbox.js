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
