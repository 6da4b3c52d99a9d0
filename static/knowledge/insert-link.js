// The incident page's knowledge panel: "Insert link" puts the article's title and link into the reply textarea
// (the conversation form's "body"), where the cursor is, and focuses it.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-kb-insert-link]");
    if (!button) { return; }
    var reply = document.querySelector('[data-testid="comment-form"] textarea[name="body"]');
    if (!reply) { return; }
    var title = button.getAttribute("data-kb-title").replace(/[\[\]]/g, "");
    var text = "[" + title + "](" + button.getAttribute("data-kb-insert-link") + ")";
    var start = reply.selectionStart || reply.value.length;
    var end = reply.selectionEnd || reply.value.length;
    var before = reply.value.slice(0, start);
    var spacer = before && !/\s$/.test(before) ? " " : "";
    reply.value = before + spacer + text + reply.value.slice(end);
    reply.focus();
    reply.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
