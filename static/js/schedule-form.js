// The report schedule form (templates/reports/schedules/form.html), as a file so that the
// Content-Security-Policy needs no inline script. Without it every field shows and the server
// says which are missing; with it:
// * only the fields the choices use show: weekdays for a weekly schedule, the day of the month
//   for a monthly one, the project, department or project manager of the chosen scope, and the
//   recipients of the chosen audience, the full-commentary box for a portfolio report;
// * the project list (a <datalist>) holds the projects matching what is typed, asked of the
//   URL in the input's data-project-search (only projects the user may name come back).
(function () {
  "use strict";
  var form = document.querySelector("form[data-schedule-form]");
  if (!form) {
    return;
  }

  var SHOWN_WHEN = {
    weekdays: function (v) { return v.frequency !== "monthly"; },
    day_of_month: function (v) { return v.frequency !== "weekly"; },
    project: function (v) { return !v.scope || v.scope === "project"; },
    department: function (v) { return !v.scope || v.scope === "department"; },
    project_manager: function (v) { return !v.scope || v.scope === "pm_portfolio"; },
    send_to_reporting_heads: function (v) { return v.audience !== "client"; },
    send_to_client_contacts: function (v) { return v.audience !== "internal"; },
    full_commentary: function (v) { return !v.kind || v.kind === "portfolio"; }
  };

  function chosen() {
    var values = {};
    ["kind", "frequency", "scope", "audience"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      values[name] = field && "value" in field ? field.value : "";
    });
    return values;
  }

  function update() {
    var values = chosen();
    Object.keys(SHOWN_WHEN).forEach(function (name) {
      var box = form.querySelector('[data-field="' + name + '"]');
      if (box) {
        box.hidden = !SHOWN_WHEN[name](values);
      }
    });
  }

  form.addEventListener("change", update);
  update();

  var input = form.querySelector("input[data-project-search]");
  var list = input && document.getElementById(input.getAttribute("list"));
  if (!input || !list || !window.fetch) {
    return;
  }
  var timer = null;
  var asked = null;

  function fill(projects) {
    var options = document.createDocumentFragment();
    projects.forEach(function (project) {
      var option = document.createElement("option");
      option.value = project.code;
      option.textContent = project.name;
      options.appendChild(option);
    });
    list.replaceChildren(options);
  }

  function search() {
    var query = input.value.trim();
    if (query === asked) {
      return;
    }
    asked = query;
    var url = input.getAttribute("data-project-search") + "?q=" + encodeURIComponent(query);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : { projects: [] }; })
      .then(function (data) {
        if (asked === query) {
          fill(data.projects || []);
        }
      })
      .catch(function () { /* the list keeps what it had; the server checks what is typed */ });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
})();
