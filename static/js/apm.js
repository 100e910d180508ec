// APM's own behaviour, loaded as a file so that the Content-Security-Policy
// needs no inline scripts or event handlers.
(function () {
  "use strict";
  // <select data-autosubmit> submits its form when changed.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-autosubmit]") && target.form) {
      target.form.submit();
    }
  });
  // <input data-select-on-focus> selects its text (a link to copy).
  document.addEventListener("focusin", function (event) {
    var target = event.target;
    if (target && target.matches && target.matches("[data-select-on-focus]")) {
      target.select();
    }
  });
})();
