// The billing terms form on the budget page (templates/projects/billing/_margin.html), as a file so that the
// Content-Security-Policy needs no inline script. Without it every model's terms show, each group headed by
// its model's name, and the server keeps only the chosen model's; with it only the chosen model's group shows.
(function () {
  "use strict";
  document.querySelectorAll("form[data-billing-form]").forEach(function (form) {
    var choice = form.querySelector("[data-billing-model]");
    if (!choice) {
      return;
    }
    function update() {
      form.querySelectorAll("[data-billing-terms]").forEach(function (group) {
        group.hidden = group.getAttribute("data-billing-terms") !== choice.value;
      });
    }
    choice.addEventListener("change", update);
    update();
  });
})();
