// Behaviour that templates once wrote as inline handlers (onchange="…"), which the Content-Security-Policy refuses.
// A <select data-submit-on-change> submits its form when the choice changes (the language picker).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.submit();
  }
});
