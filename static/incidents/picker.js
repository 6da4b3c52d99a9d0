// Person pickers (incidents/widgets.py): choosing a search result puts its id in the hidden field and shows who.
document.addEventListener("click", function (event) {
  "use strict";
  var option = event.target.closest("[data-picker] [data-person-id]");
  if (!option) { return; }
  var picker = option.closest("[data-picker]");
  picker.querySelector("[data-picker-value]").value = option.getAttribute("data-person-id");
  picker.querySelector("[data-picker-chosen]").textContent = option.getAttribute("data-person-label");
  picker.querySelector("[role=listbox]").innerHTML = "";
  picker.querySelector("input[type=search]").value = "";
});
document.addEventListener("keydown", function (event) {
  "use strict";
  // Enter in a picker's search box searches; it must not submit the form around it half-filled.
  if (event.key === "Enter" && event.target.matches("[data-picker] input[type=search]")) { event.preventDefault(); }
});
