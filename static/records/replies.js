// Reply templates: choosing one in a reply form's menu fetches its text (filled in for this record, in the
// requester's language) with htmx and puts it into the message where the cursor is; the menu returns to its blank.
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var select = event.detail.elt;
    if (!select || !select.matches || !select.matches("[data-reply-into]") || !event.detail.successful) { return; }
    var area = document.getElementById(select.getAttribute("data-reply-into"));
    var text = event.detail.xhr.responseText;
    select.value = "";
    if (!area || !text) { return; }
    var start = area.selectionStart || 0;
    var end = area.selectionEnd || 0;
    if (document.activeElement !== area && !area.value) { start = end = 0; }
    else if (document.activeElement !== area) { start = end = area.value.length; }
    var before = area.value.slice(0, start);
    var gap = before && !/\n$/.test(before) ? "\n" : "";
    area.value = before + gap + text + area.value.slice(end);
    area.dispatchEvent(new Event("input", {bubbles: true}));
    area.focus();
    var caret = (before + gap + text).length;
    area.setSelectionRange(caret, caret);
  });
})();
