// The reply composer's saved-reply picker: Alt+S to search, arrows to move, Enter to insert.
// The server fills in the variables; the text goes in at the cursor and the live check reruns.
(function () {
  "use strict";

  function csrfToken() {
    var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    return headers["X-CSRFToken"] || "";
  }

  function options(results) {
    return Array.prototype.slice.call(results.querySelectorAll("[data-use-url]"));
  }

  function insert(textarea, text) {
    var start = textarea.selectionStart, end = textarea.selectionEnd;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    textarea.focus();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function use(option, picker) {
    var body = new URLSearchParams({ interaction: picker.dataset.interaction });
    fetch(option.dataset.useUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
      body: body,
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (text) {
        insert(document.getElementById(picker.dataset.target), text);
        picker.querySelector("input").value = "";
        picker.querySelector(".picker-results").innerHTML = "";
      });
  }

  document.addEventListener("keydown", function (event) {
    var picker = document.querySelector("[data-saved-reply-picker]");
    if (!picker) { return; }
    var search = picker.querySelector("input");
    if (event.altKey && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      search.focus();
      return;
    }
    if (!picker.contains(event.target)) { return; }
    var list = options(picker.querySelector(".picker-results"));
    var index = list.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && list.length) {
      event.preventDefault();
      list[Math.min(index + 1, list.length - 1)].focus();
    } else if (event.key === "ArrowUp" && list.length) {
      event.preventDefault();
      if (index <= 0) { search.focus(); } else { list[index - 1].focus(); }
    } else if (event.key === "Enter" && (index >= 0 || (event.target === search && list.length))) {
      event.preventDefault();
      use(list[Math.max(index, 0)], picker);
    } else if (event.key === "Escape") {
      picker.querySelector(".picker-results").innerHTML = "";
      document.getElementById(picker.dataset.target).focus();
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest("[data-use-url]");
    var picker = option && option.closest("[data-saved-reply-picker]");
    if (picker) { use(option, picker); }
  });
})();
