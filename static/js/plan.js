// The project's plan (templates/projects/planning/plan.html): draws the bars of the json_script block
// "plan-data" with the vendored frappe-gantt, as a file so that the Content-Security-Policy needs no
// inline script. A bar dragged or resized posts its new dates once the mouse is let go (the same
// endpoint as the date form under the chart, asking for JSON); the server moves the task and pushes its
// successors, then the page reloads to show what moved, with Undo. A refused change shows the server's
// sentence and puts the bar back. Without this file the date form does everything.
(function () {
  "use strict";
  var holder = document.getElementById("plan-chart");
  var data = document.getElementById("plan-data");
  if (!holder || !data || typeof window.Gantt !== "function") {
    return;
  }
  var editable = holder.getAttribute("data-editable") === "1";
  var message = document.getElementById("plan-message");
  var source = JSON.parse(data.textContent);

  function escaped(text) {
    // frappe-gantt puts a bar's name into the page as HTML: names are the users' text.
    var div = document.createElement("div");
    div.textContent = text;
    return div.innerHTML;
  }

  function bars() {
    return source.map(function (bar) {
      return {
        id: bar.id,
        name: escaped(bar.name),
        start: bar.start,
        end: bar.end,
        progress: bar.progress,
        dependencies: bar.dependencies,
        custom_class: bar.custom_class,
        post: bar.post
      };
    });
  }

  function day(date) {
    var month = String(date.getMonth() + 1).padStart(2, "0");
    var dayOfMonth = String(date.getDate()).padStart(2, "0");
    return date.getFullYear() + "-" + month + "-" + dayOfMonth;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  var gantt;

  function refused(text) {
    message.textContent = text;
    message.hidden = false;
    gantt.refresh(bars());
  }

  // frappe-gantt reports every step of a drag: keep the last and send it when the mouse is let go.
  var pending = null;

  function dateChanged(task, start, end) {
    pending = { task: task, start: start, end: end };
  }

  document.addEventListener("mouseup", function () {
    window.setTimeout(function () {
      if (pending) {
        var change = pending;
        pending = null;
        send(change.task, change.start, change.end);
      }
    }, 0);
  });

  function send(task, start, end) {
    if (!task.post) {
      refused("Only the project manager, a head of its departments or an administrator moves a deliverable.");
      return;
    }
    var body = new URLSearchParams();
    body.append("start_date", day(start));
    body.append("due_date", day(end));
    holder.setAttribute("aria-busy", "true");
    fetch(task.post, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: body
    }).then(function (response) {
      if (response.status === 404 || response.status === 403) {
        return { ok: false, message: "You may not change this: nothing changed." };
      }
      return response.json();
    }).then(function (answer) {
      if (answer.ok) {
        window.location.reload();
      } else {
        holder.removeAttribute("aria-busy");
        refused(answer.message || "Nothing changed.");
      }
    }).catch(function () {
      holder.removeAttribute("aria-busy");
      refused("The change could not be sent: nothing changed. Try again, or use the dates table below.");
    });
  }

  // Days for a plan of two months or less, weeks up to nine months, months beyond.
  function viewMode() {
    var first = null;
    var last = null;
    source.forEach(function (bar) {
      if (!first || bar.start < first) { first = bar.start; }
      if (!last || bar.end > last) { last = bar.end; }
    });
    var days = (Date.parse(last) - Date.parse(first)) / 86400000;
    return days > 270 ? "Month" : days > 60 ? "Week" : "Day";
  }

  gantt = new window.Gantt(holder, bars(), {
    view_mode: viewMode(),
    view_mode_select: false,
    today_button: false,
    holidays: {},
    popup: false,
    readonly: !editable,
    readonly_progress: true,
    move_dependencies: false,
    scroll_to: "start",
    bar_height: 24,
    padding: 14,
    container_height: "auto",
    on_date_change: dateChanged
  });
  holder.gantt = gantt;

  // The chart scrolls sideways: reachable by the keyboard (its arrows scroll it), and named. It opens on
  // the first task (deliverables often start long before their tasks), at once rather than smoothly.
  var scroller = holder.querySelector(".gantt-container");
  var first = null;
  source.forEach(function (bar) {
    if (bar.id.charAt(0) === "t" && (!first || bar.start < first.start)) { first = bar; }
  });
  function toFirstTask() {
    if (scroller && first && gantt.get_bar(first.id)) {
      scroller.scrollLeft = Math.max(0, gantt.get_bar(first.id).$bar.getX() - 60);
    }
  }
  toFirstTask();
  if (scroller) {
    scroller.setAttribute("tabindex", "0");
    scroller.setAttribute("role", "region");
    scroller.setAttribute("aria-label", "Gantt chart of the plan (the dates table below has the same dates)");
  }

  var modes = document.getElementById("plan-modes");
  if (modes) {
    modes.hidden = false;
    var current = viewMode();
    modes.querySelectorAll("button[data-mode]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-mode") === current));
      button.classList.toggle("active", button.getAttribute("data-mode") === current);
      button.addEventListener("click", function () {
        gantt.change_view_mode(button.getAttribute("data-mode"));
        toFirstTask();
        modes.querySelectorAll("button[data-mode]").forEach(function (other) {
          other.setAttribute("aria-pressed", String(other === button));
          other.classList.toggle("active", other === button);
        });
      });
    });
  }
})();
