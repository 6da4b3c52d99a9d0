// The requester's incident page refreshes itself every 20 s (hx-trigger on [data-live-refresh]), but not while the tab
// is hidden or while they are typing a reply or a reason: the refresh would replace what they typed. A listener, not an
// hx-trigger filter expression, because the Content-Security-Policy refuses the eval htmx needs for those.
document.addEventListener("htmx:beforeRequest", (event) => {
  const live = event.detail.elt;
  if (!live.matches || !live.matches("[data-live-refresh]")) return;
  const typing = live.querySelector("textarea:focus, textarea:not(:placeholder-shown)");
  if (document.visibilityState !== "visible" || typing) event.preventDefault();
});
