/* The product form: shows only the chosen kind's terms and the chosen mode's settings.
   A select with `data-controls="kind"` (or "mode") governs the elements whose
   `data-kinds` (or `data-modes`) lists the values they belong to. Without this script
   every section shows and the server reads only the chosen ones. */
(function () {
  "use strict";
  var targets = { kind: "data-kinds", mode: "data-modes" };
  function update(select) {
    var attribute = targets[select.dataset.controls];
    if (!attribute) { return; }
    document.querySelectorAll("[" + attribute + "]").forEach(function (element) {
      var values = element.getAttribute(attribute).split(" ");
      element.hidden = values.indexOf(select.value) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-controls]").forEach(function (select) {
      update(select);
      select.addEventListener("change", function () { update(select); });
    });
  });
})();
