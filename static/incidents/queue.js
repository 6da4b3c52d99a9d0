// The agent queue: filter errors shown (htmx does not swap a 400 by default), check-all, the bulk bar showing the
// inputs its action needs, and keyboard shortcuts (j/k move, x check, / search, a assign, t take, ? help, Enter open).
(function () {
  "use strict";
  var current = -1;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue-table tbody tr[data-number]")); }
  function checked() { return document.querySelectorAll("#queue-table input[name=rows]:checked"); }

  function mark(index) {
    var all = rows();
    if (!all.length) { return; }
    current = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (row, i) { row.classList.toggle("table-active", i === current); row.toggleAttribute("data-current", i === current); });
    all[current].scrollIntoView({block: "nearest"});
  }

  function currentBox() {
    var row = rows()[current];
    return row ? row.querySelector("input[name=rows]") : null;
  }

  function checkCurrentIfNone() {
    var box = currentBox();
    if (!checked().length && box) { box.checked = true; }
  }

  function showBulkInputs() {
    var select = document.getElementById("id_bulk_action");
    if (!select) { return; }
    document.querySelectorAll("#bulk-form [data-bulk-for]").forEach(function (input) {
      input.hidden = input.getAttribute("data-bulk-for") !== select.value;
    });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "queue-table" && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;  // the answer carries the error to show
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "queue-table") { current = -1; showBulkInputs(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-check-all]")) {
      document.querySelectorAll("#queue-table input[name=rows]").forEach(function (box) { box.checked = event.target.checked; });
    } else if (event.target.id === "id_bulk_action") {
      showBulkInputs();
    }
  });
  // The bulk bar is its own form: its changes must not reach the filter form's "change" trigger (they do not: it is
  // not inside it), and Enter in the message field submits the bulk form, not a filter.

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target.closest("input, select, textarea, [contenteditable]")) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    if (document.querySelector(".modal.show") && event.key !== "?") { return; }
    var key = event.key;
    if (key === "j") { mark(current + 1); }
    else if (key === "k") { mark(current < 0 ? 0 : current - 1); }
    else if (key === "x") { var box = currentBox(); if (box) { box.checked = !box.checked; } }
    else if (key === "Enter") { var row = rows()[current]; if (row) { window.location.href = row.getAttribute("data-href"); } }
    else if (key === "/") { document.getElementById("id_q").focus(); }
    else if (key === "a") {
      checkCurrentIfNone();
      document.getElementById("id_bulk_action").value = "assign";
      showBulkInputs();
      document.getElementById("id_bulk_group").focus();
    } else if (key === "t") {
      checkCurrentIfNone();
      if (!checked().length) { return; }
      document.getElementById("id_bulk_action").value = "take";
      document.getElementById("bulk-form").requestSubmit();
    } else if (key === "?") {
      window.bootstrap.Modal.getOrCreateInstance(document.getElementById("shortcut-help")).toggle();
    } else { return; }
    event.preventDefault();
  });
  // Filters change without reloading the page (htmx pushes them into the address): a view saves what is shown now.
  document.addEventListener("submit", function (event) {
    if (!event.target.matches("[data-testid=save-view-form]")) { return; }
    var params = new URLSearchParams(window.location.search);
    event.target.querySelector("input[name=query]").value = params.toString();
    event.target.querySelector("input[name=ordering]").value = params.get("ordering") || "";
  });
  document.addEventListener("DOMContentLoaded", showBulkInputs);
})();
