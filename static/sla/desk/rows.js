// "Add a row" under a formset table (calendar periods, exception periods, escalation steps): copy the empty row
// from its <template>, number it, and count it in the management form. Without JavaScript the blank rows the page
// always offers are enough, so the button stays hidden.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-add-row]").forEach((button) => { button.hidden = false; });
});
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-add-row]");
  if (!button) return;
  const prefix = button.dataset.addRow;
  const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
  const template = document.getElementById(`${prefix}-empty`);
  const body = document.querySelector(`[data-rows="${prefix}"] tbody`);
  body.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", total.value));
  total.value = Number(total.value) + 1;
});
